"""The map of docs/architecture.md (« Où vivent les choses ») names every Python module and every model folder;
orchestration/ is the Dagster code location only, and the library does not depend on it."""

import ast
import re
import subprocess

from observatoire.settings import PROJECT_DIR

ROOT_PACKAGES = ("observatoire/", "orchestration/")


def _section() -> str:
    text = (PROJECT_DIR / "docs" / "architecture.md").read_text(encoding="utf-8")
    return text.split("## Où vivent les choses", 1)[1].split("\n## ", 1)[0]


def _tracked(pattern: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", pattern], cwd=PROJECT_DIR, capture_output=True, text=True, check=True)
    return out.stdout.split()


def _imports(module: str) -> set[str]:
    tree = ast.parse((PROJECT_DIR / module).read_text(encoding="utf-8"))
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    return names | {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}


def test_every_python_module_and_model_folder_is_on_the_map():
    named = set(re.findall(r"`([^`]+)`", _section()))
    missing = []
    for module in _tracked("*.py"):
        folder = module.rsplit("/", 1)[0] + "/"
        if module.startswith("tests/") or module in {p + "__init__.py" for p in ROOT_PACKAGES}:
            continue
        # A module is named by its path, or by its own folder (a sub-package), never by a root package alone.
        if module not in named and (folder in ROOT_PACKAGES or folder not in named):
            missing.append(module)
    for folder in sorted({path.rsplit("/", 1)[0] + "/" for path in _tracked("models/")}):
        if folder not in named:
            missing.append(folder)
    assert not missing, f"absents de « Où vivent les choses » (docs/architecture.md) : {missing}"


def test_the_map_names_no_path_that_does_not_exist():
    for path in re.findall(r"`((?:observatoire|orchestration|models|macros|seeds|expectations|reports|tests)/"
                           r"[^`*<]*)`", _section()):
        assert (PROJECT_DIR / path).exists(), f"docs/architecture.md cite {path}, absent du dépôt"


def test_orchestration_holds_only_dagster_definitions():
    for module in _tracked("orchestration/*.py"):
        if not module.endswith("__init__.py"):
            assert any(m == "dagster" or m.startswith(("dagster.", "dagster_")) for m in _imports(module)), \
                f"{module} n'est pas du code Dagster : sa place est dans observatoire/"


def test_the_library_does_not_depend_on_the_code_location():
    for module in _tracked("observatoire/*.py") + _tracked("observatoire/**/*.py"):
        if module != "observatoire/cli.py":  # it runs the job
            assert not any(m.startswith("orchestration") for m in _imports(module)), \
                f"{module} importe orchestration/ : la bibliothèque ne dépend pas du code Dagster"


def test_no_dbt_yml_repeats_a_key():
    """A key written twice in a mapping (two data_tests: lists) makes YAML keep the last one: the first list of
    tests silently never runs."""
    import yaml

    repeated = []

    class _Strict(yaml.SafeLoader):
        pass

    def mapping(loader, node, deep=False):
        keys = [loader.construct_object(k, deep=deep) for k, _ in node.value]
        repeated.extend(f"{node.start_mark.name}:{node.start_mark.line + 1} {k}" for k in set(keys)
                        if keys.count(k) > 1)
        return yaml.SafeLoader.construct_mapping(loader, node, deep)

    _Strict.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    for path in sorted([*PROJECT_DIR.glob("models/**/*.yml"), *PROJECT_DIR.glob("seeds/**/*.yml")]):
        yaml.load(path.read_text(encoding="utf-8"), Loader=_Strict)
    assert not repeated, f"clés répétées dans un yml : {repeated}"


def test_only_the_settings_module_reads_the_observatorys_environment():
    """Settings are read in one place (observatoire/settings.py); elsewhere only the two secret keys are read,
    where they are used. A read is os.environ.get(X), os.environ[X] or os.getenv(X) of an OBSERVATOIRE_ name."""
    secrets = {"PSEUDONYMISATION_KEY_ENV", "ENCRYPTION_KEY_ENV",
               "OBSERVATOIRE_CLE_PSEUDO", "OBSERVATOIRE_CLE_CHIFFREMENT"}
    readers = []
    for module in _tracked("*.py"):
        if module.startswith("tests/") or module == "observatoire/settings.py":
            continue
        tree = ast.parse((PROJECT_DIR / module).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func) in ("os.environ.get", "os.getenv") and node.args:
                name = node.args[0]
            elif (isinstance(node, ast.Subscript) and ast.unparse(node.value) == "os.environ"
                  and isinstance(node.ctx, ast.Load)):
                name = node.slice
            else:
                continue
            text = name.value if isinstance(name, ast.Constant) else ast.unparse(name)
            if (str(text).startswith("OBSERVATOIRE_") or str(text).endswith("_ENV")) and text not in secrets:
                readers.append(f"{module}:{node.lineno} {text}")
    assert readers == []
