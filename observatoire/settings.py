"""Paths and settings, resolved from the package location and the environment (never the caller's cwd).

This is the one module that reads the observatory's environment variables: `settings()` reads them all at once
into a typed, frozen `Settings` and refuses a malformed value with a French message naming the variable. The
two keys are the exception: they are secrets, never held in an object that could be logged, and are read where
they are used (Dagster resolves the pseudonymisation key itself, as an `EnvVar` of the warehouse resource).
Every tool (Dagster, dbt, Evidence, tests) receives the same absolute warehouse path.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
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
# The environment variables of the observatory (README.md lists them for the users).
DATA_ENV = "OBSERVATOIRE_DATA"
WAREHOUSE_ENV = "OBSERVATOIRE_ENTREPOT"
PUBLISHED_ENV = "OBSERVATOIRE_PUBLIE"
DIFFUSION_ENV = "OBSERVATOIRE_DIFFUSION"
REFERENCE_DATE_ENV = "OBSERVATOIRE_DATE_REFERENCE"
MEMORY_LIMIT_ENV = "OBSERVATOIRE_MEMOIRE_DUCKDB"
GROUP_ENV = "OBSERVATOIRE_GROUPE"
STABILITY_ENV = "OBSERVATOIRE_DEPOT_STABILITE_S"
ALERTS_ENV = "OBSERVATOIRE_ALERTES"
SMTP_ENV = "OBSERVATOIRE_SMTP_"  # prefix: HOTE, PORT, EXPEDITEUR, UTILISATEUR, MOT_DE_PASSE, STARTTLS
SECRET_WIDTH_ENV = "OBSERVATOIRE_SECRET_LARGEUR_"  # suffix: INDIVIDUEL, FISCAL
SECRET_TIME_LIMIT_ENV = "OBSERVATOIRE_SECRET_LIMITE_S"
GEOJSON_COMMUNES_ENV = "OBSERVATOIRE_GEOJSON_COMMUNES"  # the IGN boundaries `make geographie` reads
# Secrets: only their names here.
PSEUDONYMISATION_KEY_ENV = "OBSERVATOIRE_CLE_PSEUDO"
ENCRYPTION_KEY_ENV = "OBSERVATOIRE_CLE_CHIFFREMENT"

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


class SettingsError(ValueError):
    """A malformed environment variable (French message naming it)."""


@dataclass(frozen=True)
class Smtp:
    """The mail server of the alerts (observatoire/alerts.py); no host, no mail."""

    hote: str = ""
    port: int = 25
    expediteur: str = "observatoire-pdalhpd62@localhost"
    utilisateur: str = ""
    mot_de_passe: str = field(default="", repr=False)
    starttls: bool = False


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    warehouse: Path  # the working warehouse the pipeline writes to
    published: Path  # the internal warehouse (everything), read-only for the observatory team's analysts
    diffusion: Path  # the diffusion file: partners, Evidence and the dossier open it
    alerts_file: Path  # recipients and webhook of the alerts (default <data>/alertes.toml)
    memory_limit: str = "2GB"  # of every DuckDB connection
    analysts_group: str = ""  # the Unix group given read access to the published files
    depot_stability_s: float = 60.0  # a dropped file is read once unchanged for this long (the dépôt sensor)
    smtp: Smtp = Smtp()
    secret_widths: dict[str, int] = field(default_factory=dict)  # the audit's protection widths, if not the thresholds
    secret_time_limit_s: float = 60.0  # the audit's time per group of linked masked cells
    geojson_communes: Path | None = None  # the IGN commune boundaries, if not the shared reference file

    @property
    def depot_dir(self) -> Path:
        """Where extracts are dropped: one folder per source."""
        return self.data_dir / "depot"

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


def _number(env: dict[str, str], name: str, default: float, kind: type = float, minimum: float = 0):
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not math.isfinite(value) or value < minimum:
        expected = "un entier" if kind is int else "un nombre"
        raise SettingsError(f"{name} = « {raw} » : {expected} supérieur ou égal à {minimum:g} est attendu.")
    return value


def settings(env: dict[str, str] | None = None) -> Settings:
    """The settings from the environment (or ``env``), read in one go."""
    env = dict(os.environ if env is None else env)

    def path(name: str) -> Path | None:
        return Path(env[name]).resolve() if env.get(name) else None

    data_dir = path(DATA_ENV) or PROJECT_DIR / "data"
    published = path(PUBLISHED_ENV) or data_dir / "publie" / "observatoire.duckdb"
    smtp = {k.removeprefix(SMTP_ENV): v for k, v in env.items() if k.startswith(SMTP_ENV)}
    return Settings(
        data_dir=data_dir,
        warehouse=path(WAREHOUSE_ENV) or data_dir / "entrepot" / "observatoire.duckdb",
        published=published,
        diffusion=path(DIFFUSION_ENV) or published.parent / "observatoire_diffusion.duckdb",
        memory_limit=env.get(MEMORY_LIMIT_ENV) or Settings.memory_limit,
        analysts_group=env.get(GROUP_ENV, "").strip(),
        depot_stability_s=_number(env, STABILITY_ENV, Settings.depot_stability_s),
        alerts_file=path(ALERTS_ENV) or data_dir / "alertes.toml",
        smtp=Smtp(hote=smtp.get("HOTE", ""), port=_number(env, f"{SMTP_ENV}PORT", Smtp.port, int, 1),
                  expediteur=smtp.get("EXPEDITEUR") or Smtp.expediteur, utilisateur=smtp.get("UTILISATEUR", ""),
                  mot_de_passe=smtp.get("MOT_DE_PASSE", ""), starttls=smtp.get("STARTTLS", "") == "1"),
        secret_widths={k: _number(env, f"{SECRET_WIDTH_ENV}{k.upper()}", 0, int, 1)
                       for k in ("individuel", "fiscal") if env.get(f"{SECRET_WIDTH_ENV}{k.upper()}", "").strip()},
        secret_time_limit_s=_number(env, SECRET_TIME_LIMIT_ENV, Settings.secret_time_limit_s),
        geojson_communes=path(GEOJSON_COMMUNES_ENV),
    )


def reference_date() -> date:
    """The observatory's "today": OBSERVATOIRE_DATE_REFERENCE (AAAA-MM-JJ) if set, else today. Freshness is
    measured at this date, and an extract dated after it waits (ingestion)."""
    value = os.environ.get(REFERENCE_DATE_ENV, "").strip()
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SettingsError(f"{REFERENCE_DATE_ENV} invalide « {value} » (attendu AAAA-MM-JJ).") from None
