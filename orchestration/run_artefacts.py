"""What every refresh run leaves, however it was started (command line, Dagster UI, sensor, schedule): the wall
time of its steps, the GX Data Docs of its checks and the quality report (data/rapports/qualite.html). The
command line calls `write` once its run is over; the daemon's run-status sensors (orchestration/sensors.py)
call it for the other runs."""

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from dagster import DagsterEventType, DagsterInstance, DagsterRunStatus

from observatoire import alerts
from observatoire.quality import report as quality_report
from observatoire.quality.data_docs import publish_run_data_docs
from observatoire.settings import QUALITY_REPORT, settings


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    published: bool
    error: str
    report: quality_report.Rapport
    html_report: Path


def write(instance: DagsterInstance, run_id: str, steps_file: Path | None = None) -> RunOutcome:
    s = settings()
    run = instance.get_run_by_id(run_id)
    stats = instance.get_run_stats(run_id)
    started = datetime.fromtimestamp(stats.start_time or stats.launch_time or datetime.now().timestamp())
    events = [e.dagster_event for e in instance.all_logs(run_id) if e.dagster_event]
    if steps_file is not None:
        _write_step_times(instance, run_id, steps_file)
    publish_run_data_docs(s.reports_dir)
    published = any(e.event_type == DagsterEventType.ASSET_MATERIALIZATION
                    and e.asset_key.path == ["entrepot_publie"] for e in events)
    checks = [_check(e.event_specific_data) for e in events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION]
    success = run is not None and run.status == DagsterRunStatus.SUCCESS
    blocking = [f"{c.cible} {c.nom} : {c.resume}" for c in checks if not c.reussi and c.severite == "ERROR"]
    error = "" if success else (
        "contrôle(s) bloquant(s) en échec : " + " ; ".join(blocking) if blocking else _failure_summary(events))
    report = quality_report.build(s.published if published else s.warehouse, started, published,
                                  s.published, checks, error, depot=s.depot_dir)
    text = alerts.message(published, error, checks)
    report.alerte = alerts.send(text) if text else \
        "Aucune alerte : actualisation publiée, contrôles et fraîcheur en règle."
    html_report = quality_report.write_html(report, s.reports_dir / QUALITY_REPORT)
    return RunOutcome(run_id, success, published, error, report, html_report)


def _write_step_times(instance: DagsterInstance, run_id: str, path: Path) -> None:
    """Wall time of each step of the run, beside its log (read by `observatoire bench`)."""
    steps = {s.step_key: round(s.end_time - s.start_time, 3) for s in instance.get_run_step_stats(run_id)
             if s.start_time and s.end_time}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"run_id": run_id, "etapes": steps}, indent=1), encoding="utf-8")


def _check(evaluation) -> quality_report.Controle:
    metadata = {k: getattr(v, "value", v) for k, v in evaluation.metadata.items()}
    return quality_report.Controle(
        cible="/".join(evaluation.asset_key.path), nom=evaluation.check_name, reussi=evaluation.passed,
        severite=evaluation.severity.value, resume=str(metadata.get("resume", "")))


def _failure_summary(events) -> str:
    messages = []
    for event in events:
        if event.event_type != DagsterEventType.STEP_FAILURE:
            continue
        message = event.step_failure_data.error.message.strip() if event.step_failure_data else ""
        messages.append(f"étape {event.step_key} en échec" + (f" ({message.splitlines()[0][:300]})" if message else ""))
    return " ; ".join(messages) or "contrôle bloquant en échec"
