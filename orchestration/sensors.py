"""The dépôt sensor: a refresh starts when new extracts are complete in data/depot/<source>/.

The cursor holds, for each file seen, its size, modification time and sha256. A tick compares size and time
first (cheap) and reads only the files that changed. A file is complete once it has not been written for
`OBSERVATOIRE_DEPOT_STABILITE_S` seconds (default 60): while any changed file is younger, the tick waits, so
that a file still being copied is never read and a delivery of several files starts one run. A file touched
without a new content starts nothing, nor, at the first tick, a file whose content the published warehouse
already processed; the loader itself decides what a content already loaded is.
"""

import hashlib
import json
import os
import time
from pathlib import Path

import duckdb
from dagster import (
    DagsterRunStatus,
    DefaultSensorStatus,
    RunRequest,
    RunStatusSensorContext,
    SensorEvaluationContext,
    SkipReason,
    run_status_sensor,
    sensor,
)

from observatoire.extracts import SOURCES
from observatoire.ingestion.loader import depot_entries, sha256_file
from observatoire.settings import STABILITY_ENV, Settings, settings
from observatoire.warehouse import connect, refresh_running
from orchestration import run_artefacts
from orchestration.jobs import ORIGIN_TAG, actualisation


def depot_files(depot: Path) -> dict[str, os.stat_result]:
    """The candidate files of every source folder, by path relative to the dépôt."""
    found = {}
    for name in SOURCES:
        files, _ = depot_entries(depot / name)
        for path in files:
            if path.is_file():  # a dangling link is the loader's to report, not the sensor's to read
                found[f"{name}/{path.name}"] = path.stat()
    return found


def published_state(published: Path) -> tuple[dict[tuple, str], set[tuple[str, str]]]:
    """What the published warehouse knows of the dépôt: the digests the loader recorded (file and stat ->
    sha256) and the latest content processed under each file name (loaded, refused or a duplicate). A file the
    cursor does not know yet (first tick) is new only when the warehouse has not processed that content."""
    if not published.exists():
        return {}, set()
    try:
        con = connect(published, read_only=True)
    except duckdb.Error:
        return {}, set()
    try:
        digests = {(f"{source}/{name}", *stat): sha for source, name, *stat, sha in con.execute(
            "SELECT source, fichier, taille_octets, modifie_ns, change_ns, inode, sha256 "
            "FROM raw.empreintes_fichiers").fetchall()}
        done = set(con.execute(
            "SELECT source || '/' || fichier, sha256 FROM raw.journal_chargements "
            "QUALIFY row_number() OVER (PARTITION BY source, fichier ORDER BY charge_le DESC) = 1 "
            "AND statut <> 'EN_ATTENTE'").fetchall())
    except duckdb.Error:  # a warehouse older than these tables: every file is examined as new
        return {}, set()
    finally:
        con.close()
    return digests, done


def evaluate(depot: Path, cursor: dict[str, list], now: float, stability: float, published: Path
             ) -> tuple[list[str], list[str], dict[str, list]]:
    """(files with a new content, changed files still being written, the new cursor). The cursor keeps the
    entries of files still being written unchanged, so that they are examined again at the next tick."""
    new, writing, seen = [], [], {}
    state = None
    for rel, st in sorted(depot_files(depot).items()):
        known = cursor.get(rel)
        if known and known[:2] == [st.st_size, st.st_mtime_ns]:
            seen[rel] = known
            continue
        if now - st.st_mtime < stability:
            writing.append(rel)
            if known:
                seen[rel] = known
            continue
        if state is None:
            state = published_state(published)
        digests, done = state
        sha = digests.get((rel, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)) or sha256_file(depot / rel)
        seen[rel] = [st.st_size, st.st_mtime_ns, sha]
        if (known[2] != sha) if known else (rel, sha) not in done:
            new.append(rel)
    return new, writing, seen


@sensor(
    name="depot_extractions",
    job=actualisation,
    minimum_interval_seconds=30,
    default_status=DefaultSensorStatus.RUNNING,
    description="Lance l'actualisation quand des extractions nouvelles sont complètes dans data/depot/ "
                f"(inchangées depuis {Settings.depot_stability_s:g} s, réglable par {STABILITY_ENV}).",
)
def depot_extractions(context: SensorEvaluationContext):
    s = settings()
    depot = s.depot_dir
    if refresh_running(s.warehouse):
        return SkipReason("Une actualisation est en cours : le dépôt sera examiné quand elle sera terminée.")
    cursor = json.loads(context.cursor) if context.cursor else {}
    new, writing, seen = evaluate(depot, cursor, time.time(), s.depot_stability_s, s.published)
    if writing:
        # Nothing is recorded for the complete files either: the whole delivery starts one run once it is over.
        return SkipReason(f"{len(writing)} fichier(s) en cours d'écriture dans {depot} ({', '.join(writing[:5])}) : "
                          "actualisation reportée jusqu'à ce qu'ils ne changent plus.")
    context.update_cursor(json.dumps(seen, sort_keys=True))
    if not new:
        return SkipReason(f"Aucune extraction nouvelle dans {depot}.")
    key = hashlib.sha256(json.dumps({rel: seen[rel][2] for rel in new}, sort_keys=True).encode()).hexdigest()
    return RunRequest(run_key=key, tags={"observatoire/declencheur": "depot", "observatoire/fichiers": str(len(new))})


def _artefacts_sensor(status: DagsterRunStatus):
    @run_status_sensor(
        name=f"artefacts_{status.value.lower()}",
        run_status=status,
        monitored_jobs=[actualisation],
        default_status=DefaultSensorStatus.RUNNING,
        description="Écrit le rapport de qualité et les Data Docs GX d'une actualisation lancée hors de la ligne "
                    "de commande (interface Dagster, capteur du dépôt, planification), comme la ligne de commande.",
    )
    def _write(context: RunStatusSensorContext):
        if context.dagster_run.tags.get(ORIGIN_TAG) == "cli":
            return SkipReason("actualisation de la ligne de commande : elle a écrit ses rapports elle-même")
        outcome = run_artefacts.write(context.instance, context.dagster_run.run_id)
        context.log.info(f"Rapport de qualité de l'actualisation {context.dagster_run.run_id} : {outcome.html_report}")

    return _write


RUN_ARTEFACT_SENSORS = [_artefacts_sensor(DagsterRunStatus.SUCCESS), _artefacts_sensor(DagsterRunStatus.FAILURE)]
