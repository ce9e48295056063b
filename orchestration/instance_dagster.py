"""The Dagster instance of the observatory: run history in DAGSTER_HOME, shared by `observatoire actualiser`
and `make dev` (the UI shows the command line's runs).

Dagster's SQLite event log opens a new SQLAlchemy engine and connection for every event it stores (4 to 5 per
event: run shard, index shard, asset tables), and each commit waits for the disk. A refresh stores about
1,600 events (one per dbt model, seed and test, plus logs): 11 s of a 53 s refresh at scale 1, profiled.
`EventLogSqlite` keeps one engine per shard open and writes through SQLite's write-ahead log; the files and
their schema are Dagster's own.

`python -m orchestration.instance_dagster` prepares DAGSTER_HOME and the dbt manifest (used by `make dev` and
the services of deploy/).
"""

from __future__ import annotations

import json
import os
import sys
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine

OPEN_SHARDS = 8  # the index shard and the runs being written or viewed; older engines are disposed


def dagster_yaml(home: Path) -> str:
    return f"""\
# Written by orchestration/instance_dagster.py (rewritten when it differs).
telemetry:
  enabled: false
run_coordinator:  # one refresh at a time: the daemon queues the runs of the sensor, the schedule and the UI
  module: dagster.core.run_coordinator
  class: QueuedRunCoordinator
  config:
    max_concurrent_runs: 1
event_log_storage:  # Dagster's default place for the event log, with the class below
  module: orchestration.instance_dagster
  class: EventLogSqlite
  config:
    base_dir: {json.dumps(str(home.resolve() / "history" / "runs"))}
"""


def _write_ahead_log(dbapi_connection, _record) -> None:
    """A commit appends to the write-ahead log without waiting for the disk (0.9 ms -> 0.06 ms per commit):
    a crash of the machine may lose the last events, never corrupt the database; readers (the UI) never
    wait for the writer."""
    dbapi_connection.execute("PRAGMA journal_mode=WAL")
    dbapi_connection.execute("PRAGMA synchronous=NORMAL")


class EventLogSqlite(SqliteEventLogStorage):
    """Dagster's SQLite event log with one engine kept open per shard (run or index database)."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> EventLogSqlite:
        return cls(inst_data=inst_data, **config_value)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        with self._db_lock:
            engine = self._engines.get(shard)
            if engine is None:  # pooled connections, kept open between events
                engine = create_engine(self.conn_string_for_shard(shard), connect_args={
                    "timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
                event.listen(engine, "connect", _write_ahead_log)
                if shard not in self._initialized_dbs:
                    self._initdb(engine)
                    self._initialized_dbs.add(shard)
                self._engines[shard] = engine
                while len(self._engines) > OPEN_SHARDS:
                    self._engines.popitem(last=False)[1].dispose()
            self._engines.move_to_end(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _dispose_engines(self) -> None:
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()

    def wipe(self) -> None:
        self._dispose_engines()  # the run databases are deleted: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()


def prepare_home(home: Path) -> None:
    """Create DAGSTER_HOME and its dagster.yaml."""
    home.mkdir(parents=True, exist_ok=True)
    config, wanted = home / "dagster.yaml", dagster_yaml(home)
    if not config.exists() or config.read_text(encoding="utf-8") != wanted:
        config.write_text(wanted, encoding="utf-8")


if __name__ == "__main__":
    if "DAGSTER_HOME" not in os.environ:
        sys.exit("DAGSTER_HOME n'est pas défini.")
    prepare_home(Path(os.environ["DAGSTER_HOME"]))
    from observatoire.cli import ensure_dbt_manifest

    ensure_dbt_manifest()  # the definitions read dbt's manifest when they are loaded (daemon, webserver, make dev)
