"""Paths and settings, resolved from the package location and the environment (never the caller's cwd).

Every tool (Dagster, dbt, Evidence, tests) receives the same absolute warehouse path.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_DIR / "seeds"
NOMENCLATURES_DIR = SEEDS_DIR / "nomenclatures"
GEOGRAPHY_DIR = SEEDS_DIR / "geographie"
# The committed sources of the reports: the Evidence project, the dossier's templates, the communes' contours
# (what a refresh writes is in Settings.reports_dir).
REPORTS_PROJECT_DIR = PROJECT_DIR / "reports"
# What the dbt project is made of: a change in any of them means a new manifest and a full dbt build.
DBT_INPUTS = ("models", "macros", "seeds", "tests/dbt", "dbt_project.yml", "profiles.yml")
REFERENCE_DATE_ENV = "OBSERVATOIRE_DATE_REFERENCE"
# What a refresh writes in the reports folder (Settings.reports_dir), relative to it.
QUALITY_REPORT = "qualite.html"
VALIDATION_RESULTS = "qualite/derniere_validation.json"  # every GX result of the run
SECRET_AUDIT_REPORT = "qualite/secret_statistique.json"  # the attacker's audit of the run
DATA_DOCS_DIR = "gx"


def dbt_input_files() -> list[Path]:
    files: list[Path] = []
    for name in DBT_INPUTS:
        path = PROJECT_DIR / name
        files += [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
    return files


@dataclass(frozen=True)
class Settings:
    data_dir: Path

    @property
    def depot_dir(self) -> Path:
        """Where extracts are dropped: one folder per source."""
        return self.data_dir / "depot"

    @property
    def warehouse(self) -> Path:
        """The working warehouse the pipeline writes to."""
        env = os.environ.get("OBSERVATOIRE_ENTREPOT")
        return Path(env).resolve() if env else self.data_dir / "entrepot" / "observatoire.duckdb"

    @property
    def published(self) -> Path:
        """The internal warehouse (everything), read-only for the observatory team's analysts."""
        env = os.environ.get("OBSERVATOIRE_PUBLIE")
        return Path(env).resolve() if env else self.data_dir / "publie" / "observatoire.duckdb"

    @property
    def diffusion(self) -> Path:
        """The diffusion file (diffusion layer, labels, freshness): partners, Evidence and the dossier open it."""
        env = os.environ.get("OBSERVATOIRE_DIFFUSION")
        return Path(env).resolve() if env else self.published.parent / "observatoire_diffusion.duckdb"

    @property
    def reports_dir(self) -> Path:
        """Quality report, GX results and Data Docs, the COTECH dossier."""
        return self.data_dir / "rapports"

    @property
    def followup_dir(self) -> Path:
        """The follow-up workbooks of each COTECH: <date>/a_envoyer/ (returned ones go to depot/suivi_plan/)."""
        return self.data_dir / "suivi"

    @property
    def key_file(self) -> Path:
        """Local pseudonymisation key created by the demo when OBSERVATOIRE_CLE_PSEUDO is not set."""
        return self.data_dir / "cle_pseudonymisation.txt"


def settings() -> Settings:
    env = os.environ.get("OBSERVATOIRE_DATA")
    return Settings(data_dir=Path(env).resolve() if env else PROJECT_DIR / "data")


def reference_date() -> date:
    """The observatory's "today": OBSERVATOIRE_DATE_REFERENCE (AAAA-MM-JJ) if set, else today. Freshness is
    measured at this date, and an extract dated after it waits (ingestion)."""
    value = os.environ.get(REFERENCE_DATE_ENV, "").strip()
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{REFERENCE_DATE_ENV} invalide « {value} » (attendu AAAA-MM-JJ).") from None
