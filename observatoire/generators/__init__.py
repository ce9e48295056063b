"""Committed files written from a declaration, each with a ``--check`` or a test that fails when they drift:
the dbt ``sources`` yml (dbt_sources), the extract specifications' generated blocks (docs_sources), what each
pilot owes at each COTECH (followup_due, from observatoire/followup/referential.py), the 2022 diagnostic
baseline seed (diagnostic_seed) and its coverage block in docs/analystes.md (diagnostic_coverage)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from observatoire.settings import PROJECT_DIR


def outdated(files: dict[Path, str]) -> list[Path]:
    """The files (path -> expected text) that are missing or differ."""
    return [p for p, text in files.items() if not p.exists() or p.read_text(encoding="utf-8") != text]


def command(module: str, origin: str, expected: Callable[[], dict[Path, str]], argv: list[str] | None) -> int:
    """A generator's command line: write what differs from ``expected()``; with ``--check``, write nothing and
    exit 1 naming each file that differs from ``origin``."""
    parser = argparse.ArgumentParser(prog=f"python -m {module}", description=f"Écrire les fichiers tirés de {origin}.")
    parser.add_argument("--check", action="store_true",
                        help=f"ne rien écrire ; code 1 si un fichier diffère de {origin}")
    args = parser.parse_args(argv)
    files = expected()
    stale = outdated(files)
    for p in stale:
        if args.check:
            print(f"{p.relative_to(PROJECT_DIR)} : diffère de {origin} ; le régénérer avec `python -m {module}`.",
                  file=sys.stderr)
        else:
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(files[p], encoding="utf-8")
            print(f"écrit : {p.relative_to(PROJECT_DIR)}")
    return 1 if args.check and stale else 0
