"""Shared fixtures: one small demo refreshed end to end, reused by every pipeline test."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# A small but complete demo: every source, every year from 2018, a few seconds to generate.
DEMO_SCALE = 0.05
DEMO_SEED = 62
DEMO_UNTIL = "2024-06"
KEY = "cle-de-test-pipeline"


@dataclass
class Demo:
    data_dir: Path
    env: dict[str, str]
    rows_written: dict[str, int]

    @property
    def published(self) -> Path:
        return self.data_dir / "publie" / "observatoire.duckdb"

    @property
    def depot(self) -> Path:
        return self.data_dir / "depot"

    def observatoire(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run([sys.executable, "-m", "orchestration.cli", *args], env=self.env,
                                capture_output=True, text=True, timeout=900)
        if check and result.returncode != 0:
            raise AssertionError(f"observatoire {' '.join(args)} a échoué ({result.returncode}) :\n"
                                 f"{result.stdout[-3000:]}\n{result.stderr[-5000:]}")
        return result


def demo_environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OBSERVATOIRE_", "DAGSTER_"))}
    env.update(OBSERVATOIRE_DATA=str(data_dir), OBSERVATOIRE_CLE_PSEUDO=KEY, DO_NOT_TRACK="1",
               GX_ANALYTICS_ENABLED="False")
    return env


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> Demo:
    from orchestration.demo import generate

    data_dir = tmp_path_factory.mktemp("demo")
    rows = generate(data_dir / "depot", echelle=DEMO_SCALE, graine=DEMO_SEED, jusqua=DEMO_UNTIL, progress=False)
    d = Demo(data_dir, demo_environment(data_dir), rows)
    d.refresh_output = d.observatoire("actualiser")
    return d
