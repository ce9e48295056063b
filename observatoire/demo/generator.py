"""Entry point of the demo generator: which files, in which order, with a progress bar."""

from __future__ import annotations

import queue
import threading
from datetime import date
from pathlib import Path

from tqdm import tqdm

from observatoire.demo import caf, ccapex, contexte, dalo, finess, fsl, pppi, rpls, sne, suivi
from observatoire.demo.common import geography, month_index, release_memory
from observatoire.demo.periods import FIRST_MONTH, FileSpec, last_day, month_label, parse_month
from observatoire.demo.writer import Writer
from observatoire.extracts import OPEN_SOURCES
from observatoire.settings import reference_date

# Source modules (each with plan() and produce()), in writing order; sne last (it holds the most memory).
MODULES: tuple = (pppi, dalo, ccapex, fsl, sne)
WRITERS = 2  # writing threads (the machine has 2 cores)
DUCKDB_THREADS = 1  # DuckDB threads per writer (one file per thread is faster)
SOURCE_ORDER = ("fsl", "dalo", "sne_demandes", "sne_attributions", "pppi", "ccapex", "suivi_plan",
                *OPEN_SOURCES)
FOLLOWUP = "suivi_plan"  # the pilots' workbooks (demo/suivi.py), written after the extracts


def _extracted_after(today: date, last: int, sources: set[str]) -> list[FileSpec]:
    """The files up to month ``last`` whose extraction date is after ``today``."""
    return [spec for module in MODULES for spec in module.plan(FIRST_MONTH, last)
            if spec.source in sources and spec.extracted > today]


def last_month_extracted_by(today: date, sources: set[str] | None = None) -> int:
    """The last month whose files (monthly, quarterly, PPPI) all carry an extraction date on or before ``today``:
    a monthly file is extracted on the 5th of the next month, a quarterly one on the 10th after the quarter."""
    last = month_index(today.year, today.month) - 1
    while last >= FIRST_MONTH and _extracted_after(today, last, set(sources or SOURCE_ORDER)):
        last -= 1
    return last


def generate(depot_dir: Path, echelle: float = 1.0, graine: int = 62, jusqua: str | None = None,
             progress: bool = True, today: date | None = None,
             sources: tuple[str, ...] | None = None) -> dict[str, int]:
    """Write demo extracts for January 2018 to ``jusqua`` (AAAA-MM; default: the last month whose files are all
    extracted by ``today``, so that no file carries a future extraction date; a later ``jusqua`` is refused) into
    ``depot_dir/<source>/``. Returns the number of rows written per source.

    Deterministic: the same arguments give the same bytes. ``echelle`` multiplies the volumes (1 = the
    Pas-de-Calais). ``sources`` restricts the output (for tests); files of other sources are not touched.
    """
    if not echelle > 0:
        raise ValueError(f"échelle invalide « {echelle} » : un nombre strictement positif est attendu")
    wanted = set(sources or SOURCE_ORDER)
    unknown = wanted - set(SOURCE_ORDER)
    if unknown:
        raise ValueError(f"sources inconnues : {', '.join(sorted(unknown))}")
    today = today or reference_date()  # the ingestion's today: no demo file waits
    last = parse_month(jusqua) if jusqua else last_month_extracted_by(today, wanted)
    if last < FIRST_MONTH:
        raise ValueError(f"« {jusqua} » est antérieur au premier mois généré ({month_label(FIRST_MONTH)})")
    if late := _extracted_after(today, last, wanted):
        raise ValueError(
            f"« {jusqua} » produirait des extractions datées après aujourd'hui ({today:%d/%m/%Y}), par exemple "
            f"{late[0].name} ; dernier mois possible : {month_label(last_month_extracted_by(today, wanted))}")
    geography()  # fail early, with a French message, if the geography seeds are missing
    depot_dir = Path(depot_dir)
    counts = {s: 0 for s in SOURCE_ORDER if s in wanted}
    modules = [m for m in MODULES if {s.source for s in m.plan(FIRST_MONTH, last)} & wanted]
    total = sum(1 for m in modules for s in m.plan(FIRST_MONTH, last) if s.source in wanted)
    bar = tqdm(total=total, desc="Génération des extraits", unit="fichier", disable=not progress)
    # Generation (numpy, main thread) overlaps with writing: WRITERS threads, each with its own DuckDB
    # connection, write whole files (each file by one writer, so the bytes do not depend on the timing).
    jobs: queue.Queue = queue.Queue(maxsize=WRITERS + 1)
    failure: list[BaseException] = []
    lock = threading.Lock()

    def write_all() -> None:
        writer = Writer(threads=DUCKDB_THREADS)
        try:
            while (job := jobs.get()) is not None:
                if failure:
                    continue
                spec, table, exprs = job
                try:
                    path = depot_dir / spec.source / spec.name
                    n = writer.write(spec.source, table, path, exprs, fmt=spec.fmt, encoding=spec.encoding,
                                     extracted=spec.extracted)
                    with lock:
                        counts[spec.source] += n
                        bar.set_postfix_str(f"{spec.source} {spec.period}", refresh=False)
                        bar.update(1)
                except BaseException as e:  # reported by the main thread
                    failure.append(e)
        finally:
            writer.close()

    threads = [threading.Thread(target=write_all, name=f"ecriture-{i}", daemon=True) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
    try:
        for module in modules:
            for spec, table, exprs in module.produce(graine, echelle, FIRST_MONTH, last):
                if failure:
                    break
                if spec.source in wanted:
                    jobs.put((spec, table, exprs))
            release_memory()
            if failure:
                break
    finally:
        for _ in threads:
            jobs.put(None)
        for thread in threads:
            thread.join()
        bar.close()
    if failure:
        raise failure[0]
    # Open data: the publishers' files of each millésime released by the end of the last month generated.
    published_by = min(today, last_day(last))
    counts |= contexte.write(depot_dir, graine, wanted & set(OPEN_SOURCES), published_by)
    if "rpls" in wanted:
        counts["rpls"] = rpls.write(depot_dir, graine, published_by)
    counts |= finess.write(depot_dir, graine, wanted & set(OPEN_SOURCES), published_by)
    if "caf_allocataires" in wanted:
        counts["caf_allocataires"] = caf.write(depot_dir, graine, published_by)
    if FOLLOWUP in wanted:
        counts[FOLLOWUP] = suivi.write_returns(depot_dir / FOLLOWUP, last_day(last), graine, today)
    return counts

