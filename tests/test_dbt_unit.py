"""The dbt unit tests of the formulas (tension, délais, taux, aides moyennes, secret statistique).

dbt unit tests need the upstream relations built (for types and for the diffusion macro's introspection): they
run against a writable copy of the demo warehouse, which keeps the name observatoire.duckdb because its views
name that catalog.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from observatoire.settings import PROJECT_DIR


def test_dbt_unit_tests_pass(demo, tmp_path):
    copy = tmp_path / "observatoire.duckdb"
    shutil.copyfile(demo.published, copy)
    copy.chmod(0o644)
    env = {**demo.env, "OBSERVATOIRE_ENTREPOT": str(copy)}
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), "test", "--select", "test_type:unit", "--project-dir", str(PROJECT_DIR), "--profiles-dir",
         str(PROJECT_DIR), "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=600, cwd=os.fspath(tmp_path))
    assert result.returncode == 0, result.stdout[-6000:]
    assert "PASS=" in result.stdout and " ERROR=0" in result.stdout
