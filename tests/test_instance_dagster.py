"""The Dagster instance of `observatoire actualiser` and `make dev`: runs kept in DAGSTER_HOME, their events
written through one open engine per database."""

from __future__ import annotations

import sqlalchemy
from dagster import DagsterInstance, asset, materialize

import orchestration.instance_dagster as instance_dagster
from orchestration.instance_dagster import EventLogSqlite, prepare_home


@asset
def petit_actif(context):
    for i in range(20):
        context.log.info(f"message {i}")
    return 1


def test_runs_are_stored_and_read_back_by_a_new_instance(tmp_path, monkeypatch):
    home = tmp_path / "dagster"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    prepare_home(home)
    prepare_home(home)  # idempotent
    engines = []
    monkeypatch.setattr(instance_dagster, "create_engine",
                        lambda *a, **k: engines.append(a) or sqlalchemy.create_engine(*a, **k))
    with DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, EventLogSqlite)
        result = materialize([petit_actif], instance=instance)
        assert result.success
        assert len(instance.all_logs(result.run_id)) > 30
    assert len(engines) <= 2  # one per database written (the run's and the index), not one per event
    with DagsterInstance.get() as reopened:  # as the UI of `make dev` reads the command line's runs
        logs = [e.user_message for e in reopened.all_logs(result.run_id)]
        assert sum(m.startswith("message ") for m in logs) == 20
        assert reopened.get_latest_materialization_event(petit_actif.key) is not None
        reopened.wipe()  # the run databases are deleted: no engine may keep them open
        assert reopened.all_logs(result.run_id) == []
