"""The map of docs/architecture.md (« Where things live ») names every Python module and every model folder."""

import re
import subprocess

from orchestration.settings import PROJECT_DIR


def _section() -> str:
    text = (PROJECT_DIR / "docs" / "architecture.md").read_text(encoding="utf-8")
    return text.split("## Where things live", 1)[1].split("\n## ", 1)[0]


def _tracked(pattern: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", pattern], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_every_python_module_and_model_folder_is_on_the_map():
    named = set(re.findall(r"`([^`]+)`", _section()))
    missing = []
    for module in _tracked("*.py"):
        folder = module.rsplit("/", 1)[0] + "/"
        if module.startswith("tests/") or module == "orchestration/__init__.py":
            continue
        # A module is named by its path, or by its own folder (a sub-package), never by orchestration/ alone.
        if module not in named and (folder == "orchestration/" or folder not in named):
            missing.append(module)
    for folder in sorted({path.rsplit("/", 1)[0] + "/" for path in _tracked("models/")}):
        if folder not in named:
            missing.append(folder)
    assert not missing, f"absents de « Where things live » (docs/architecture.md) : {missing}"


def test_the_map_names_no_path_that_does_not_exist():
    for path in re.findall(r"`((?:orchestration|models|macros|seeds|expectations|reports|tests)/[^`*<]*)`",
                           _section()):
        assert (PROJECT_DIR / path).exists(), f"docs/architecture.md cite {path}, absent du dépôt"
