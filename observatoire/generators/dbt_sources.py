"""The dbt ``sources`` files of the raw tables (models/staging/<folder>/_<folder>__sources.yml), written from
observatoire/extracts.py: the columns and descriptions are declared there once, these files are its copy.

``python -m observatoire.generators.dbt_sources`` rewrites them; ``--check`` (run by ``make test``) exits 1 when one
differs from what extracts.py gives, naming it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from observatoire import generators
from observatoire.extracts import LINEAGE_COLUMNS, SOURCES, Source
from observatoire.settings import PROJECT_DIR

STAGING_DIR = PROJECT_DIR / "models" / "staging"

def path_of(folder: str) -> Path:
    return STAGING_DIR / folder / f"_{folder}__sources.yml"


def _table(source: Source) -> dict:
    columns = [{"name": c.stored_name, "description": f"{c.stored_description} (texte brut)"}
               for c in source.stored_columns]
    columns += [{"name": name, "description": text} for name, _, text in LINEAGE_COLUMNS]
    return {"name": source.name,
            "description": f"{source.label} : {source.grain}. Texte brut tel que livré, identifiants directs "
                           "supprimés et numéros pseudonymisés à l'ingestion.",
            "columns": columns}


def render(folder: str) -> str:
    tables = [_table(s) for s in SOURCES.values() if s.domain == folder]
    document = {"version": 2, "sources": [{
        "name": "raw", "schema": "raw", "description": "Tables brutes chargées par les assets d'ingestion Dagster",
        "tables": tables}]}
    header = ("# Écrit par python -m observatoire.generators.dbt_sources depuis observatoire/extracts.py : "
              "ne pas modifier à la main.\n")
    return header + yaml.dump(document, Dumper=_NoAliases, allow_unicode=True, sort_keys=False, width=110)


class _NoAliases(yaml.SafeDumper):
    def ignore_aliases(self, data) -> bool:  # a column repeated in two tables is written out, not as &id001
        return True


def expected() -> dict[Path, str]:
    return {path_of(f): render(f) for f in dict.fromkeys(s.domain for s in SOURCES.values())}


def outdated() -> list[Path]:
    """Files that differ from what extracts.py gives (or are missing)."""
    return generators.outdated(expected())


def main(argv: list[str] | None = None) -> int:
    return generators.command("observatoire.generators.dbt_sources", "observatoire/extracts.py", expected, argv)


if __name__ == "__main__":
    sys.exit(main())
