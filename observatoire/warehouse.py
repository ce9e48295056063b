"""DuckDB connections and the publication of the warehouse and of the diffusion file.

The excel and encodings extensions come from PyPI wheels (duckdb-ext-*) because DuckDB's extension
repository is not reachable here; they are loaded from the wheel's folder, never downloaded.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import threading
from pathlib import Path

import duckdb

from observatoire.publication import permissions
from observatoire.settings import ENCRYPTION_KEY_ENV, settings

CHECKPOINT_THRESHOLD = "4GB"
_EXTENSION_LOCK = threading.Lock()


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


class WarehouseError(RuntimeError):
    """The warehouse cannot be opened as configured (French message for the user)."""


def encryption_key() -> str | None:
    """The internal warehouse's encryption key (OBSERVATOIRE_CLE_CHIFFREMENT), None when it is not encrypted.

    Only ever read from the environment: never written to a file, a log or a profile."""
    return os.environ.get(ENCRYPTION_KEY_ENV) or None


def connect(path: Path | str = ":memory:", read_only: bool = False, encrypted: bool = True):
    """Open DuckDB with a bounded memory.

    With ``encrypted`` (the internal warehouse) and OBSERVATOIRE_CLE_CHIFFREMENT set, the file is encrypted at
    rest: DuckDB opens an encrypted file only through ATTACH, so it is attached (under its stem, the name a
    plain file gets) to an in-memory database and made the default one; ``cursor`` keeps that default."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    config = {"autoinstall_known_extensions": False, "autoload_known_extensions": False,
              # DuckDB's own default (80 % of the machine) would let its cache fill the machine at national
              # scale; beyond this limit it spills to disk. dbt reads the same variable (profiles.yml).
              "memory_limit": settings().memory_limit}
    if not read_only:
        # The working copy is checkpointed when the connection closes and again before publication:
        # checkpointing after every file's commit (DuckDB's 16 MB default) would only rewrite it repeatedly.
        config["checkpoint_threshold"] = CHECKPOINT_THRESHOLD
    key = encryption_key() if encrypted and path != ":memory:" else None
    if key is None:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=config)
        except duckdb.CatalogException as e:
            raise _french(e, path) from None
    con = duckdb.connect(":memory:", config=config)
    alias = Path(path).stem
    attach(con, path, alias, read_only=read_only, key=key)
    con.execute("SET temp_file_encryption = true")  # what spills to disk is encrypted too
    con.execute(f'USE "{alias}"')
    return con


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


def cursor(con):
    """Another connection to ``con``'s database (its own TEMP objects), on the same default database."""
    database = con.execute("SELECT current_database()").fetchone()[0]
    other = con.cursor()
    other.execute(f'USE "{database}"')
    return other


def attach(con, path: Path | str, alias: str, read_only: bool = False, key: str | None = None) -> None:
    """Attach another DuckDB file to ``con`` under ``alias`` (encrypted with ``key`` when given)."""
    options = (["READ_ONLY"] if read_only else []) + ([f"ENCRYPTION_KEY {literal(key)}"] if key else [])
    if key:
        load_extension(con, "httpfs")  # DuckDB writes encrypted files only with the OpenSSL that httpfs brings
    try:
        con.execute(f"ATTACH {literal(str(path))} AS \"{alias}\"" + (f" ({', '.join(options)})" if options else ""))
    except (duckdb.CatalogException, duckdb.IOException) as e:
        raise _french(e, path) from None


def is_encrypted(path: Path) -> bool:
    """Whether a DuckDB file is encrypted (DuckDB refuses to open it without a key)."""
    try:
        duckdb.connect(str(path), read_only=True).close()
    except duckdb.CatalogException as e:
        if "encrypted" in str(e):
            return True
        raise
    return False


def _missing_key(path: Path | str) -> WarehouseError:
    return WarehouseError(f"L'entrepôt {path} est chiffré : définir la variable {ENCRYPTION_KEY_ENV} (la clé "
                          "qui l'a chiffré) pour l'ouvrir.")


def _french(error: duckdb.Error, path: Path | str) -> Exception:
    """DuckDB's encryption errors said in French; any other error unchanged."""
    message = str(error)
    if "without a key" in message:
        return _missing_key(path)
    if "Wrong encryption key" in message:
        return WarehouseError(f"Clé de chiffrement incorrecte pour l'entrepôt {path} (variable {ENCRYPTION_KEY_ENV}).")
    if "is not encrypted" in message:
        return WarehouseError(f"L'entrepôt {path} n'est pas chiffré alors que {ENCRYPTION_KEY_ENV} est définie : "
                              "lancer « observatoire actualiser », qui le chiffre, ou retirer la variable.")
    return error


def literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


class RefreshInProgress(WarehouseError):
    """Another refresh holds the warehouse."""


@contextlib.contextmanager
def refresh_lock(working: Path):
    """One refresh at a time on a warehouse, whoever starts it (command line, Dagster UI, sensor, schedule): a
    second one stops at once, before it replaces the working copy the first one is writing."""
    path = Path(working).parent / ".actualisation.verrou"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RefreshInProgress(f"une actualisation est déjà en cours sur cet entrepôt ({working}) ; relancer "
                                    "quand elle sera terminée.") from None
        yield


def refresh_running(working: Path) -> bool:
    """Whether a refresh holds the warehouse now (the dépôt sensor waits for it to end)."""
    try:
        with refresh_lock(working):
            return False
    except RefreshInProgress:
        return True


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
        connect(working).close()  # encrypted when the key is set
        permissions.protect_file(working)
    elif published.exists():
        tmp = working.with_name(working.name + ".copie")
        key, encrypted = encryption_key(), is_encrypted(published)
        if encrypted and not key:
            raise _missing_key(published)
        tmp.unlink(missing_ok=True)
        if key and not encrypted:  # encryption just turned on: the working copy is the first encrypted one
            con = connect(tmp)
            attach(con, published, "publie", read_only=True)
            con.execute(f'COPY FROM DATABASE publie TO "{tmp.stem}"')
            con.close()
        else:
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
    from observatoire.publication import diffusion_file

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
        fsync(folder)
    return published


def fsync(path: Path) -> None:
    """Flush a file, or a folder's entries, to disk."""
    fd = os.open(path, os.O_DIRECTORY if path.is_dir() else os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
