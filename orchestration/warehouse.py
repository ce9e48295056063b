"""DuckDB connections and the publication of the warehouse.

The excel and encodings extensions come from PyPI wheels (duckdb-ext-*) because DuckDB's extension
repository is not reachable here; they are loaded from the wheel's folder, never downloaded.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import duckdb

EXTENSIONS = ("excel", "encodings")


def _extension_file(name: str) -> Path:
    import duckdb_ext  # namespace package shipped by the duckdb-ext-* wheels

    for base in duckdb_ext.__path__:
        for candidate in Path(base, "extensions").glob(f"v{duckdb.__version__}/*/{name}.duckdb_extension"):
            return candidate
    raise RuntimeError(
        f"Extension DuckDB « {name} » introuvable pour duckdb {duckdb.__version__} : "
        f"installer le paquet duckdb-ext-{name} de la même version."
    )


def connect(path: Path | str = ":memory:", read_only: bool = False, extensions: bool = False):
    """Open DuckDB; with ``extensions`` load the readers for .xlsx and Windows-1252 files."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path), read_only=read_only, config={"autoinstall_known_extensions": False,
                                                                 "autoload_known_extensions": False})
    if extensions:
        for name in EXTENSIONS:
            con.execute(f"LOAD '{_extension_file(name)}'")
    return con


def publish(working: Path, published: Path) -> Path:
    """Replace the published file atomically by a read-only copy of the working warehouse.

    The copy is written next to its destination, flushed, then renamed over it: readers holding the old
    file keep reading it, new readers get the new one, and a crash at any point leaves one of the two.
    """
    published.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(working))
    con.execute("CHECKPOINT")
    con.close()
    fd, tmp_name = tempfile.mkstemp(prefix=".observatoire-", suffix=".tmp", dir=published.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out, open(working, "rb") as src:
            shutil.copyfileobj(src, out, length=16 * 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        tmp.chmod(0o444)
        os.replace(tmp, published)
        dir_fd = os.open(published.parent, os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    finally:
        if tmp.exists():
            tmp.unlink()
    return published
