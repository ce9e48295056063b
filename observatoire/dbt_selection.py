"""What a dbt build must rebuild: the project's fingerprint, the build journal, the nodes an incremental build
can skip, the sources delivered again, and the parse state kept between runs. Functions of a manifest and of
the warehouse's ledger, without Dagster (orchestration/assets/dbt.py runs the build)."""

import hashlib
import os
import shutil
from pathlib import Path

from observatoire.ingestion import raw_schema
from observatoire.ingestion.raw_schema import BUILD_JOURNAL
from observatoire.settings import PROJECT_DIR, dbt_input_files
from observatoire.warehouse import latest_recorded


def dbt_project_fingerprint() -> str:
    """sha256 of the dbt project's files (models, macros, seeds, tests...)."""
    digest = hashlib.sha256()
    for path in dbt_input_files():
        digest.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def last_build_fingerprint(con) -> str | None:
    """The dbt project's fingerprint at the warehouse's latest dbt build (None before the first one)."""
    return latest_recorded(con, BUILD_JOURNAL, "empreinte_projet", "construit_le")


def record_build(con, fingerprint: str, mode: str) -> None:
    raw_schema.ensure_build_journal(con)
    con.execute(f"INSERT INTO {BUILD_JOURNAL} VALUES (current_localtimestamp(), ?, ?)", [fingerprint, mode])


def unchanged_nodes(manifest: dict, new_sources: set[str], calendar_moved: bool) -> list[str]:
    """The models, seeds and data tests an incremental build can skip: those whose inputs did not change.

    What changes is known before dbt runs: the staging models of the sources that received files, and,
    when the latest extraction date moved, the calendar (the stock date of the current year) -- then
    everything downstream of them. A data test runs when one of the nodes it reads is rebuilt (a
    relationship test of a rebuilt model towards a seed included)."""
    nodes = manifest["nodes"]
    roots = [uid for uid, n in nodes.items() if n["resource_type"] == "model" and (
        any(dep.startswith("source.") and dep.rsplit(".", 1)[1] in new_sources for dep in n["depends_on"]["nodes"])
        or (calendar_moved and n["name"] == "int_calendrier__annees"))]
    rebuilt, todo = set(), list(roots)
    while todo:
        uid = todo.pop()
        if uid not in rebuilt:
            rebuilt.add(uid)
            todo.extend(c for c in manifest["child_map"].get(uid, []) if c.startswith("model."))
    tested = {uid for uid, n in nodes.items() if n["resource_type"] == "test"
              and rebuilt.intersection(n["depends_on"]["nodes"])}
    return sorted(uid for uid, n in nodes.items()
                  if n["resource_type"] in ("model", "seed", "test") and uid not in rebuilt | tested)


def what_changed(con, manifest: dict) -> tuple[set[str], bool]:
    """Sources with files loaded since the last dbt build; whether the latest extraction date moved."""
    new_sources = {r[0] for r in con.execute(
        f"SELECT DISTINCT source FROM raw.journal_chargements WHERE statut = 'CHARGE' "
        f"AND charge_le > (SELECT max(construit_le) FROM {BUILD_JOURNAL})").fetchall()}
    calendar = next(f'"{n["schema"]}"."{n["alias"]}"' for n in manifest["nodes"].values()
                    if n["name"] == "int_calendrier__annees")
    moved = con.execute(
        "SELECT (SELECT max(date_extraction) FROM raw.journal_chargements WHERE statut = 'CHARGE') "
        f"IS DISTINCT FROM (SELECT max(date_stock) FROM {calendar})").fetchone()[0]
    return new_sources, moved


def redelivered_sources(con) -> set[str]:
    """Sources with a file delivered again under its name since the last dbt build. The new delivery replaces
    the earlier copy as a whole: keys found only in that copy must leave staging, which an incremental build
    (delete+insert on the keys it outputs) cannot do, so those staging models are rebuilt in full."""
    return {r[0] for r in con.execute(f"""
        SELECT DISTINCT nouveau.source FROM raw.journal_chargements AS nouveau
        SEMI JOIN raw.journal_chargements AS ancien
            ON ancien.source = nouveau.source AND ancien.fichier = nouveau.fichier
               AND ancien.statut = 'CHARGE' AND ancien.charge_le < nouveau.charge_le
        WHERE nouveau.statut = 'CHARGE'
          AND nouveau.charge_le > (SELECT max(construit_le) FROM {BUILD_JOURNAL})""").fetchall()}


def keep_partial_parse(run_target: Path) -> None:
    """Make this run's parse state the one the next run starts from. dagster-dbt copies target/'s
    partial_parse.msgpack into each run's own target folder, but dbt discards it when the profile differs
    (the warehouse path is in the profile), so every refresh re-parsed the whole project (4 s)."""
    produced = PROJECT_DIR / run_target / "partial_parse.msgpack"  # run_target is relative to the project
    if produced.exists():
        kept = PROJECT_DIR / "target" / "partial_parse.msgpack"
        staged = kept.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(produced, staged)
        os.replace(staged, kept)  # atomic: a concurrent dbt call reads the old state or the new one
