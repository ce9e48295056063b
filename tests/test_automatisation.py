"""The observatory runs itself: the dépôt sensor, the monthly schedule, the layout of the Dagster code."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from dagster import AssetKey, DagsterInstance, RunRequest, SkipReason, build_sensor_context

from observatoire.cli import ensure_dbt_manifest
from observatoire.settings import PROJECT_DIR


@pytest.fixture()
def depot(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("OBSERVATOIRE_DATA", str(tmp_path))
    monkeypatch.setenv("OBSERVATOIRE_DEPOT_STABILITE_S", "30")
    folder = tmp_path / "depot" / "fsl"
    folder.mkdir(parents=True)
    return tmp_path / "depot"


def _tick(cursor: str | None):
    from orchestration.sensors import depot_extractions

    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(cursor=cursor, instance=instance)
        result = depot_extractions(context)
        return result, context.cursor


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_a_file_being_copied_waits_and_a_complete_one_starts_one_run(depot):
    first = depot / "fsl" / "fsl_2024-06_extrait_2024-07-05.csv"
    first.write_text("a;b\n1;2\n", encoding="utf-8")  # just written: may still be copied
    (depot / "fsl" / ".~lock.fsl.csv#").write_text("x", encoding="utf-8")  # an office lock: never a file to load
    result, cursor = _tick(None)
    assert isinstance(result, SkipReason) and "en cours d'écriture" in result.skip_message and not cursor
    _age(first, 120)
    result, cursor = _tick(None)
    assert isinstance(result, RunRequest) and result.tags["observatoire/fichiers"] == "1"
    # the same dépôt again: nothing new
    again, same_cursor = _tick(cursor)
    assert isinstance(again, SkipReason) and "Aucune extraction nouvelle" in again.skip_message
    assert same_cursor == cursor


def test_a_touched_file_starts_nothing_and_a_new_content_starts_a_new_run(depot):
    path = depot / "fsl" / "fsl_2024-06_extrait_2024-07-05.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    _age(path, 120)
    first, cursor = _tick(None)
    _age(path, 90)  # touched (a copy over itself), same bytes
    touched, cursor = _tick(cursor)
    assert isinstance(touched, SkipReason)
    path.write_text("a;b\n1;3\n", encoding="utf-8")
    _age(path, 60)
    changed, _ = _tick(cursor)
    assert isinstance(changed, RunRequest) and changed.run_key != first.run_key


def test_a_delivery_still_arriving_holds_back_its_complete_files(depot):
    done = depot / "fsl" / "fsl_2024-05_extrait_2024-06-05.csv"
    done.write_text("a\n1\n", encoding="utf-8")
    _age(done, 300)
    (depot / "fsl" / "fsl_2024-06_extrait_2024-07-05.csv").write_text("a\n", encoding="utf-8")  # arriving
    result, cursor = _tick(None)
    assert isinstance(result, SkipReason) and "fsl/fsl_2024-06_extrait_2024-07-05.csv" in result.skip_message
    assert not cursor  # the complete file is not recorded either: the delivery starts one run when it is over


def test_the_definitions_assemble_a_sensor_a_monthly_schedule_and_layer_groups():
    ensure_dbt_manifest()
    from orchestration.definitions import defs

    schedule = defs.resolve_schedule_def("actualisation_mensuelle")
    assert schedule.cron_schedule == "0 6 1 * *" and schedule.job_name == "actualisation"
    assert defs.resolve_sensor_def("depot_extractions").job_name == "actualisation"
    graph = defs.resolve_asset_graph()
    groups = {key: graph.get(key).group_name for key in [
        AssetKey(["staging", "stg_fsl__demandes_aide"]), AssetKey(["intermediate", "int_fsl__decisions"]),
        AssetKey(["marts", "fsl_indicateurs"]), AssetKey(["diffusion", "diffusion_fsl_indicateurs"]),
        AssetKey(["referentiel", "communes"]), AssetKey(["raw", "fsl"])]}
    assert list(groups.values()) == ["preparation", "intermediaire", "indicateurs", "diffusion", "referentiels",
                                     "ingestion"]
    assert len((PROJECT_DIR / "orchestration" / "definitions.py").read_text(encoding="utf-8").splitlines()) < 60


API_RUN = """
from dagster import DagsterEventType, DagsterInstance, build_run_status_sensor_context
from observatoire.cli import _environment, ensure_dbt_manifest
_environment()
ensure_dbt_manifest()
from orchestration.definitions import defs
with DagsterInstance.get() as instance:
    result = defs.resolve_job_def("actualisation").execute_in_process(instance=instance, raise_on_error=False)
    run = instance.get_run_by_id(result.run_id)
    (end,) = instance.all_logs(result.run_id, of_type=DagsterEventType.RUN_SUCCESS)
    # what the daemon does once the run is over: the run-status sensor of its status
    sensor = defs.resolve_sensor_def("artefacts_success")
    sensor(build_run_status_sensor_context(sensor_name=sensor.name, dagster_instance=instance, dagster_run=run,
                                           dagster_event=end.dagster_event))
print("succes" if result.success else "echec")
"""


def _report_text(path: Path) -> str:
    """The quality report without what differs between two runs of the same content (dates, times, ids)."""
    import re

    return re.sub(r"\d", "#", path.read_text(encoding="utf-8"))


def test_a_run_through_dagsters_api_writes_the_same_artefacts_as_the_command_line(demo, tmp_path):
    import shutil
    import subprocess
    import sys

    folder = tmp_path / "donnees"
    shutil.copytree(demo.data_dir, folder, ignore=shutil.ignore_patterns("entrepot", "journaux", "rapports"))
    env = {**demo.env, "OBSERVATOIRE_DATA": str(folder)}
    api = subprocess.run([sys.executable, "-c", API_RUN], env=env, capture_output=True, text=True, timeout=900)
    assert api.returncode == 0 and api.stdout.strip().endswith("succes"), api.stdout[-2000:] + api.stderr[-4000:]
    report, docs = folder / "rapports" / "qualite.html", folder / "rapports" / "gx" / "index.html"
    assert report.exists() and docs.exists()
    from_api = _report_text(report)
    assert "qualité de l'actualisation" in from_api
    report.unlink()
    shutil.rmtree(folder / "rapports" / "gx")
    cli = subprocess.run([sys.executable, "-m", "observatoire.cli", "actualiser"], env=env, capture_output=True,
                         text=True, timeout=900)
    assert cli.returncode == 0, cli.stdout[-2000:] + cli.stderr[-4000:]
    assert docs.exists() and _report_text(report) == from_api
    # per-stage progress, as plain lines when the output is not a terminal: every source, every dbt model and
    # seed of the manifest (kept or rebuilt), publication, dossier
    import json

    nodes = json.loads((PROJECT_DIR / "target" / "manifest.json").read_text(encoding="utf-8"))["nodes"].values()
    total = sum(n["resource_type"] in ("model", "seed") for n in nodes)
    shown = cli.stdout
    assert "] ingestion : fsl : " in shown and "] ingestion : ccapex : " in shown and "lignes chargées" in shown
    assert f"] dbt : {total}/{total} modèles et seeds construits" in shown, shown
    assert "] publication : entrepôt publié" in shown and "] dossier : dossier du COTECH construit" in shown


def _copy(demo, folder: Path, **env: str) -> dict[str, str]:
    import shutil

    shutil.copytree(demo.data_dir, folder, ignore=shutil.ignore_patterns("entrepot", "journaux", "rapports"))
    return {**demo.env, "OBSERVATOIRE_DATA": str(folder), **env}


def test_at_its_first_tick_the_sensor_leaves_what_the_warehouse_already_processed(demo, tmp_path, monkeypatch):
    folder = tmp_path / "donnees"
    for key, value in _copy(demo, folder).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("OBSERVATOIRE_DEPOT_STABILITE_S", "30")
    result, cursor = _tick(None)  # copied files: new inodes, the same contents as those published
    assert isinstance(result, SkipReason) and "Aucune extraction nouvelle" in result.skip_message, result
    assert cursor
    extra = folder / "depot" / "fsl" / "fsl_2024-07_extrait_2024-08-05.csv"
    extra.write_bytes(next((folder / "depot" / "fsl").glob("fsl_2024-06*")).read_bytes() + b"\n")
    _age(extra, 120)
    result, _ = _tick(cursor)
    assert isinstance(result, RunRequest) and result.tags["observatoire/fichiers"] == "1"


def test_a_file_dropped_while_the_daemon_runs_is_published_and_reported(demo, tmp_path):
    """The documented set-up (docs/exploitation.md): dagster-daemon runs the sensor, which starts the refresh,
    whose run-status sensor writes the quality report. Nobody types a command after dropping the files."""
    import shutil
    import signal
    import subprocess
    import sys

    import duckdb

    from observatoire.demo import generate

    generated = tmp_path / "mois_suivant"
    generate(generated, echelle=1.0, graine=62, jusqua="2024-07", progress=False)
    folder = tmp_path / "donnees"
    env = _copy(demo, folder, DAGSTER_HOME=str(tmp_path / "dagster"), OBSERVATOIRE_DEPOT_STABILITE_S="1",
                OBSERVATOIRE_DATE_REFERENCE="2024-08-20")
    new = [p.relative_to(generated) for p in generated.rglob("*") if p.is_file() and "2024-07" in p.name
           and not (folder / "depot" / p.relative_to(generated)).exists()]
    assert new
    bin_dir = Path(sys.executable).parent
    subprocess.run([sys.executable, "-m", "orchestration.instance_dagster"], env=env, check=True, timeout=300)
    daemon = subprocess.Popen([str(bin_dir / "dagster-daemon"), "run", "-m", "orchestration.definitions"],
                              env=env, cwd=PROJECT_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        for rel in new:
            shutil.copy(generated / rel, folder / "depot" / rel)
        names = sorted(rel.name for rel in new)
        report = folder / "rapports" / "qualite.html"
        deadline = time.time() + 600
        loaded: list[str] = []
        while time.time() < deadline:
            time.sleep(5)
            published = folder / "publie" / "observatoire.duckdb"
            try:
                with duckdb.connect(str(published), read_only=True) as con:
                    loaded = sorted(r[0] for r in con.execute(
                        "SELECT fichier FROM raw.journal_chargements WHERE statut = 'CHARGE' "
                        "AND fichier IN (SELECT unnest(?::VARCHAR[]))", [names]).fetchall())
            except duckdb.Error:
                continue  # being replaced
            if loaded == names and report.exists():
                break
        assert loaded == names, f"publiés : {loaded} sur {names}"
        assert report.exists() and "Entrepôt publié" in report.read_text(encoding="utf-8")
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)


def test_while_a_refresh_holds_the_warehouse_the_sensor_waits_and_another_run_is_refused(depot, tmp_path):
    from dagster import Failure, build_init_resource_context

    from observatoire.settings import settings
    from observatoire.warehouse import refresh_lock
    from orchestration.resources import WarehouseResource

    path = depot / "fsl" / "fsl_2024-06_extrait_2024-07-05.csv"
    path.write_text("a;b\n1;2\n", encoding="utf-8")
    _age(path, 120)
    resource = WarehouseResource.from_settings(settings())
    with refresh_lock(settings().warehouse):  # a command-line refresh, say
        result, cursor = _tick(None)
        assert isinstance(result, SkipReason) and "actualisation est en cours" in result.skip_message
        assert not cursor  # examined once the refresh is over
        with pytest.raises(Failure, match="Actualisation refusée : une actualisation est déjà en cours"):
            with resource.yield_for_execution(build_init_resource_context()):
                pass
    result, _ = _tick(None)
    assert isinstance(result, RunRequest)
    with resource.yield_for_execution(build_init_resource_context()) as held:  # the lock is free again
        assert held is resource
