"""requirements.lock: what `make install` put in this environment is exactly the lock, and the check refuses a lock
that no longer matches pyproject.toml (pins, new dependency, missing hashes)."""

import importlib.metadata
import re
import shutil

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from observatoire.generators import requirements_lock
from observatoire.settings import PROJECT_DIR

LOCK = PROJECT_DIR / "requirements.lock"


def _lock_pins() -> dict[str, str]:
    """The lock read with packaging, apart from the module under test."""
    pins = {}
    for line in re.sub(r"\\\n", " ", LOCK.read_text(encoding="utf-8")).splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            req = Requirement(line.split(" --hash")[0].strip())
            (spec,) = req.specifier
            pins[canonicalize_name(req.name)] = spec.version
    return pins


def test_the_environment_is_the_lock():
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in importlib.metadata.distributions()}
    installed.pop("observatoire-pdalhpd62")  # the project itself, installed without dependencies
    installed.pop("pip", None)  # the venv's own installer
    assert installed == _lock_pins()


def test_the_committed_lock_matches_pyproject():
    assert requirements_lock.problems() == []


@pytest.fixture
def copies(tmp_path):
    shutil.copy(PROJECT_DIR / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copy(LOCK, tmp_path / "requirements.lock")
    return tmp_path / "pyproject.toml", tmp_path / "requirements.lock"


def _edit(path, old, new):
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_pin_changed_in_pyproject_only_is_refused(copies):
    pyproject, lock = copies
    version = _lock_pins()["dagster"]
    _edit(pyproject, f'"dagster=={version}"', '"dagster==1.13.0"')
    found = requirements_lock.problems(pyproject, lock)
    assert any("pyproject.toml a changé" in p for p in found)
    assert any(p.startswith("dagster : 1.13.0 dans pyproject.toml") for p in found)


def test_a_new_dependency_without_a_new_lock_is_refused(copies):
    pyproject, lock = copies
    _edit(pyproject, "dependencies = [\n", 'dependencies = [\n    "polars==1.0.0",\n')
    found = requirements_lock.problems(pyproject, lock)
    assert "polars est dans pyproject.toml mais pas dans requirements.lock" in found


def test_an_unpinned_dependency_is_refused(copies):
    pyproject, lock = copies
    _edit(pyproject, '"pytest==', '"pytest>=')
    assert any("pytest>=" in p and "pas épinglée" in p for p in requirements_lock.problems(pyproject, lock))


def test_a_direct_pin_edited_in_the_lock_is_refused(copies):
    pyproject, lock = copies
    version = _lock_pins()["duckdb"]
    _edit(lock, f"\nduckdb=={version} ", "\nduckdb==1.5.0 ")
    assert f"duckdb : {version} dans pyproject.toml, 1.5.0 dans requirements.lock" in requirements_lock.problems(
        pyproject, lock)


def test_a_package_without_hashes_is_refused(copies):
    pyproject, lock = copies
    text = lock.read_text(encoding="utf-8")
    # sqlalchemy, an indirect dependency: its hashes removed, its version kept
    block = re.search(r"\nsqlalchemy==(\S+) \\\n(\s+--hash=sha256:\w+( \\)?\n)+", text)
    lock.write_text(text.replace(block.group(0), f"\nsqlalchemy=={block.group(1)}\n"), encoding="utf-8")
    assert requirements_lock.problems(pyproject, lock) == [
        f"sqlalchemy=={block.group(1)} n'a pas d'empreinte (--hash) dans requirements.lock"]
