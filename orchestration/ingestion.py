"""Loading of the extract files into ``raw.<source>``, with DuckDB's own CSV and XLSX readers.

For each file of ``depot/<source>/``, in extraction-date order:
1. skip it if this very file (name and sha256) was already processed; record a duplicate if the same
   content was loaded under another name;
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from queue import Queue

import duckdb

from .extracts import SOURCES, Column, Source, extraction_date, normalise_header
from .settings import GEOGRAPHY_DIR, NOMENCLATURES_DIR
from .warehouse import load_extension

PARALLEL_FILES = 2  # files of a source loaded at once (the machines have 2 cores)
# A column whose values are mostly invalid means the file's format is wrong, not a few rows.
STRUCTURAL_INVALID_SHARE = 0.5
HEADER_SEARCH_ROWS = 20  # an .xlsx may carry title rows above its header
HEADER_SEARCH_COLUMNS = 100


class ExtractError(Exception):
    """A file refused as a whole; the message is French and names file, line and column."""


@dataclass
class FileResult:
    source: str
    fichier: str
    statut: str  # CHARGE, REFUSE, DOUBLON
    nb_lignes_lues: int = 0
    nb_lignes_chargees: int = 0
    nb_lignes_rejetees: int = 0
    message: str = ""
    avertissements: list[str] = field(default_factory=list)


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


def detect_encoding(path: Path) -> str:
    """'utf-8' or 'CP1252'; anything else is refused with the line and column of the first bad byte."""
    name = path.name
    utf8 = codecs.getincrementaldecoder("utf-8")("strict")
    lines, col_base = 1, 0
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
            lines += chunk.count(b"\n")
            last_nl = chunk.rfind(b"\n")
            col_base = len(chunk) - last_nl - 1 if last_nl >= 0 else col_base + len(chunk)
    try:
        utf8.decode(b"", final=True)
    except UnicodeDecodeError:
        return _check_cp1252(path)
    return "utf-8"


def _check_cp1252(path: Path) -> str:
    lines, col_base = 1, 0
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
            lines += chunk.count(b"\n")
            last_nl = chunk.rfind(b"\n")
            col_base = len(chunk) - last_nl - 1 if last_nl >= 0 else col_base + len(chunk)
    return "CP1252"


def _csv_header(path: Path, encoding: str) -> list[str]:
    with open(path, "rb") as f:
        first = f.readline()
    if not first.strip():
        raise ExtractError(f"{path.name} : fichier vide (ligne 1, aucun en-tête).")
    text = first.decode("utf-8-sig" if encoding == "utf-8" else "cp1252").rstrip("\r\n")
    fields = next(csv.reader([text], delimiter=";"))
    if len(fields) == 1:
        for sep, label in ((",", "virgule"), ("\t", "tabulation"), ("|", "barre verticale")):
            if sep in text:
                raise ExtractError(
                    f"{path.name} : séparateur « {label} » trouvé ligne 1, colonne {text.index(sep) + 1} ; "
                    "le séparateur attendu est le point-virgule « ; »."
                )
    return [f.strip() for f in fields]


def map_header(file_name: str, source: Source, header: list[str], line: int) -> tuple[dict[int, Column], list[str]]:
    """Match the file's header to the specification: position -> column, plus warnings."""
    expected = {normalise_header(c.header): c for c in source.columns}
    mapping: dict[int, Column] = {}
    seen: dict[str, int] = {}
    warnings = []
    for i, h in enumerate(header):
        norm = normalise_header(h)
        if norm in seen:
            raise ExtractError(
                f"{file_name} : colonne « {h} » en double ligne {line}, colonnes {seen[norm] + 1} et {i + 1}."
            )
        seen[norm] = i
        if norm in expected:
            mapping[i] = expected[norm]
        elif h:
            warnings.append(f"colonne supplémentaire « {h} » (ligne {line}, colonne {i + 1}) ignorée")
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

    def __init__(self, con, key: bytes, loaded_at: datetime | None = None, workers: int = PARALLEL_FILES):
        self.con = con
        self.key = key
        self.workers = workers
        self.loaded_at = loaded_at or datetime.now().replace(microsecond=0)
        self._install_pseudonymisation(key)
        self._ensure_common_tables()
        self._load_reference_codes()

    def _worker(self) -> Loader:
        """A loader on its own connection to the same database: its TEMP tables and macros are its own."""
        worker = Loader.__new__(Loader)
        worker.con, worker.key, worker.workers, worker.loaded_at = self.con.cursor(), self.key, 1, self.loaded_at
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
        self.con.execute("CREATE OR REPLACE TEMP MACRO date_fr(x) AS CAST(try_strptime(x, '%d/%m/%Y') AS DATE)")
        self.con.execute("CREATE OR REPLACE TEMP MACRO nombre_fr(x) AS "
                         "try_cast(replace(replace(x, ' ', ''), ',', '.') AS DECIMAL(18, 2))")
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
        comments = {
            "raw.journal_chargements": "Journal des fichiers d'extraction traités : chargés, refusés ou doublons",
            "raw.rejets": "Lignes mises en quarantaine : fichier, ligne, colonne, valeur et motif du rejet",
            "raw.empreintes_fichiers": "Empreinte sha256 de chaque fichier du dépôt, avec sa taille et sa date de "
                                       "modification : un fichier inchangé n'est pas relu pour être reconnu",
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
        lineage = ["_fichier VARCHAR NOT NULL", "_sha256 VARCHAR NOT NULL", "_ligne BIGINT NOT NULL",
                   "_date_extraction DATE NOT NULL", "_charge_le TIMESTAMP NOT NULL"]
        self.con.execute(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols + lineage)})")
        existing = {r[0] for r in self.con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = ?",
            [source.name]).fetchall()}
        for c in source.stored_columns:  # a column added to the specification later
            if c.stored_name not in existing:
                self.con.execute(f'ALTER TABLE {table} ADD COLUMN "{c.stored_name}" VARCHAR')
        self.con.execute(f"COMMENT ON TABLE {table} IS {_sql_str(f'{source.label} : {source.grain} (brut)')}")
        for c in source.stored_columns:
            text = "Tranche d'âge à la date d'extraction" if c.kind == "naissance" else c.description
            self.con.execute(f'COMMENT ON COLUMN {table}."{c.stored_name}" IS {_sql_str(text)}')

    # --- one source ---------------------------------------------------------------------------------
    def load_source(self, source: Source, folder: Path) -> list[FileResult]:
        self._ensure_source_table(source)
        files = [p for p in folder.glob("*") if p.is_file() and not p.name.startswith(".")] \
            if folder.exists() else []
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
        """The sha256 of each file. A file already hashed, with the same size and modification time, is not
        read again (at scale 100 the dépôt weighs 20 GB, read in full by every refresh otherwise)."""
        known = {(f, size, mtime): sha for f, size, mtime, sha in self.con.execute(
            "SELECT fichier, taille_octets, modifie_ns, sha256 FROM raw.empreintes_fichiers WHERE source = ?",
            [source.name]).fetchall()}
        stats = {p: p.stat() for p in files}
        shas = {p: known.get((p.name, st.st_size, st.st_mtime_ns)) for p, st in stats.items()}
        todo = [p for p, sha in shas.items() if sha is None]
        with ThreadPoolExecutor(max(self.workers, 1)) as pool:
            shas |= dict(zip(todo, pool.map(sha256_file, todo), strict=True))
        if todo:
            self.con.execute("INSERT OR REPLACE INTO raw.empreintes_fichiers SELECT ?, unnest(?), unnest(?), "
                             "unnest(?), unnest(?)", [source.name, [p.name for p in todo],
                                                      [stats[p].st_size for p in todo],
                                                      [stats[p].st_mtime_ns for p in todo], [shas[p] for p in todo]])
        return shas

    def load_file(self, source: Source, path: Path, sha: str | None = None) -> FileResult | None:
        sha = sha or sha256_file(path)
        seen = self.con.execute(
            "SELECT fichier, statut FROM raw.journal_chargements WHERE sha256 = ? AND source = ? "
            "ORDER BY charge_le", [sha, source.name]).fetchall()
        if any(f == path.name for f, _ in seen):
            return None  # this very file was already processed: nothing to do, nothing twice
        loaded_as = [f for f, s in seen if s == "CHARGE"]
        extracted = extraction_date(path.name)
        if loaded_as:
            result = FileResult(source.name, path.name, "DOUBLON",
                                message=f"{path.name} : contenu identique au fichier déjà chargé "
                                        f"« {loaded_as[0]} » ; rien n'est chargé deux fois.")
            self._record(result, sha, path, extracted)
            return result
        try:
            if extracted is None:
                raise ExtractError(
                    f"{path.name} : date d'extraction absente du nom du fichier (attendu "
                    f"« {source.name}_<période>_extrait_AAAA-MM-JJ.csv »).")
            if extracted > date.today():
                raise ExtractError(f"{path.name} : date d'extraction {extracted:%d/%m/%Y} dans le futur.")
            result = self._load(source, path, sha, extracted)
        except (ExtractError, duckdb.Error) as e:
            message = str(e) if isinstance(e, ExtractError) else \
                f"{path.name} : fichier illisible ({str(e).splitlines()[0]})."
            result = FileResult(source.name, path.name, "REFUSE", message=message)
            self._record(result, sha, path, extracted)
        return result

    def _record(self, r: FileResult, sha: str, path: Path, extracted: date | None) -> None:
        self.con.execute(
            "INSERT INTO raw.journal_chargements VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [r.source, r.fichier, sha, path.stat().st_size, extracted, r.statut, r.nb_lignes_lues,
             r.nb_lignes_chargees, r.nb_lignes_rejetees, r.message, " ; ".join(r.avertissements) or None,
             self.loaded_at])

    def _read_file(self, source: Source, path: Path, extracted: date) -> tuple[dict[int, Column], list[str]]:
        """Read the file into the temp table ``_fichier``: only stored columns (identifiers already
        transformed) and ``_ligne``; structural row errors into ``_rejets_structure``."""
        suffix = path.suffix.lower()
        if suffix not in {f".{x}" for x in source.formats}:
            raise ExtractError(
                f"{path.name} : format « {suffix or 'sans extension'} » non accepté pour {source.label} "
                f"(accepté : {', '.join('.' + x for x in source.formats)}).")
        if suffix == ".xlsx":
            load_extension(self.con, "excel")
            return self._read_xlsx(source, path, extracted)
        encoding = detect_encoding(path)
        if encoding == "CP1252":
            load_extension(self.con, "encodings")
        header = _csv_header(path, encoding)
        mapping, warnings = map_header(path.name, source, header, 1)
        if encoding == "CP1252":
            warnings.append("fichier encodé en Windows-1252, converti en UTF-8")
        columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
        self.con.execute("DROP TABLE IF EXISTS _rejets_csv; DROP TABLE IF EXISTS _rejets_csv_scan")
        reader = (f"read_csv({_sql_str(str(path))}, delim=';', quote='\"', escape='\"', header=true, "
                  f"auto_detect=false, columns={columns}, encoding='{encoding}', store_rejects=true, "
                  "rejects_table='_rejets_csv', rejects_scan='_rejets_csv_scan')")
        select = self._select_columns(mapping, extracted, lambda i: f"c{i}")
        # Line numbers assume one record per line (line 1 is the header); renumbered below if rows were rejected.
        # They come from the rowid of a first copy, which keeps the file's order (insertion order is preserved):
        # a row_number() window over the reader cost as much as reading the file.
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _lu AS SELECT {select} FROM {reader}")
        self.con.execute("CREATE OR REPLACE TEMP TABLE _fichier AS SELECT *, rowid + 2 AS _ligne FROM _lu; "
                         "DROP TABLE _lu")
        # Structural row errors (wrong number of fields, unterminated quote) come with their line;
        # the good rows take the remaining line numbers in order (one record per line).
        self.con.execute("""
            CREATE OR REPLACE TEMP TABLE _rejets_structure AS
            SELECT line AS ligne, arg_min(column_name, column_idx) AS position, CASE arg_min(error_type, column_idx)
                     WHEN 'MISSING COLUMNS' THEN 'ligne incomplète (champs manquants)'
                     WHEN 'TOO MANY COLUMNS' THEN 'ligne avec trop de champs'
                     WHEN 'UNQUOTED VALUE' THEN 'guillemet non fermé'
                     ELSE 'ligne illisible (' || lower(arg_min(error_type, column_idx)) || ')' END
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
        n_bad = self.con.execute("SELECT count(*) FROM _rejets_structure").fetchone()[0]
        if n_bad:  # the good rows take the line numbers the rejected ones left, in order
            self.con.execute(f"""
                UPDATE _fichier SET _ligne = l.ligne FROM (
                    SELECT row_number() OVER (ORDER BY l) + 1 AS ordre, l AS ligne
                    FROM range(2, 2 + (SELECT count(*) FROM _fichier) + {n_bad}) t(l)
                    WHERE l NOT IN (SELECT ligne FROM _rejets_structure)) AS l
                WHERE _fichier._ligne = l.ordre""")
        return mapping, warnings

    def _read_xlsx(self, source: Source, path: Path, extracted: date) -> tuple[dict[int, Column], list[str]]:
        try:
            corner = f"{_excel_column(HEADER_SEARCH_COLUMNS)}{HEADER_SEARCH_ROWS}"
            top = self.con.execute(
                f"SELECT * FROM read_xlsx({_sql_str(str(path))}, header=false, all_varchar=true, "
                f"range='A1:{corner}', stop_at_empty=false)").fetchall()
        except Exception as e:
            raise ExtractError(f"{path.name} : classeur Excel illisible ({e}).") from None
        expected = {normalise_header(c.header) for c in source.columns}
        scores = [sum(normalise_header(v or "") in expected for v in row) for row in top]
        if not scores or max(scores) == 0:
            raise ExtractError(f"{path.name} : aucun en-tête reconnu dans les {HEADER_SEARCH_ROWS} premières "
                               "lignes de la première feuille.")
        header_row = scores.index(max(scores)) + 1
        header = [(v or "").strip() for v in top[header_row - 1]]
        while header and not header[-1]:
            header.pop()
        mapping, warnings = map_header(path.name, source, header, header_row)
        if header_row > 1:
            warnings.append(f"en-tête trouvé ligne {header_row} (lignes de titre ignorées)")
        last_col = _excel_column(len(header))
        select = self._select_columns(mapping, extracted, lambda i: f'"{_excel_column(i + 1)}"', xlsx=True)
        self.con.execute("CREATE OR REPLACE TEMP TABLE _rejets_structure "
                         "(ligne BIGINT, position VARCHAR, motif VARCHAR, valeur VARCHAR)")
        self.con.execute("CREATE OR REPLACE TEMP TABLE _entetes (position VARCHAR, entete VARCHAR)")
        names = ", ".join(f'"{_excel_column(i + 1)}"' for i in range(len(header)))
        self.con.execute(f"""
            CREATE OR REPLACE TEMP TABLE _xlsx AS
            SELECT * FROM (
                SELECT * , row_number() OVER () + {header_row} AS _ligne
                FROM read_xlsx({_sql_str(str(path))}, header=false, all_varchar=true,
                               range='A{header_row + 1}:{last_col}1048576', stop_at_empty=false)
            ) WHERE coalesce({names}) IS NOT NULL""")
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _fichier AS SELECT {select}, _ligne FROM _xlsx")
        return mapping, warnings

    @staticmethod
    def _select_columns(mapping: dict[int, Column], extracted: date, ref, xlsx: bool = False) -> str:
        parts = []
        for i, c in sorted(mapping.items()):
            if not c.stored:
                continue  # direct identifiers are never selected, hence never stored
            value = f"nullif(trim({ref(i)}), '')"
            if xlsx and c.kind in ("date", "naissance"):
                # Excel date cells come out as serial day numbers (or ISO text): back to the producers' format.
                serial = f"DATE '1899-12-30' + CAST(floor(CAST({value} AS DOUBLE)) AS INTEGER)"
                value = (f"CASE WHEN regexp_full_match({value}, '[0-9]+(\\.[0-9]+)?') "
                         f"THEN strftime({serial}, '%d/%m/%Y') "
                         f"WHEN regexp_matches({value}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}') "
                         f"THEN strftime(left({value}, 10)::DATE, '%d/%m/%Y') ELSE {value} END")
            if c.kind == "identifiant":
                value = f"pseudonyme({value})"
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
        self.con.execute(f"CREATE OR REPLACE TEMP TABLE _erreurs AS {self._errors_sql(source, mapping, extracted)}")
        self._refuse_if_structural(source, path, mapping, n_read)
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
            self.con.execute("""
                INSERT INTO raw.rejets
                SELECT ?, ?, ?, ligne, colonne, valeur, motif, ? FROM _erreurs
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
            test = {
                "date": (f"(try_strptime({col}, '%d/%m/%Y') IS NULL "
                         f"OR NOT regexp_full_match({col}, '[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}}'))",
                         "'date invalide (attendu JJ/MM/AAAA)'"),
                "entier": (f"NOT regexp_full_match({col}, '-?[0-9]+')", "'nombre entier invalide'"),
                "decimal": (f"try_cast(replace(replace({col}, ' ', ''), ',', '.') AS DECIMAL(18, 2)) IS NULL",
                            "'nombre décimal invalide (attendu par exemple 1234,56)'"),
                "booleen": (f"{col} NOT IN ('O', 'N')", "'valeur attendue O ou N'"),
                "code": (f"{col} NOT IN (SELECT code FROM _codes WHERE liste = '{c.codes}')",
                         f"'code inconnu de la liste {c.codes}'"),
                "commune": (f"{col} NOT IN (SELECT code FROM _codes WHERE liste = 'communes')",
                            "'code commune inconnu du COG (ni actuel ni ancien) du Pas-de-Calais'"),
            }.get(c.kind)
            if test:
                checks.append((col, label, f"{col} IS NOT NULL AND {test[0]}", test[1]))
            if c.kind == "date":
                checks.append((col, label, f"date_fr({col}) > DATE '{extracted.isoformat()}'",
                               "'date postérieure à la date d''extraction'"))
            if c.kind == "decimal":
                checks.append((col, label, f"nombre_fr({col}) < 0", "'montant négatif'"))
        for rule in source.rules:
            if rule.column in {c.name for c in mapping.values()}:
                column = source.column(rule.column)
                checks.append((f'"{column.stored_name}"', _sql_str(column.header), f"coalesce({rule.invalid}, false)",
                               _sql_str(rule.reason)))
        parts = [f"SELECT _ligne AS ligne, {label} AS colonne, CAST({col} AS VARCHAR) AS valeur, {motif} AS motif "
                 f"FROM _fichier WHERE {cond}" for col, label, cond, motif in checks]
        key = ", ".join(f'"{source.column(k).stored_name}"' for k in source.key)
        parts.append(f"""
            SELECT _ligne, {_sql_str(' + '.join(source.column(k).header for k in source.key))}, NULL,
                   'doublon de la ligne ' || premiere || ' (même clé dans le fichier)'
            FROM (SELECT _ligne, min(_ligne) OVER (PARTITION BY {key}) AS premiere FROM _fichier)
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
                + (f" (valeur « {valeur} »)" if valeur is not None else "") + ". Fichier refusé en entier.")


def _excel_column(n: int) -> str:
    name = ""
    while n:
        n, r = divmod(n - 1, 26)
        name = chr(65 + r) + name
    return name or "A"


def load_all(con, depot_dir: Path, key: bytes, sources: list[str] | None = None) -> dict[str, list[FileResult]]:
    loader = Loader(con, key)
    return {name: loader.load_source(SOURCES[name], depot_dir / name) for name in (sources or SOURCES)}
