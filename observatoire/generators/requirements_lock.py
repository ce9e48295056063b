"""requirements.lock: every package `make install` installs, direct and indirect, pinned with its hashes, compiled
from pyproject.toml by uv (runtime dependencies, the dev extra, the build backend) for Linux x86_64, Python 3.11.

``python -m observatoire.generators.requirements_lock`` (``make lock``) recompiles it, keeping the versions already
locked unless pyproject.toml asks otherwise; ``--upgrade`` takes the newest versions allowed. ``--check`` (``make
install`` and ``make lint``, offline, standard library only) fails when pyproject.toml changed since the lock was
compiled, when a pin of pyproject.toml differs from the lock, or when a locked package has no hash.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from observatoire.settings import PROJECT_DIR

LOCK = PROJECT_DIR / "requirements.lock"
PYPROJECT = PROJECT_DIR / "pyproject.toml"
EXTRA = "dev"
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-unknown-linux-gnu"
DIGEST_PREFIX = "# empreinte pyproject : sha256="
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*==\s*([^\s;\\]+)")


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(pyproject: Path) -> dict:
    """What the lock is compiled from: a change to any of it calls for a new lock."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    project = data["project"]
    return {"requires-python": project.get("requires-python", ""),
            "dependencies": project.get("dependencies", []),
            EXTRA: project.get("optional-dependencies", {}).get(EXTRA, []),
            "build-system": data.get("build-system", {}).get("requires", [])}


def digest(pyproject: Path) -> str:
    return hashlib.sha256(json.dumps(declared(pyproject), sort_keys=True).encode()).hexdigest()


def locked(lock_text: str) -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes) of each requirement of a lock file (continuation lines joined)."""
    out: dict[str, tuple[str, int]] = {}
    for entry in re.sub(r"\\\n\s*", " ", lock_text).splitlines():
        m = _NAME.match(entry.strip())
        if m:
            out[_normalise(m.group(1))] = (m.group(2), entry.count("--hash=sha256:"))
    return out


def problems(pyproject: Path = PYPROJECT, lock: Path = LOCK) -> list[str]:
    """Why the lock does not match pyproject.toml (empty when it does), in French."""
    if not lock.exists():
        return [f"{lock.name} absent"]
    text = lock.read_text(encoding="utf-8")
    found = []
    if f"{DIGEST_PREFIX}{digest(pyproject)}" not in text.splitlines():
        found.append(f"{pyproject.name} a changé depuis la compilation de {lock.name}")
    pins = locked(text)
    spec = declared(pyproject)
    for requirement in [*spec["dependencies"], *spec[EXTRA]]:
        m = _NAME.match(requirement)
        if not m:
            found.append(f"« {requirement} » de {pyproject.name} n'est pas épinglée (==)")
            continue
        name, version = _normalise(m.group(1)), m.group(2)
        if name not in pins:
            found.append(f"{name} est dans {pyproject.name} mais pas dans {lock.name}")
        elif pins[name][0] != version:
            found.append(f"{name} : {version} dans {pyproject.name}, {pins[name][0]} dans {lock.name}")
    found += [f"{name}=={v} n'a pas d'empreinte (--hash) dans {lock.name}" for name, (v, n) in pins.items() if not n]
    return found


def compile_lock(upgrade: bool = False) -> None:
    uv = shutil.which("uv")
    if not uv:
        raise SystemExit("uv introuvable : `make install` l'installe dans .venv (extra dev), ou `pip install uv`.")
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build-system.txt"  # the build backend, locked too: install builds without isolation
        build.write_text("\n".join(declared(PYPROJECT)["build-system"]) + "\n", encoding="utf-8")
        out = Path(tmp) / LOCK.name
        if LOCK.exists() and not upgrade:
            shutil.copy(LOCK, out)  # uv keeps the versions of the output file it is given
        # extras kept (sqlglot[rs]): pip's --require-hashes refuses a requirement with an extra left unpinned
        subprocess.run([uv, "pip", "compile", str(PYPROJECT), str(build), "--extra", EXTRA, "--generate-hashes",
                        "--no-strip-extras", "--python-version", PYTHON_VERSION, "--python-platform", PLATFORM,
                        "--no-header", "--quiet", "--output-file", str(out)], check=True, cwd=PROJECT_DIR)
        body = out.read_text(encoding="utf-8").replace(str(build), "build-system.requires (pyproject.toml)")
    LOCK.write_text(
        "# Ce fichier est généré par `make lock` (uv pip compile) : ne pas le modifier à la main.\n"
        f"# Linux x86_64, Python {PYTHON_VERSION} ; pyproject.toml (dépendances, extra {EXTRA}, build-system).\n"
        f"{DIGEST_PREFIX}{digest(PYPROJECT)}\n" + body, encoding="utf-8")
    print(f"écrit : {LOCK.name} ({len(locked(LOCK.read_text(encoding='utf-8')))} paquets)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m observatoire.generators.requirements_lock",
                                     description=f"Compiler {LOCK.name} depuis {PYPROJECT.name} (uv).")
    parser.add_argument("--check", action="store_true", help=f"ne rien écrire ; code 1 si {LOCK.name} est périmé")
    parser.add_argument("--upgrade", action="store_true", help="prendre les versions les plus récentes permises")
    args = parser.parse_args(argv)
    if not args.check:
        compile_lock(args.upgrade)
        return 0
    found = problems()
    for p in found:
        print(f"{LOCK.name} : {p} ; le recompiler avec `make lock`.", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
