"""Shared fixtures: one small demo refreshed end to end, reused by every pipeline test."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# The demo at the scale of the Pas-de-Calais (calibration on annexe 4 is checked at this scale), up to mid-2024.
DEMO_SCALE = 1.0
DEMO_SEED = 62
DEMO_UNTIL = "2024-06"
KEY = "cle-de-test-pipeline"
FRESHNESS_DATE = "2024-07-20"


@dataclass
class Demo:
    data_dir: Path
    env: dict[str, str]
    rows_written: dict[str, int]

    @property
    def published(self) -> Path:
        return self.data_dir / "publie" / "observatoire.duckdb"

    @property
    def diffusion(self) -> Path:
        """The diffusion file: what partners, the Evidence site and the dossier open."""
        return self.data_dir / "publie" / "observatoire_diffusion.duckdb"

    @property
    def depot(self) -> Path:
        return self.data_dir / "depot"

    def observatoire(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "observatoire.cli", *args], env={**self.env, **env},
                                capture_output=True, text=True, timeout=900)
        if check and result.returncode != 0:
            raise AssertionError(f"observatoire {' '.join(args)} a échoué ({result.returncode}) :\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
        return result


def demo_environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OBSERVATOIRE_", "DAGSTER_"))}
    # Freshness is judged on the demo's own calendar (its data stop mid-2024), not on today's date.
    env.update(OBSERVATOIRE_DATA=str(data_dir), OBSERVATOIRE_CLE_PSEUDO=KEY, DO_NOT_TRACK="1",
               GX_ANALYTICS_ENABLED="False", OBSERVATOIRE_DATE_REFERENCE=FRESHNESS_DATE)
    return env


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    from observatoire.demo import generate

    reuse = os.environ.get("OBSERVATOIRE_TEST_DEMO")
    if reuse:  # a developer's shortcut: test an already refreshed data folder (no generation, no refresh)
        return _existing_demo(Path(reuse))
    data_dir = tmp_path_factory.mktemp("demo")
    rows = generate(data_dir / "depot", echelle=DEMO_SCALE, graine=DEMO_SEED, jusqua=DEMO_UNTIL, progress=False)
    d = Demo(data_dir, demo_environment(data_dir), rows)
    d.refresh_output = d.observatoire("actualiser")
    return d


def _existing_demo(data_dir: Path) -> Demo:
    import duckdb

    con = duckdb.connect(str(data_dir / "publie" / "observatoire.duckdb"), read_only=True)
    rows = dict(con.execute("SELECT source, sum(nb_lignes_lues)::BIGINT FROM raw.journal_chargements "
                            "WHERE statut = 'CHARGE' GROUP BY 1").fetchall())
    con.close()
    d = Demo(data_dir, demo_environment(data_dir), rows)
    d.refresh_output = subprocess.CompletedProcess([], 0, "Actualisation terminée\nEntrepôt publié\n"
                                                   "Fichiers refusés : 0", "")
    return d
