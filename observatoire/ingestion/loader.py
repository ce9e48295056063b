"""Loading of the extract files into ``raw.<source>``, with DuckDB's own CSV and XLSX readers.

For each file of ``depot/<source>/``, in extraction-date order:
1. skip it if this very file (name and sha256) was already processed; record a duplicate if the same
   content is loaded under another name. A name delivered again with other content is a new delivery of that
   file: it replaces the earlier one (staging reads only the latest delivery of each name). A file whose name
   does not fit its folder (source, period, extraction date) is refused; one dated after today waits;
2. check its structure (encoding, separator, header): a wrong structure refuses the whole file with a
   French message naming file, line and column;
3. read it with DuckDB, dropping direct identifiers at read time, pseudonymising case numbers (HMAC-SHA256)
   and turning birth dates into age bands, so that no clear identifier is ever stored;
4. check every value (required, dates, numbers, codes, communes, duplicate keys): bad rows go to
   ``raw.rejets`` with line, column, value and reason, the good rows to ``raw.<source>``;
5. record the file in ``raw.journal_chargements``. Steps 4 and 5 run in one transaction per file.
"""

from __future__ import annotations

import hashlib
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from queue import Queue

import duckdb

from observatoire import formats
from observatoire.extracts import SOURCES, Source, extraction_date, file_name_problem
from observatoire.ingestion import key_custody, raw_schema
from observatoire.ingestion.pseudonymisation import install_pseudonym_macro
from observatoire.ingestion.reading import ExtractError, NotYetError, read_file
from observatoire.ingestion.row_checks import copied, errors_sql, load_reference_codes, not_copied, refuse_if_structural
from observatoire.settings import reference_date
from observatoire.warehouse import cursor, latest_recorded

PARALLEL_FILES = 2  # files of a source loaded at once (the machines have 2 cores)


@dataclass
class FileResult:
    source: str
    fichier: str
    statut: str  # CHARGE, REFUSE, DOUBLON, EN_ATTENTE (see raw_schema.LEDGER_COMMENT)
    nb_lignes_lues: int = 0
    nb_lignes_chargees: int = 0
    nb_lignes_rejetees: int = 0
    message: str = ""
    avertissements: list[str] = field(default_factory=list)


def depot_entries(folder: Path) -> tuple[list[Path], list[Path]]:
    """The entries of a source folder: candidate files (symbolic links included, judged when loaded) and
    what is ignored (sub-directories, anything that is not a file), hidden names (.~lock, .DS_Store) skipped."""
    if not folder.is_dir():
        return [], []
    files, ignored = [], []
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        (files if p.is_symlink() and not p.is_dir() or p.is_file() else ignored).append(p)
    return files, ignored


def outside_depot(path: Path, depot: Path) -> bool:
    """Whether a file is a symbolic link whose target lies outside the dépôt (or does not exist)."""
    if not path.is_symlink():
        return False
    target = path.resolve()
    return not target.is_file() or not target.is_relative_to(depot.resolve())


def _link_sha(path: Path) -> str:
    """The fingerprint of a symbolic link that is not followed: the sha256 of its target's path."""
    return hashlib.sha256(os.readlink(path).encode()).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Loader:
    """Loads extract files into one DuckDB warehouse (reader extensions are loaded when a file needs them)."""

    def __init__(self, con, key: bytes, loaded_at: datetime | None = None, workers: int = PARALLEL_FILES,
                 today: date | None = None):
        self.con = con
        self.key = key
        self.workers = workers
        self.today = today or reference_date()  # an extract dated after it waits
        # Later than every load already in the ledger: a load's time orders the deliveries of one file name.
        last = latest_recorded(con, "raw.journal_chargements", "charge_le", "charge_le")
        now = datetime.now().replace(microsecond=0)
        self.loaded_at = loaded_at or (max(now, last + timedelta(seconds=1)) if last else now)
        # First of all: identifiers hashed under another key would never match the stored ones.
        self.key_note = key_custody.ensure(con, key, self.loaded_at)
        formats.install(con)  # the value formats ingestion, staging and GX share
        install_pseudonym_macro(self.con, key)
        raw_schema.ensure_common_tables(con)
        load_reference_codes(self.con)

    def _worker(self) -> Loader:
        """A loader on its own connection to the same database: its TEMP tables and macros are its own."""
        worker = Loader.__new__(Loader)
        worker.con, worker.key, worker.workers, worker.loaded_at = cursor(self.con), self.key, 1, self.loaded_at
        worker.today = self.today
        install_pseudonym_macro(worker.con, self.key)
        load_reference_codes(worker.con)
        return worker

    # --- one source ---------------------------------------------------------------------------------
    def load_source(self, source: Source, folder: Path) -> list[FileResult]:
        raw_schema.ensure_source_table(self.con, source)
        files, _ = depot_entries(folder)  # sub-directories are reported by the quality report
        files.sort(key=lambda p: (extraction_date(p.name, source) or date.min, p.name))
        shas = self._shas(source, files)
        if self.workers < 2 or len(files) < 2:
            return [r for p in files if (r := self.load_file(source, p, shas[p])) is not None]
        # Files are loaded a few at a time, each on its own connection (a small file keeps one core busy
        # with Python and statement overheads); appends to the same tables do not conflict in DuckDB. A file
        # with the same content as an earlier one of the batch waits for it, so that it is seen as a duplicate.
        workers: Queue[Loader] = Queue()
        for _ in range(self.workers):
            workers.put(self._worker())

        def load(path: Path, sha: str) -> FileResult | None:
            worker = workers.get()
            try:
                return worker.load_file(source, path, sha)
            finally:
                workers.put(worker)

        try:
            with ThreadPoolExecutor(self.workers) as pool:
                first: dict[str, Path] = {}
                for path in files:
                    first.setdefault(shas[path], path)
                unique = [path for path in files if first[shas[path]] == path]
                results = dict(zip(unique, pool.map(load, unique, [shas[path] for path in unique]), strict=True))
        finally:
            while not workers.empty():
                workers.get().con.close()
        results |= {path: self.load_file(source, path, shas[path]) for path in files if path not in results}
        return [r for path in files if (r := results[path]) is not None]

    def _shas(self, source: Source, files: list[Path]) -> dict[Path, str]:
        """The sha256 of each file. A file already hashed is read again only when its size, modification
        time, inode change time or inode moved (at scale 100 the dépôt weighs 20 GB, read in full by every
        refresh otherwise). A link leading out of the dépôt is never read: its text is hashed instead."""
        known = {tuple(k): sha for *k, sha in self.con.execute(
            "SELECT fichier, taille_octets, modifie_ns, change_ns, inode, sha256 FROM raw.empreintes_fichiers "
            "WHERE source = ?", [source.name]).fetchall()}
        escaping = {p for p in files if outside_depot(p, p.parent.parent)}
        stats = {p: p.stat() for p in files if p not in escaping}
        shas = {p: _link_sha(p) for p in escaping}
        shas |= {p: known.get((p.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
                 for p, st in stats.items()}
        todo = [p for p, sha in shas.items() if sha is None]
        with ThreadPoolExecutor(max(self.workers, 1)) as pool:
            shas |= dict(zip(todo, pool.map(sha256_file, todo), strict=True))
        if todo:
            self.con.execute(
                "INSERT OR REPLACE INTO raw.empreintes_fichiers "
                "(source, fichier, taille_octets, modifie_ns, change_ns, inode, sha256) "
                "SELECT ?, unnest(?), unnest(?), unnest(?), unnest(?), unnest(?), unnest(?)",
                [source.name, [p.name for p in todo], [stats[p].st_size for p in todo],
                 [stats[p].st_mtime_ns for p in todo], [stats[p].st_ctime_ns for p in todo],
                 [stats[p].st_ino for p in todo], [shas[p] for p in todo]])
        return shas

    def load_file(self, source: Source, path: Path, sha: str | None = None) -> FileResult | None:
        escaping = outside_depot(path, path.parent.parent)
        sha = sha or (_link_sha(path) if escaping else sha256_file(path))
        last = self.con.execute(
            "SELECT sha256, statut FROM raw.journal_chargements WHERE source = ? AND fichier = ? "
            "ORDER BY charge_le DESC LIMIT 1", [source.name, path.name]).fetchone()
        if last and last[0] == sha and last[1] != "EN_ATTENTE":
            return None  # this very content was already processed under this name: nothing twice
        extracted = extraction_date(path.name, source)
        # The same content as the current delivery of another name (not of an earlier, replaced one).
        loaded_as = self.con.execute(
            "SELECT fichier FROM raw.journal_chargements WHERE source = ? AND statut = 'CHARGE' AND fichier <> ? "
            "QUALIFY charge_le = max(charge_le) OVER (PARTITION BY fichier) AND sha256 = ? "
            "ORDER BY charge_le LIMIT 1", [source.name, path.name, sha]).fetchone()
        if loaded_as:
            result = FileResult(source.name, path.name, "DOUBLON",
                                message=f"{path.name} : contenu identique au fichier déjà chargé "
                                        f"« {loaded_as[0]} » ; rien n'est chargé deux fois.")
            self._record(result, sha, path, extracted)
            return result
        try:
            if escaping:
                raise ExtractError(
                    f"{path.name} : lien symbolique vers « {os.readlink(path)} », hors du dossier de dépôt "
                    f"{'ou sans cible ' if not path.exists() else ''}; il n'est pas suivi. Déposer le fichier "
                    "lui-même (une copie) dans le dossier de sa source.")
            problem = file_name_problem(source, path.name)
            if problem:
                raise ExtractError(problem)
            assert extracted is not None  # file_name_problem checked it
            result = self._load(source, path, sha, extracted)
        except (ExtractError, duckdb.Error) as e:
            message = str(e) if isinstance(e, ExtractError) else \
                f"{path.name} : fichier illisible ({str(e).splitlines()[0]})."
            if last and self.con.execute(  # a corrected copy refused: the loaded one still counts
                    "SELECT count(*) FROM raw.journal_chargements WHERE source = ? AND fichier = ? "
                    "AND statut = 'CHARGE'", [source.name, path.name]).fetchone()[0]:
                message += " La livraison précédente de ce fichier reste en vigueur."
            result = FileResult(source.name, path.name, "EN_ATTENTE" if isinstance(e, NotYetError) else "REFUSE",
                                message=message)
            self._record(result, sha, path, extracted)
        return result

    def _record(self, r: FileResult, sha: str, path: Path, extracted: date | None) -> None:
        size = path.lstat().st_size if outside_depot(path, path.parent.parent) else path.stat().st_size
        self.con.execute(
            "INSERT INTO raw.journal_chargements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [r.source, r.fichier, sha, size, extracted, r.statut, r.nb_lignes_lues,
             r.nb_lignes_chargees, r.nb_lignes_rejetees, r.message, " ; ".join(r.avertissements) or None,
             self.loaded_at])

    def _load(self, source: Source, path: Path, sha: str, extracted: date) -> FileResult:
        mapping, warnings = read_file(self.con, source, path, extracted)
        n_read = self.con.execute("SELECT count(*) FROM _fichier").fetchone()[0]
        n_structure = self.con.execute("SELECT count(*) FROM _rejets_structure").fetchone()[0]
        if n_read == 0 and n_structure == 0:
            warnings.append("aucune ligne de données (en-tête seul)")
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE _erreurs AS "
                             f"{errors_sql(source, mapping, extracted)}")
        except duckdb.Error:  # a check the values should never make fail: DuckDB's English stays in the log
            raise ExtractError(f"{path.name} : contrôle des valeurs impossible ; fichier refusé, à signaler à "
                               "l'équipe de l'observatoire avec le fichier.") from None
        refuse_if_structural(self.con, source, path, mapping, n_read)
        # Checked once the file is read: a definitive fault is reported now, not when the date has passed.
        if extracted > self.today:
            raise NotYetError(
                f"{path.name} : date d'extraction {extracted:%d/%m/%Y} postérieure à la date du jour "
                f"({self.today:%d/%m/%Y}) ; fichier en attente, examiné de nouveau à chaque actualisation "
                "jusqu'à ce que cette date soit passée.")
        cols = [c for c in source.stored_columns]
        names = ", ".join(f'"{c.stored_name}"' for c in cols)
        present = {c.name for c in mapping.values()} | {c.name for c in source.columns if c.from_name}
        values = ", ".join(f'"{c.stored_name}"' if c.name in present else "NULL" for c in cols)
        self.con.execute("BEGIN TRANSACTION")
        try:
            self.con.execute(f"""
                INSERT INTO raw.{source.name} ({names}, _fichier, _sha256, _ligne, _date_extraction, _charge_le)
                SELECT {values}, ?, ?, _ligne, ?, ? FROM _fichier
                WHERE _ligne NOT IN (SELECT ligne FROM _erreurs)""",
                             [path.name, sha, extracted, self.loaded_at])
            loaded = n_read - self.con.execute("SELECT count(DISTINCT ligne) FROM _erreurs").fetchone()[0]
            self.con.execute(f"""
                INSERT INTO raw.rejets
                SELECT ?, ?, ?, ligne, colonne, {copied('valeur')}, motif || {not_copied('valeur')}, ? FROM _erreurs
                UNION ALL
                SELECT ?, ?, ?, ligne, entete, valeur, motif, ?
                FROM _rejets_structure LEFT JOIN _entetes USING (position)
                ORDER BY 4""", [source.name, path.name, sha, self.loaded_at] * 2)
            rejected = self.con.execute(
                "SELECT count(DISTINCT ligne) FROM (SELECT ligne FROM _erreurs UNION ALL "
                "SELECT ligne FROM _rejets_structure)").fetchone()[0]
            result = FileResult(source.name, path.name, "CHARGE", n_read + n_structure, loaded, rejected,
                                message=f"{path.name} : {loaded} lignes chargées, {rejected} rejetées.",
                                avertissements=warnings)
            self._record(result, sha, path, extracted)
            self.con.execute("COMMIT")
        except Exception:
            self.con.execute("ROLLBACK")
            raise
        return result


def load_all(con, depot_dir: Path, key: bytes, sources: list[str] | None = None) -> dict[str, list[FileResult]]:
    loader = Loader(con, key)
    return {name: loader.load_source(SOURCES[name], depot_dir / name) for name in (sources or SOURCES)}
