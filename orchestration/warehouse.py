"""DuckDB connections and the publication of the warehouse.

The excel and encodings extensions come from PyPI wheels (duckdb-ext-*) because DuckDB's extension
repository is not reachable here; they are loaded from the wheel's folder, never downloaded.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import duckdb

CHECKPOINT_THRESHOLD = "4GB"
_EXTENSION_LOCK = threading.Lock()
# DuckDB's own default (80 % of the machine's memory) would let its cache fill the machine at national scale;
# beyond this limit it spills to disk. dbt reads the same variable (profiles.yml).
MEMORY_LIMIT_ENV = "OBSERVATOIRE_MEMOIRE_DUCKDB"
MEMORY_LIMIT_DEFAULT = "2GB"


def _extension_file(name: str) -> Path:
    import duckdb_ext  # namespace package shipped by the duckdb-ext-* wheels

    for base in duckdb_ext.__path__:
        for candidate in Path(base, "extensions").glob(f"v{duckdb.__version__}/*/{name}.duckdb_extension"):
            return candidate
    raise RuntimeError(
        f"Extension DuckDB « {name} » introuvable pour duckdb {duckdb.__version__} : "
        f"installer le paquet duckdb-ext-{name} de la même version."
    )


def load_extension(con, name: str) -> None:
    """Load a reader extension (``excel`` for .xlsx, ``encodings`` for Windows-1252) into ``con``'s database.

    Loaded on demand: the encodings extension weighs 350 MB and takes 0.7 s to load. One load at a time: the
    loader's workers share a database."""
    with _EXTENSION_LOCK:
        con.execute(f"LOAD '{_extension_file(name)}'")


def connect(path: Path | str = ":memory:", read_only: bool = False):
    """Open DuckDB with a bounded memory."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
              "memory_limit": os.environ.get(MEMORY_LIMIT_ENV) or MEMORY_LIMIT_DEFAULT}
    if not read_only:
        # The working copy is checkpointed when the connection closes and again before publication:
        # checkpointing after every file's commit (DuckDB's 16 MB default) would only rewrite it repeatedly.
        config["checkpoint_threshold"] = CHECKPOINT_THRESHOLD
    return duckdb.connect(str(path), read_only=read_only, config=config)


def has_table(con, schema: str, table: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?",
                            [schema, table]).fetchone()[0])


def latest_recorded(con, table: str, column: str, order_by: str):
    """The latest ``column`` of a ledger table ``schema.table`` by ``order_by``; None when it has no row yet
    (or does not exist)."""
    schema, name = table.split(".")
    if not has_table(con, schema, name):
        return None
    row = con.execute(f"SELECT {column} FROM {table} ORDER BY {order_by} DESC LIMIT 1").fetchone()
    return row[0] if row else None


def reset_working_copy(working: Path, published: Path | None) -> None:
    """Start a refresh from the last published state (write-audit-publish), or from an empty warehouse
    when ``published`` is None (a key rotation rebuilds everything from the dépôt).

    Whatever a failed or killed refresh left in the working file is discarded: files it loaded are loaded
    again, and blocked again until they are fixed, instead of slipping into the next publication.
    """
    working.parent.mkdir(parents=True, exist_ok=True)
    for leftover in (working, working.with_name(working.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if published is None:  # an empty warehouse, so that no step starts again from the published one
        duckdb.connect(str(working)).close()
    elif published.exists():
        tmp = working.with_name(working.name + ".copie")
        shutil.copyfile(published, tmp)
        tmp.chmod(0o644)
        os.replace(tmp, working)


def publish(working: Path, published: Path) -> Path:
    """Replace the published file atomically by the audited working warehouse, read-only.

    The working file is checkpointed, made read-only and renamed over the published one (same file system):
    readers holding the old file keep reading it, new readers get the new one, and a crash at any point
    leaves one of the two whole. The next refresh starts from a copy of it.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(working))
    con.execute("CHECKPOINT")
    con.close()
    _fsync(working)
    working.chmod(0o444)
    try:
        os.replace(working, published)
    except OSError:  # published elsewhere (another file system): copy next to it, then rename
        tmp = published.with_name(published.name + ".copie")
        shutil.copyfile(working, tmp)
        _fsync(tmp)
        tmp.chmod(0o444)
        os.replace(tmp, published)
        working.unlink()
    _fsync_dir(published.parent)
    _fsync_dir(working.parent)
    return published


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
