"""DuckDB connections and the publication of the warehouse and of the diffusion file.

The excel and encodings extensions come from PyPI wheels (duckdb-ext-*) because DuckDB's extension
repository is not reachable here; they are loaded from the wheel's folder, never downloaded.
"""

from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import duckdb

from . import permissions

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


def attach(con, path: Path | str, alias: str, read_only: bool = False) -> None:
    """Attach another DuckDB file to ``con`` under ``alias``."""
    options = " (READ_ONLY)" if read_only else ""
    con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS {alias}{options}")


def reset_working_copy(working: Path, published: Path | None) -> None:
    """Start a refresh from the last published state (write-audit-publish), or from an empty warehouse
    when ``published`` is None (a key rotation rebuilds everything from the dépôt).

    Whatever a failed or killed refresh left in the working file is discarded: files it loaded are loaded
    again, and blocked again until they are fixed, instead of slipping into the next publication.
    """
    permissions.protect_folder(working.parent)
    for leftover in (working, working.with_name(working.name + ".wal")):
        leftover.unlink(missing_ok=True)
    if published is None:  # an empty warehouse, so that no step starts again from the published one
        duckdb.connect(str(working)).close()
    elif published.exists():
        tmp = working.with_name(working.name + ".copie")
        shutil.copyfile(published, tmp)
        permissions.protect_file(tmp)
        os.replace(tmp, working)


def publish(working: Path, published: Path, diffusion: Path) -> Path:
    """Replace the published warehouse and the diffusion file by those of the audited working warehouse.

    The diffusion file is built first, beside the published one (``diffusion_file.build``), and checked. Then
    the working file, checkpointed and made read-only for the team (0640), is renamed over the published one,
    and the new diffusion file over the old one (same file system): readers holding an old file keep reading
    it, new readers get the new one. A failure or a kill before the first rename leaves both published files
    as they were; between the two renames (two system calls), the published warehouse is the new one and the
    diffusion file the previous publication's, whole and consistent: the diffusion file is never ahead of the
    warehouse it comes from, and the next publication replaces it. The next refresh starts from a copy of the
    published warehouse.
    """
    from . import diffusion_file

    diffusion_file.check_name(diffusion)
    for folder in (working.parent, published.parent):
        permissions.protect_folder(folder)
    diffusion.parent.mkdir(parents=True, exist_ok=True)  # may be a folder shared with partners: left as it is
    con = connect(working)
    con.execute("CHECKPOINT")
    con.close()
    fsync(working)
    staged = diffusion_file.build(working, diffusion.with_name(diffusion.name + ".nouveau"))
    permissions.protect_file(working)
    try:
        os.replace(working, published)
    except OSError:  # published elsewhere (another file system): copy next to it, then rename
        tmp = published.with_name(published.name + ".copie")
        shutil.copyfile(working, tmp)
        fsync(tmp)
        permissions.protect_file(tmp)
        os.replace(tmp, published)
        working.unlink()
    os.replace(staged, diffusion)
    for folder in {published.parent, diffusion.parent, working.parent}:
        _fsync_dir(folder)
    return published


def fsync(path: Path) -> None:
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
