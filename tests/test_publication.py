"""Write-audit-publish on the demo: a blocked, failed or killed refresh never touches the published files (the
internal warehouse and the diffusion file), and readers of the published files never see a lock error."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time

import duckdb
import pytest

from tests.conftest import FRESHNESS_DATE
from tests.test_artefacts import assert_only_what_partners_may_get, mode


def checksum(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def checksums(demo):
    return checksum(demo.published), checksum(demo.diffusion)


def readable(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM diffusion.portrait_territoire").fetchone()[0] > 0
    finally:
        con.close()


def test_all_checks_pass_on_the_clean_demo(demo):
    out = demo.refresh_output.stdout
    assert " 0 échec(s) bloquant(s)" in out and "Entrepôt publié" in out
    validation = json.loads((demo.data_dir / "rapports" / "qualite" / "derniere_validation.json").read_text())
    assert validation  # GX results of the run, behind the Data Docs
    assert (demo.data_dir / "rapports" / "gx" / "index.html").exists()
    assert (demo.data_dir / "rapports" / "qualite.html").exists()


def test_a_blocking_failure_leaves_the_published_file_unchanged(demo):
    before = checksums(demo)
    # Judged on today's date, the demo's extracts (mid-2024) are far too old: freshness is an ERROR.
    result = demo.observatoire("actualiser", check=False, OBSERVATOIRE_DATE_REFERENCE="")
    assert result.returncode == 1, result.stdout[-2000:] + result.stderr[-2000:]
    assert "Publication bloquée" in result.stdout + result.stderr
    assert "fraicheur" in result.stdout + result.stderr
    assert checksums(demo) == before and readable(demo.published) and readable(demo.diffusion)
    html = (demo.data_dir / "rapports" / "qualite.html").read_text(encoding="utf-8")
    assert "Publication bloquée" in html


def _started_since(pattern, since: float) -> bool:
    return any(p.stat().st_mtime >= since for p in pattern[0].glob(pattern[1]))


def _log_since(demo, since: float) -> str:
    logs = [p for p in (demo.data_dir / "journaux").glob("actualisation_*.log") if p.stat().st_mtime >= since]
    return "".join(p.read_text(encoding="utf-8", errors="replace") for p in logs)


@pytest.mark.parametrize("moment", ["demarrage", "ingestion", "dbt"])
def test_killing_the_refresh_leaves_the_published_file_unchanged(demo, moment):
    before = checksums(demo)
    started = time.time()
    reached = {  # the refresh is killed as soon as it has reached this moment
        "demarrage": lambda: time.time() - started > 2,
        "ingestion": lambda: _started_since((demo.data_dir / "entrepot", "*.duckdb"), started),  # working copy
        "dbt": lambda: "Construction dbt" in _log_since(demo, started),  # nothing new: dbt itself not started
    }[moment]
    process = subprocess.Popen([sys.executable, "-m", "observatoire.cli", "actualiser"], env=demo.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while not reached():
        assert process.poll() is None, f"the refresh ended before reaching {moment}"
        assert time.time() - started < 300
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)  # the refresh and its children (dbt), as a crash would
    process.wait()
    assert checksums(demo) == before and readable(demo.published) and readable(demo.diffusion)


def test_the_next_refresh_after_a_kill_succeeds(demo):
    result = demo.observatoire("actualiser", check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert readable(demo.published) and readable(demo.diffusion)
    assert_only_what_partners_may_get(demo.diffusion, demo.published)
    assert (mode(demo.published), mode(demo.published.parent), mode(demo.diffusion)) == (0o640, 0o750, 0o644)


def test_a_reader_holding_the_published_file_gets_no_error_during_a_refresh(demo):
    reader = duckdb.connect(str(demo.published), read_only=True)
    partner = duckdb.connect(str(demo.diffusion), read_only=True)
    errors, counts = [], []
    done = threading.Event()

    def read_continuously():
        while not done.is_set():
            try:
                counts.append(reader.execute("SELECT count(*) FROM diffusion.portrait_epci").fetchone()[0])
                partner.execute("SELECT count(*) FROM publication.fraicheur_sources").fetchone()
                fresh = duckdb.connect(str(demo.published), read_only=True)  # a new reader mid-refresh
                fresh.execute("SELECT count(*) FROM marts.portrait_departement").fetchone()
                fresh.close()
            except Exception as e:  # noqa: BLE001 - any error is what the test looks for
                errors.append(repr(e))
            time.sleep(0.2)

    thread = threading.Thread(target=read_continuously)
    thread.start()
    try:
        result = demo.observatoire("actualiser", check=False, OBSERVATOIRE_DATE_REFERENCE=FRESHNESS_DATE)
    finally:
        done.set()
        thread.join()
        reader.close()
        partner.close()
    assert result.returncode == 0, result.stderr[-2000:]
    assert not errors and len(counts) > 10
    assert_only_what_partners_may_get(demo.diffusion, demo.published)
