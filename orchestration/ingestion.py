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

import codecs
import csv
import difflib
import hashlib
import os
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from queue import Queue
from xml.etree import ElementTree

import duckdb

from . import formats, key_custody
from .extracts import (
    LINEAGE_COLUMNS,
    SOURCES,
    Column,
    Source,
    extraction_date,
    file_name_problem,
    normalise_header,
)
from .formats import FORMATS
from .settings import GEOGRAPHY_DIR, NOMENCLATURES_DIR, reference_date
from .warehouse import cursor, latest_recorded, load_extension

PARALLEL_FILES = 2  # files of a source loaded at once (the machines have 2 cores)
# A column whose values are mostly invalid means the file's format is wrong, not a few rows.
STRUCTURAL_INVALID_SHARE = 0.5
HEADER_SEARCH_ROWS = 20  # an .xlsx may carry title rows above its header
HEADER_SEARCH_COLUMNS = 100
# Longest record accepted (a CSV line, or the cells of an .xlsx row): a longer one is quarantined, its value
# never copied. Real extracts stay under 1 KB a line; the limit keeps a runaway field (an unclosed quote, a
# pasted document) out of the warehouse and out of the reader's memory.
MAX_LINE_BYTES = 65_536


def _number(n: int) -> str:
    """An integer the French way: 65 536."""
    return f"{n:,}".replace(",", " ")


LONG_LINE = f"ligne trop longue (plus de {_number(MAX_LINE_BYTES)} octets)"
# A quarantined value is copied into raw.rejets (and a refusal's message) up to this length, never beyond.
MAX_COPIED_VALUE = 200


def _copied(value: str) -> str:
    """SQL: the value as copied into raw.rejets (NULL when longer than MAX_COPIED_VALUE)."""
    return f"CASE WHEN length({value}) <= {MAX_COPIED_VALUE} THEN {value} END"


def _not_copied(value: str) -> str:
    """SQL: what a reason adds when its value is too long to be copied."""
    return (f"CASE WHEN length({value}) > {MAX_COPIED_VALUE} THEN ' (valeur de ' || length({value}) "
            "|| ' caractères, non recopiée)' ELSE '' END")


class ExtractError(Exception):
    """A file refused as a whole; the message is French and names file, line and column."""


class NotYetError(ExtractError):
    """A refusal whose cause goes away with time (extraction dated after today): the file waits."""


@dataclass
class FileResult:
    source: str
    fichier: str
    statut: str  # CHARGE, REFUSE, DOUBLON, EN_ATTENTE (see LEDGER_COMMENT)
    nb_lignes_lues: int = 0
    nb_lignes_chargees: int = 0
    nb_lignes_rejetees: int = 0
    message: str = ""
    avertissements: list[str] = field(default_factory=list)


# What the ledger's statuses mean (the table's comment in the warehouse, and docs/architecture.md).
LEDGER_COMMENT = (
    "Journal des fichiers d'extraction examinés, une ligne par examen. statut : CHARGE (chargé ; un fichier "
    "relivré sous le même nom avec un autre contenu est une nouvelle livraison, qui remplace la précédente : "
    "seule la dernière livraison de chaque nom, par charge_le, est lue par le staging), REFUSE (refus définitif "
    "de ce contenu : le fichier n'est plus examiné tant qu'il n'est pas modifié), DOUBLON (contenu identique à "
    "un fichier déjà chargé sous un autre nom), EN_ATTENTE (refus temporaire d'un fichier lisible : date d'extraction "
    "postérieure à la date du jour ; le fichier est examiné de nouveau à chaque actualisation jusqu'à son "
    "chargement ou son refus)")


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


def _position(data: bytes, offset: int, line_offset: int, line_start: int) -> tuple[int, int]:
    """Line and column (1-based) of a byte offset, given the line count before ``data``."""
    before = data[:offset]
    line = line_offset + before.count(b"\n")
    last_nl = before.rfind(b"\n")
    column = offset - last_nl if last_nl >= 0 else line_start + offset + 1
    return line, column


@dataclass(frozen=True)
class TextScan:
    """What one pass over a text file's bytes tells: its encoding and its number of physical lines."""

    encoding: str  # 'utf-8' or 'CP1252'
    lines: int  # the lines a text editor shows (a last line without line end counts)


def scan_text(path: Path) -> TextScan:
    """Encoding ('utf-8' or 'CP1252') and physical line count of a text file; anything other than UTF-8 or
    Windows-1252 is refused with the line and column of the first bad byte."""
    name = path.name
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    lines, col_base, last = 1, 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            nul = chunk.find(b"\x00")
            if nul >= 0:
                line, col = _position(chunk, nul, lines, col_base)
                raise ExtractError(
                    f"{name} : encodage non pris en charge (octet nul ligne {line}, colonne {col}) ; "
                    "le fichier doit être un texte UTF-8 ou Windows-1252 (UTF-16 et binaires refusés)."
                )
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                return _check_cp1252(path)
            lines, col_base, last = _advance(chunk, lines, col_base)
    try:
        utf8.decode(b"", final=True)
    except UnicodeDecodeError:
        return _check_cp1252(path)
    return TextScan("utf-8", lines - (last == b"\n"))


def detect_encoding(path: Path) -> str:
    """'utf-8' or 'CP1252'; anything else is refused with the line and column of the first bad byte."""
    return scan_text(path).encoding


def _advance(chunk: bytes, lines: int, col_base: int) -> tuple[int, int, bytes]:
    """Line count and column of the next chunk's first byte after ``chunk``; its last byte."""
    last_nl = chunk.rfind(b"\n")
    col_base = len(chunk) - last_nl - 1 if last_nl >= 0 else col_base + len(chunk)
    return lines + chunk.count(b"\n"), col_base, chunk[-1:]


def _check_cp1252(path: Path) -> TextScan:
    lines, col_base, last = 1, 0, b"\n"
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            try:
                chunk.decode("cp1252")
            except UnicodeDecodeError as e:
                line, col = _position(chunk, e.start, lines, col_base)
                raise ExtractError(
                    f"{path.name} : encodage non reconnu, octet 0x{chunk[e.start]:02X} invalide ligne {line}, "
                    f"colonne {col} (attendu : UTF-8 ou Windows-1252)."
                ) from None
            lines, col_base, last = _advance(chunk, lines, col_base)
    return TextScan("CP1252", lines - (last == b"\n"))


def _csv_header(path: Path, encoding: str) -> list[str]:
    with open(path, "rb") as f:
        first = f.readline()
        rest = f.read(1 << 16).strip()
    if not first.strip() and rest:
        raise ExtractError(f"{path.name} : ligne 1 vide ; l'en-tête des colonnes doit être sur la première ligne "
                           "(colonne 1).")
    if not first.strip():
        raise ExtractError(f"{path.name} : fichier vide (ligne 1, aucun en-tête).")
    text = first.decode("utf-8-sig" if encoding == "utf-8" else "cp1252").rstrip("\r\n")
    if "\r" in text:  # classic Mac OS line ends: the whole file reads as one line
        raise ExtractError(
            f"{path.name} : fin de ligne « CR » seule ligne 1, colonne {text.index(chr(13)) + 1} (ancien format "
            "Mac) ; enregistrer le fichier avec des fins de ligne Windows (CR LF) ou Unix (LF).")
    fields = next(csv.reader([text], delimiter=";"))
    if len(fields) == 1:
        for sep, label in ((",", "virgule"), ("\t", "tabulation"), ("|", "barre verticale")):
            if sep in text:
                raise ExtractError(
                    f"{path.name} : séparateur « {label} » trouvé ligne 1, colonne {text.index(sep) + 1} ; "
                    "le séparateur attendu est le point-virgule « ; »."
                )
    return [f.strip() for f in fields]


def _records(path: Path, encoding: str, until: int | None = None):
    """(first line, last line, fields) of each non-empty data record, as a text editor numbers lines; quoting
    as DuckDB's reader reads it (``;``, ``"``, doubled quotes). Stops after line ``until``."""
    csv.field_size_limit(2**31 - 1)  # an over-long field is what some callers look for
    with open(path, encoding="utf-8-sig" if encoding == "utf-8" else "cp1252", newline="") as f:
        reader = csv.reader(f, delimiter=";", quotechar='"', strict=False)
        end = 0
        for fields in reader:
            start, end = end + 1, reader.line_num
            if until is not None and start > until:
                return
            if fields and start > 1:
                yield start, end, fields


def _line_of(error: Exception) -> str:
    """' (ligne N)' when DuckDB's message names a line of the file (not "LINE 1:" of its SQL); its English text
    is never shown."""
    found = re.search(r"\bline (\d+)\b(?!:)", str(error))
    return f" (ligne {found.group(1)})" if found else ""


def map_header(file_name: str, source: Source, header: list[str], line: int) -> tuple[dict[int, Column], list[str]]:
    """Match the file's header to the specification: position -> column, plus warnings."""
    expected = {normalise_header(c.header): c for c in source.columns}
    mapping: dict[int, Column] = {}
    seen: dict[str, int] = {}
    warnings, unnamed = [], []
    for i, h in enumerate(header):
        norm = normalise_header(h)
        if not norm:  # Excel's CSV export writes ";;" after the last column: unnamed, never a duplicate
            unnamed.append(i + 1)
            continue
        if norm in seen:
            raise ExtractError(
                f"{file_name} : colonne « {h} » en double ligne {line}, colonnes {seen[norm] + 1} et {i + 1}."
            )
        seen[norm] = i
        if norm in expected:
            mapping[i] = expected[norm]
        elif h:
            warnings.append(f"colonne supplémentaire « {h} » (ligne {line}, colonne {i + 1}) ignorée")
    if unnamed and unnamed == list(range(unnamed[0], len(header) + 1)) and len(unnamed) > 1:
        warnings.append(f"{len(unnamed)} colonnes sans nom en fin de ligne (ligne {line}, colonnes {unnamed[0]} "
                        f"à {unnamed[-1]}) ignorées")
    else:
        warnings += [f"colonne sans nom (ligne {line}, colonne {i}) ignorée" for i in unnamed]
    found = {c.name for c in mapping.values()}
    for c in source.columns:
        if c.stored and c.name not in found:
            extra = [h for i, h in enumerate(header) if i not in mapping]
            close = difflib.get_close_matches(c.header, extra, n=1, cutoff=0.6)
            hint = f" ; la colonne « {close[0]} » porte-t-elle ce nom ?" if close else "."
            raise ExtractError(
                f"{file_name} : colonne obligatoire « {c.header} » absente de l'en-tête (ligne {line}){hint} "
                f"Colonnes trouvées : {', '.join(h for h in header if h)}."
            )
    return mapping, warnings


def _sql_str(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _age_band_sql(birth: str, on: date) -> str:
    """The age band at ``on`` of a birth date (TIMESTAMP expression), NULL if unknown or later than ``on``.

    The birth date is used once (age = (on as YYYYMMDD - birth as YYYYMMDD) div 10000) and the band is read
    from a list indexed by age: a CASE per band evaluated the date parsing once per band and row."""
    with open(NOMENCLATURES_DIR / "tranches_age.csv", encoding="utf-8") as f:
        bands = list(csv.DictReader(f))
    oldest = max(int(b["age_max"]) for b in bands)
    by_age = ["NULL"]  # index 1: a negative age (birth after the extraction)
    for age in range(oldest + 1):
        code = next((b["code_tranche_age"] for b in bands if int(b["age_min"]) <= age <= int(b["age_max"])), None)
        by_age.append(_sql_str(code) if code else "NULL")
    age = f"floor(({on:%Y%m%d} - strftime({birth}, '%Y%m%d')::INTEGER) / 10000)::INTEGER"
    return f"[{', '.join(by_age)}][greatest({age}, -1) + 2]"


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
        self._install_pseudonymisation(key)
        self._ensure_common_tables()
        self._load_reference_codes()

    def _worker(self) -> Loader:
        """A loader on its own connection to the same database: its TEMP tables and macros are its own."""
        worker = Loader.__new__(Loader)
        worker.con, worker.key, worker.workers, worker.loaded_at = cursor(self.con), self.key, 1, self.loaded_at
        worker.today = self.today
        worker._install_pseudonymisation(self.key)
        worker._load_reference_codes()
        return worker

    # --- set-up -------------------------------------------------------------------------------------
    def _install_pseudonymisation(self, key: bytes) -> None:
        # HMAC-SHA256 written in SQL so that clear numbers never leave DuckDB's reader; the macro is
        # TEMP, so the key is never stored in the warehouse file.
        block = key if len(key) <= 64 else hashlib.sha256(key).digest()
        block = block.ljust(64, b"\0")
        ipad = bytes(b ^ 0x36 for b in block).hex()
        opad = bytes(b ^ 0x5C for b in block).hex()
        self.con.execute(
            "CREATE OR REPLACE TEMP MACRO pseudonyme(x) AS CASE WHEN nullif(trim(x), '') IS NULL THEN NULL "
            f"ELSE sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode(trim(x))))) END"
        )

    def _ensure_common_tables(self) -> None:
        self.con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        self.con.execute("""
            CREATE TABLE IF NOT EXISTS raw.journal_chargements (
                source VARCHAR NOT NULL, fichier VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
                taille_octets BIGINT, date_extraction DATE, statut VARCHAR NOT NULL,
                nb_lignes_lues BIGINT, nb_lignes_chargees BIGINT, nb_lignes_rejetees BIGINT,
                message VARCHAR, avertissements VARCHAR, charge_le TIMESTAMP NOT NULL)""")
        self.con.execute("""
            CREATE TABLE IF NOT EXISTS raw.rejets (
                source VARCHAR NOT NULL, fichier VARCHAR NOT NULL, sha256 VARCHAR NOT NULL,
                ligne BIGINT, colonne VARCHAR, valeur VARCHAR, motif VARCHAR NOT NULL,
                charge_le TIMESTAMP NOT NULL)""")
        self.con.execute("""
            CREATE TABLE IF NOT EXISTS raw.empreintes_fichiers (
                source VARCHAR NOT NULL, fichier VARCHAR NOT NULL, taille_octets BIGINT NOT NULL,
                modifie_ns BIGINT NOT NULL, sha256 VARCHAR NOT NULL, PRIMARY KEY (source, fichier))""")
        # The inode change time cannot be set back by a user (cp -p, rsync and os.utime restore mtime only).
        for column in ("change_ns", "inode"):
            self.con.execute(f"ALTER TABLE raw.empreintes_fichiers ADD COLUMN IF NOT EXISTS {column} BIGINT")
        comments = {
            "raw.journal_chargements": LEDGER_COMMENT,
            "raw.rejets": "Lignes mises en quarantaine : fichier, ligne, colonne, valeur et motif du rejet",
            "raw.empreintes_fichiers": "Empreinte sha256 de chaque fichier du dépôt, avec sa taille, ses dates de "
                                       "modification et de changement d'inode (ctime) et son inode : un fichier "
                                       "dont aucune ne bouge n'est pas relu pour être reconnu",
        }
        for table, text in comments.items():
            self.con.execute(f"COMMENT ON TABLE {table} IS {_sql_str(text)}")

    def _load_reference_codes(self) -> None:
        rows = []
        for path in sorted(NOMENCLATURES_DIR.glob("*.csv")):
            with open(path, encoding="utf-8") as f:
                reader = csv.reader(f)
                next(reader)
                rows += [(path.stem, r[0]) for r in reader if r]
        with open(GEOGRAPHY_DIR / "correspondance_communes.csv", encoding="utf-8") as f:
            rows += [("communes", r["code_commune_origine"]) for r in csv.DictReader(f)]
        self.con.execute("CREATE OR REPLACE TEMP TABLE _codes AS SELECT unnest(?::VARCHAR[]) AS liste, "
                         "unnest(?::VARCHAR[]) AS code", [[r[0] for r in rows], [r[1] for r in rows]])

    def _ensure_source_table(self, source: Source) -> None:
        table = f"raw.{source.name}"
        cols = [f'"{c.stored_name}" VARCHAR' for c in source.stored_columns]
        lineage = [f"{name} {kind} NOT NULL" for name, kind, _ in LINEAGE_COLUMNS]
        self.con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols + lineage)})")
        existing = {r[0] for r in self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = ?",
            [source.name]).fetchall()}
        for c in source.stored_columns:  # a column added to the specification later
            if c.stored_name not in existing:
                self.con.execute(f'ALTER TABLE {table} ADD COLUMN "{c.stored_name}" VARCHAR')
        self.con.execute(f"COMMENT ON TABLE {table} IS {_sql_str(f'{source.label} : {source.grain} (brut)')}")
        for name, text in [(c.stored_name, c.stored_description) for c in source.stored_columns] + \
                [(name, text) for name, _, text in LINEAGE_COLUMNS]:
            self.con.execute(f'COMMENT ON COLUMN {table}."{name}" IS {_sql_str(text)}')

    # --- one source ---------------------------------------------------------------------------------
    def load_source(self, source: Source, folder: Path) -> list[FileResult]:
        self._ensure_source_table(source)
        files, _ = depot_entries(folder)  # sub-directories are reported by the quality report
        files.sort(key=lambda p: (extraction_date(p.name) or date.min, p.name))
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
        extracted = extraction_date(path.name)
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

    def _read_file(self, source: Source, path: Path, extracted: date) -> tuple[dict[int, Column], list[str]]:
        """Read the file into the temp table ``_fichier``: only stored columns (identifiers already
        transformed) and ``_ligne``, the line a text editor shows; structural row errors into
        ``_rejets_structure``."""
        suffix = path.suffix.lower()
        if suffix not in {f".{x}" for x in source.formats}:
            raise ExtractError(
                f"{path.name} : format « {suffix or 'sans extension'} » non accepté pour {source.label} "
                f"(accepté : {', '.join('.' + x for x in source.formats)}).")
        if suffix == ".xlsx":
            load_extension(self.con, "excel")
            return self._read_xlsx(source, path, extracted)
        scan = scan_text(path)
        encoding = scan.encoding
        if encoding == "CP1252":
            load_extension(self.con, "encodings")
        header = _csv_header(path, encoding)
        mapping, warnings = map_header(path.name, source, header, 1)
        if encoding == "CP1252":
            warnings.append("fichier encodé en Windows-1252, converti en UTF-8")
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
        self.con.execute("DROP TABLE IF EXISTS _rejets_csv; DROP TABLE IF EXISTS _rejets_csv_scan")
        reader = (f"read_csv({_sql_str(str(path))}, delim=';', quote='\"', escape='\"', header=true, "
                  f"auto_detect=false, columns={columns}, encoding='{encoding}', max_line_size={MAX_LINE_BYTES}, "
                  "store_rejects=true, rejects_table='_rejets_csv', rejects_scan='_rejets_csv_scan')")
        select = self._select_columns(mapping, extracted, lambda i: f"c{i}")
        # Line numbers first assume one record per line (line 1 is the header), then are corrected below.
        # They come from the rowid of a first copy, which keeps the file's order (insertion order is preserved):
        # a row_number() window over the reader cost as much as reading the file.
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE _lu AS SELECT {select} FROM {reader}")
        except duckdb.Error as e:  # rows the reader cannot split are rejected above: this is the whole file
            raise ExtractError(f"{path.name} : fichier illisible comme CSV{_line_of(e)} ; vérifier qu'il "
                               "s'agit bien d'un texte séparé par des points-virgules.") from None
        self.con.execute("CREATE OR REPLACE TEMP TABLE _fichier AS SELECT *, rowid + 2 AS _ligne FROM _lu; "
                         "DROP TABLE _lu")
        # Structural row errors (wrong number of fields, unterminated quote, over-long line) come with their
        # line as the reader counts it: empty lines count, newlines inside quotes do not.
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _rejets_structure AS
            SELECT line AS ligne, arg_min(column_name, coalesce(column_idx, -1)) AS position,
                   CASE arg_min(error_type, coalesce(column_idx, -1))
                     WHEN 'MISSING COLUMNS' THEN 'ligne incomplète (champs manquants)'
                     WHEN 'TOO MANY COLUMNS' THEN 'ligne avec trop de champs'
                     WHEN 'UNQUOTED VALUE' THEN 'guillemet non fermé'
                     WHEN 'LINE SIZE OVER MAXIMUM' THEN {_sql_str(LONG_LINE)}
                     ELSE 'ligne illisible' END
                   || coalesce(' : ' || regexp_extract(arg_min(error_message, column_idx),
                               'Expected Number of Columns: (\\d+) Found: (\\d+)', ['attendus', 'trouves'])
                               .attendus || ' champs attendus, '
                               || regexp_extract(arg_min(error_message, column_idx),
                               'Expected Number of Columns: (\\d+) Found: (\\d+)', ['attendus', 'trouves'])
                               .trouves || ' trouvés', '') AS motif,
                   NULL::VARCHAR AS valeur  -- never the raw line: it carries names and addresses
            FROM _rejets_csv GROUP BY line""")
        self.con.execute("CREATE OR REPLACE TEMP TABLE _entetes AS SELECT 'c' || (generate_subscripts(?, 1) - 1) "
                         "AS position, unnest(?::VARCHAR[]) AS entete", [header, header])
        n_read = self.con.execute("SELECT count(*) FROM _fichier").fetchone()[0]
        n_bad = self.con.execute("SELECT count(*) FROM _rejets_structure").fetchone()[0]
        if n_read + n_bad != scan.lines - 1:
            # Not one record per line (empty lines, newlines inside quotes): the file's lines are counted.
            self._number_physical_lines(path, encoding, n_read)
        elif n_bad:  # the good rows take the line numbers the rejected ones left, in order
            self.con.execute(f"""
                UPDATE _fichier SET _ligne = l.ligne FROM (
                    SELECT row_number() OVER (ORDER BY l) + 1 AS ordre, l AS ligne
                    FROM range(2, 2 + {n_read} + {n_bad}) t(l)
                    WHERE l NOT IN (SELECT ligne FROM _rejets_structure)) AS l
                WHERE _fichier._ligne = l.ordre""")
        self._name_longest_fields(path, encoding)
        return mapping, warnings

    def _number_physical_lines(self, path: Path, encoding: str, n_read: int) -> None:
        """Give rows and structural rejects the line where their record starts in the file. One pass of
        Python's CSV reader, with the same quoting rules as DuckDB's: only for files that need it."""
        reader_lines = {line for line, in self.con.execute("SELECT ligne FROM _rejets_structure").fetchall()}
        good, moved, hidden = [], {}, 0  # hidden: newlines inside quotes so far, which the reader does not count
        for start, end, _ in _records(path, encoding):
            if start - hidden in reader_lines:
                moved[start - hidden] = start
            else:
                good.append(start)
            hidden += end - start
        if len(good) != n_read or len(moved) != len(reader_lines):
            raise ExtractError(
                f"{path.name} : découpage des lignes incertain (guillemets mal appariés à partir de la ligne "
                f"{min(reader_lines - set(moved), default=good[0] if good else 2)}) ; vérifier que chaque valeur "
                "entre guillemets « \" » se termine par un guillemet.")
        self.con.execute("CREATE OR REPLACE TEMP TABLE _deplacees AS SELECT unnest(?::BIGINT[]) AS avant, "
                         "unnest(?::BIGINT[]) AS apres", [list(moved), list(moved.values())])
        self.con.execute("UPDATE _rejets_structure SET ligne = d.apres FROM _deplacees d "
                         "WHERE _rejets_structure.ligne = d.avant")
        self.con.execute("CREATE OR REPLACE TEMP TABLE _lignes AS SELECT generate_subscripts(?, 1) + 1 AS ordre, "
                         "unnest(?::BIGINT[]) AS ligne", [good, good])
        self.con.execute("UPDATE _fichier SET _ligne = l.ligne FROM _lignes l WHERE _fichier._ligne = l.ordre")
        self.con.execute("DROP TABLE _lignes; DROP TABLE _deplacees")

    def _name_longest_fields(self, path: Path, encoding: str) -> None:
        """An over-long line is quarantined under its longest field's column, whose length the reason gives
        (the value itself is never copied)."""
        lines = {line for line, in self.con.execute(
            "SELECT ligne FROM _rejets_structure WHERE motif = ?", [LONG_LINE]).fetchall()}
        if not lines:
            return
        for start, _, fields in _records(path, encoding, until=max(lines, default=0)):
            if start in lines:
                longest = max(range(len(fields)), key=lambda i: len(fields[i]))
                self.con.execute("UPDATE _rejets_structure SET position = ?, motif = ? WHERE ligne = ?",
                                 [f"c{longest}", f"{LONG_LINE} : champ de {_number(len(fields[longest]))} "
                                  "caractères, valeur non recopiée", start])

    def _read_xlsx(self, source: Source, path: Path, extracted: date) -> tuple[dict[int, Column], list[str]]:
        """Read the workbook's data sheet into ``_fichier`` (rows keep their number in the sheet); rows longer
        than MAX_LINE_BYTES into ``_rejets_structure``."""
        sheet, header_row, header, mapping, warnings = self._data_sheet(source, path)
        letters = [_excel_column(i + 1) for i in range(len(header))]
        select = self._select_columns(mapping, extracted, lambda i: f'"{letters[i]}"', xlsx=True)
        self.con.execute("CREATE OR REPLACE TEMP TABLE _rejets_structure "
                         "(ligne BIGINT, position VARCHAR, motif VARCHAR, valeur VARCHAR)")
        self.con.execute("CREATE OR REPLACE TEMP TABLE _entetes AS SELECT unnest(?::VARCHAR[]) AS position, "
                         "unnest(?::VARCHAR[]) AS entete", [letters, header])
        names = [f'"{letter}"' for letter in letters]
        try:
            try:
                self.con.execute(f"""
                    CREATE OR REPLACE TEMP TABLE _xlsx AS
                    SELECT *, [{', '.join(f"strlen(coalesce({n}, ''))" for n in names)}] AS _octets
                    FROM (
                        SELECT * , row_number() OVER () + {header_row} AS _ligne
                        FROM read_xlsx({_sql_str(str(path))}, sheet={_sql_str(sheet)}, header=false,
                                       all_varchar=true, range='A{header_row + 1}:{letters[-1]}1048576',
                                       stop_at_empty=false)
                    ) WHERE coalesce({', '.join(names)}) IS NOT NULL""")
            except duckdb.BinderException:  # "no rows found": the header alone
                self.con.execute(f"CREATE OR REPLACE TEMP TABLE _xlsx AS SELECT "
                                 f"{', '.join(f'NULL::VARCHAR AS {n}' for n in names)}, NULL::BIGINT AS _ligne, "
                                 "NULL::BIGINT[] AS _octets LIMIT 0")
            too_long = self.con.execute(
                f"SELECT _ligne, list_position(_octets, list_max(_octets)) - 1 FROM _xlsx "
                f"WHERE list_sum(_octets) > {MAX_LINE_BYTES}").fetchall()
            for line, longest in too_long:
                length = self.con.execute(f'SELECT length("{letters[longest]}") FROM _xlsx WHERE _ligne = ?',
                                          [line]).fetchone()[0]
                self.con.execute("INSERT INTO _rejets_structure VALUES (?, ?, ?, NULL)", [
                    line, letters[longest],
                    f"{LONG_LINE} : champ de {_number(length)} caractères, valeur non recopiée"])
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE _fichier AS SELECT {select}, _ligne FROM _xlsx "
                             "WHERE _ligne NOT IN (SELECT ligne FROM _rejets_structure)")
        except duckdb.Error as e:
            raise ExtractError(f"{path.name} : feuille « {sheet} » illisible"
                               f"{_line_of(e) or f' (lignes {header_row + 1} et suivantes)'} ; l'enregistrer de "
                               "nouveau au format « Classeur Excel (.xlsx) ».") from None
        return mapping, warnings

    def _data_sheet(self, source: Source, path: Path) -> tuple[str, int, list[str], dict[int, Column], list[str]]:
        """The sheet to read, its header line, header, mapping and warnings. Several sheets holding data are
        refused, naming them, unless exactly one of them carries the header."""
        sheets = _xlsx_sheets(path)
        tops = {sheet: self._xlsx_top(path, sheet) for sheet in sheets}
        holding = [sheet for sheet in sheets if self._xlsx_holds_data(path, sheet, tops[sheet])]
        found: dict[str, tuple | ExtractError] = {}
        for sheet in holding or sheets[:1]:
            try:
                found[sheet] = _xlsx_header(path.name, source, sheet, tops[sheet])
            except ExtractError as e:
                found[sheet] = e
        carrying = [sheet for sheet in holding if not isinstance(found[sheet], ExtractError)]
        if len(holding) > 1 and len(carrying) != 1:
            listed = ", ".join(f"« {s} »" + (f" (en-tête ligne {found[s][0]})" if s in carrying else "")
                               for s in holding)
            if carrying:
                raise ExtractError(
                    f"{path.name} : {len(carrying)} feuilles portent l'en-tête attendu et des données ({listed}) ; "
                    "une seule feuille de données est lue : réunir les lignes dans une feuille, ou livrer un "
                    "fichier par feuille.")
            raise ExtractError(
                f"{path.name} : plusieurs feuilles contiennent des données ({listed}) et aucune ne porte "
                f"l'en-tête attendu ; feuille « {holding[0]} » : "
                f"{str(found[holding[0]]).removeprefix(path.name + ' : ')}")
        sheet = carrying[0] if len(holding) > 1 else (holding or sheets)[0]
        if isinstance(found[sheet], ExtractError):
            raise found[sheet]
        header_row, header, mapping, warnings = found[sheet]
        if sheet != sheets[0]:
            warnings.append(f"données lues dans la feuille « {sheet} »")
        ignored = [s for s in holding if s != sheet]
        if ignored:
            warnings.append(f"feuille{'s' if len(ignored) > 1 else ''} {', '.join(f'« {s} »' for s in ignored)} "
                            f"ignorée{'s' if len(ignored) > 1 else ''} (sans l'en-tête des colonnes)")
        return sheet, header_row, header, mapping, warnings

    def _xlsx_top(self, path: Path, sheet: str) -> list[tuple]:
        """The sheet's first rows and columns, where its header is looked for."""
        corner = f"{_excel_column(HEADER_SEARCH_COLUMNS)}{HEADER_SEARCH_ROWS}"
        try:
            return self.con.execute(
                f"SELECT * FROM read_xlsx({_sql_str(str(path))}, sheet={_sql_str(sheet)}, header=false, "
                f"all_varchar=true, range='A1:{corner}', stop_at_empty=false)").fetchall()
        except duckdb.Error:
            raise ExtractError(f"{path.name} : feuille « {sheet} » illisible (lignes 1 à {HEADER_SEARCH_ROWS}) ; "
                               "l'enregistrer de nouveau au format « Classeur Excel (.xlsx) ».") from None

    def _xlsx_holds_data(self, path: Path, sheet: str, top: list[tuple]) -> bool:
        if any(v is not None for row in top for v in row):
            return True
        try:  # the reader skips the empty rows and columns before a sheet's first cell
            self.con.execute(f"SELECT count(*) FROM read_xlsx({_sql_str(str(path))}, sheet={_sql_str(sheet)}, "
                             "header=false, all_varchar=true, stop_at_empty=false)").fetchone()
        except duckdb.BinderException:  # "no rows found": an empty sheet
            return False
        except duckdb.Error:
            raise ExtractError(f"{path.name} : feuille « {sheet} » illisible ; l'enregistrer de nouveau au format "
                               "« Classeur Excel (.xlsx) ».") from None
        return True

    @staticmethod
    def _select_columns(mapping: dict[int, Column], extracted: date, ref, xlsx: bool = False) -> str:
        parts = []
        for i, c in sorted(mapping.items()):
            if not c.stored:
                continue  # direct identifiers are never selected, hence never stored
            value = f"nullif(trim({ref(i)}), '')"
            if xlsx and c.kind in ("date", "naissance"):
                # Excel date cells come out as serial day numbers (or ISO text): back to the producers' format.
                # An ISO text that is no date (2024-02-30), or a serial beyond year 4637, stays as delivered: its
                # row is quarantined, not the file.
                serial = f"DATE '1899-12-30' + CAST(floor(CAST({value} AS DOUBLE)) AS INTEGER)"
                value = (f"CASE WHEN regexp_full_match({value}, '[0-9]{{1,6}}(\\.[0-9]+)?') "
                         f"THEN strftime({serial}, '%d/%m/%Y') "
                         f"WHEN regexp_matches({value}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}') "
                         f"THEN coalesce(strftime(try_cast(left({value}, 10) AS DATE), '%d/%m/%Y'), {value}) "
                         f"ELSE {value} END")
            if FORMATS.get(c.kind) is formats.TEXT:
                # A number a spreadsheet wrote for a code is read back as its exact digits; one that lost them
                # stays as delivered (flagged, then quarantined: never hashed or matched in a wrong form).
                exact = formats.TEXT(value)
                if xlsx and c.kind == "identifiant":
                    # A numeric cell beyond 2^53 may come out as plain digits that are not the ones typed
                    # (openpyxl writes 2^53 + 1 as 9007199254740992): only a text cell is trusted there.
                    exact = (f"CASE WHEN regexp_full_match({value}, '[1-9][0-9]{{15,}}') AND "
                             f"try_cast({value} AS DOUBLE) > {formats.EXACT_INTEGER_MAX} THEN NULL ELSE {exact} END")
                if c.kind == "identifiant":
                    parts.append(f'{value} IS NOT NULL AND {exact} IS NULL AS "{_inexact(c)}"')
                    value = f"pseudonyme(coalesce({exact}, {value}))"
                else:
                    value = f"coalesce({exact}, {value})"
            elif c.kind == "naissance":
                value = _age_band_sql(f"try_strptime({value}, '%d/%m/%Y')", extracted)
            parts.append(f'{value} AS "{c.stored_name}"')
        return ", ".join(parts)

    def _load(self, source: Source, path: Path, sha: str, extracted: date) -> FileResult:
        mapping, warnings = self._read_file(source, path, extracted)
        n_read = self.con.execute("SELECT count(*) FROM _fichier").fetchone()[0]
        n_structure = self.con.execute("SELECT count(*) FROM _rejets_structure").fetchone()[0]
        if n_read == 0 and n_structure == 0:
            warnings.append("aucune ligne de données (en-tête seul)")
        try:
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE _erreurs AS "
                             f"{self._errors_sql(source, mapping, extracted)}")
        except duckdb.Error:  # a check the values should never make fail: DuckDB's English stays in the log
            raise ExtractError(f"{path.name} : contrôle des valeurs impossible ; fichier refusé, à signaler à "
                               "l'équipe de l'observatoire avec le fichier.") from None
        self._refuse_if_structural(source, path, mapping, n_read)
        # Checked once the file is read: a definitive fault is reported now, not when the date has passed.
        if extracted > self.today:
            raise NotYetError(
                f"{path.name} : date d'extraction {extracted:%d/%m/%Y} postérieure à la date du jour "
                f"({self.today:%d/%m/%Y}) ; fichier en attente, examiné de nouveau à chaque actualisation "
                "jusqu'à ce que cette date soit passée.")
        cols = [c for c in source.stored_columns]
        names = ", ".join(f'"{c.stored_name}"' for c in cols)
        present = {c.name for c in mapping.values()}
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
                SELECT ?, ?, ?, ligne, colonne, {_copied('valeur')}, motif || {_not_copied('valeur')}, ? FROM _erreurs
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

    def _errors_sql(self, source: Source, mapping: dict[int, Column], extracted: date) -> str:
        """One row per (line, column) error: value checks, then duplicate keys within the file."""
        checks = []
        for c in mapping.values():
            if not c.stored or c.kind == "naissance":
                continue
            col = f'"{c.stored_name}"'
            label = _sql_str(c.header)
            if c.required:
                checks.append((col, label, f"{col} IS NULL", "'valeur obligatoire manquante'"))
            kind = FORMATS.get(c.kind)
            if c.kind == "identifiant":  # the clear value is never copied into raw.rejets
                checks.append(("NULL", label, f'"{_inexact(c)}"', _sql_str(kind.invalid)))
            elif kind is not None:
                checks.append((col, label, f"{col} IS NOT NULL AND {kind(col)} IS NULL", _sql_str(kind.invalid)))
            listed = {"code": (c.codes, f"code inconnu de la liste {c.codes}"),
                      "commune": ("communes", "code commune inconnu du COG (ni actuel ni ancien) du Pas-de-Calais")}
            if c.kind in listed:  # a number that lost its digits is reported as such, not as an unknown code
                liste, reason = listed[c.kind]
                checks.append((col, label, f"{kind(col)} NOT IN (SELECT code FROM _codes WHERE liste = '{liste}')",
                               _sql_str(reason)))
            if c.kind == "date":
                checks.append((col, label, f"{kind(col)} > DATE '{extracted.isoformat()}'",
                               "'date postérieure à la date d''extraction'"))
            if c.kind == "decimal":
                checks.append((col, label, f"{kind(col)} < 0", "'montant négatif'"))
        for rule in source.rules:
            if rule.column in {c.name for c in mapping.values()}:
                column = source.column(rule.column)
                checks.append((f'"{column.stored_name}"', _sql_str(column.header), f"coalesce({rule.invalid}, false)",
                               _sql_str(rule.reason)))
        parts = [f"SELECT _ligne AS ligne, {label} AS colonne, CAST({col} AS VARCHAR) AS valeur, {motif} AS motif "
                 f"FROM _fichier WHERE {cond}" for col, label, cond, motif in checks]
        key = ", ".join(f'"{source.column(k).stored_name}"' for k in source.key)
        # Identifiers that lost digits are quarantined as such: rounding made them equal, not duplicates.
        inexact = [f'"{_inexact(c)}"' for c in mapping.values() if c.kind == "identifiant" and c.name in source.key]
        exact_keys = f"WHERE NOT ({' OR '.join(inexact)})" if inexact else ""
        parts.append(f"""
            SELECT _ligne, {_sql_str(' + '.join(source.column(k).header for k in source.key))}, NULL,
                   'doublon de la ligne ' || premiere || ' (même clé dans le fichier)'
            FROM (SELECT _ligne, min(_ligne) OVER (PARTITION BY {key}) AS premiere FROM _fichier {exact_keys})
            WHERE _ligne > premiere""")
        return " UNION ALL ".join(parts)

    def _refuse_if_structural(self, source: Source, path: Path, mapping: dict[int, Column], n_read: int) -> None:
        if n_read == 0:
            return
        worst = self.con.execute(f"""
            SELECT colonne, count(DISTINCT ligne) AS n, min(ligne) AS premiere,
                   arg_min(valeur, ligne) AS valeur, arg_min(motif, ligne) AS motif
            FROM _erreurs WHERE motif NOT LIKE 'doublon%'
            GROUP BY colonne HAVING count(DISTINCT ligne) > {STRUCTURAL_INVALID_SHARE} * {n_read}
            ORDER BY premiere LIMIT 1""").fetchone()
        if worst:
            colonne, n, premiere, valeur, motif = worst
            raise ExtractError(
                f"{path.name} : colonne « {colonne} » non conforme sur {n} lignes sur {n_read} ; "
                f"première erreur ligne {premiere}, colonne « {colonne} » : {motif}"
                + (f" (valeur de {_number(len(valeur))} caractères, non recopiée)" if valeur and len(valeur) >
                   MAX_COPIED_VALUE else f" (valeur « {valeur} »)" if valeur is not None else "")
                + ". Fichier refusé en entier.")


def _xlsx_sheets(path: Path) -> list[str]:
    """The workbook's sheet names, in order (read from the .xlsx archive's workbook part)."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        sheets = [e.get("name") for e in workbook.iter() if e.tag.rpartition("}")[2] == "sheet"]
    except Exception:  # not a zip, no workbook part, bad XML, encrypted or unsupported compression...
        sheets = []
    if not sheets:
        raise ExtractError(
            f"{path.name} : classeur Excel illisible (ligne 1, colonne 1) : fichier tronqué, protégé par un mot "
            "de passe, ou d'un autre format renommé en .xlsx (.xls, CSV) ; l'enregistrer de nouveau au format "
            "« Classeur Excel (.xlsx) ».")
    return sheets


def _xlsx_header(file_name: str, source: Source, sheet: str, top: list[tuple]) -> tuple:
    """(header line, header, mapping, warnings) of a sheet: the row of its first rows that names the most
    columns of the specification."""
    expected = {normalise_header(c.header) for c in source.columns}
    scores = [sum(normalise_header(v or "") in expected for v in row) for row in top]
    if not scores or max(scores) == 0:
        raise ExtractError(f"{file_name} : aucun en-tête reconnu dans les {HEADER_SEARCH_ROWS} premières "
                           f"lignes de la feuille « {sheet} ».")
    header_row = scores.index(max(scores)) + 1
    header = [(v or "").strip() for v in top[header_row - 1]]
    while header and not header[-1]:
        header.pop()
    mapping, warnings = map_header(file_name, source, header, header_row)
    if header_row > 1:
        warnings.append(f"en-tête trouvé ligne {header_row} (lignes de titre ignorées)")
    return header_row, header, mapping, warnings


def _inexact(column: Column) -> str:
    """Column of ``_fichier`` flagging an identifier delivered as a number that lost digits."""
    return f"_inexact_{column.stored_name}"


def _excel_column(n: int) -> str:
    name = ""
    while n:
        n, r = divmod(n - 1, 26)
        name = chr(65 + r) + name
    return name or "A"


def load_all(con, depot_dir: Path, key: bytes, sources: list[str] | None = None) -> dict[str, list[FileResult]]:
    loader = Loader(con, key)
    return {name: loader.load_source(SOURCES[name], depot_dir / name) for name in (sources or SOURCES)}
