"""Reading an extract file into the TEMP table ``_fichier`` of a connection: encoding, separator and header
checks, DuckDB's CSV and XLSX readers, the line each row comes from, and the columns selected from the file.

Direct identifiers are never selected; case numbers are pseudonymised and birth dates become age bands as they
are read (observatoire/ingestion/pseudonymisation.py), so that no clear identifier reaches a table. A wrong
structure refuses the whole file (``ExtractError``) with a French message naming file, line and column; rows the
reader cannot split go to ``_rejets_structure``.
"""

from __future__ import annotations

import codecs
import csv
import difflib
import re
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import duckdb

from observatoire import formats
from observatoire.extracts import Column, Source, header_in, normalise_header, published_name
from observatoire.formats import FORMATS
from observatoire.ingestion.pseudonymisation import age_band_sql, pseudonym_sql
from observatoire.warehouse import literal, load_extension

HEADER_SEARCH_ROWS = 20  # an .xlsx may carry title rows above its header


HEADER_SEARCH_COLUMNS = 100


# Longest record accepted (a CSV line, or the cells of an .xlsx row): a longer one is quarantined, its value
# never copied. Real extracts stay under 1 KB a line; the limit keeps a runaway field (an unclosed quote, a
# pasted document) out of the warehouse and out of the reader's memory.
MAX_LINE_BYTES = 65_536


def french_integer(n: int) -> str:
    """An integer the French way: 65 536."""
    return f"{n:,}".replace(",", " ")


LONG_LINE = f"ligne trop longue (plus de {french_integer(MAX_LINE_BYTES)} octets)"


class ExtractError(Exception):
    """A file refused as a whole; the message is French and names file, line and column."""


class NotYetError(ExtractError):
    """A refusal whose cause goes away with time (extraction dated after today): the file waits."""


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


SEPARATORS = {";": "le point-virgule", ",": "la virgule", "\t": "la tabulation", "|": "la barre verticale"}


def csv_header(path: Path, encoding: str, delim: str = ";") -> list[str]:
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
    fields = next(csv.reader([text], delimiter=delim))
    if len(fields) == 1:
        for sep, label in SEPARATORS.items():
            if sep != delim and sep in text:
                raise ExtractError(
                    f"{path.name} : séparateur « {label.split(' ', 1)[1]} » trouvé ligne 1, "
                    f"colonne {text.index(sep) + 1} ; "
                    f"le séparateur attendu est {SEPARATORS[delim]} « {delim} »."
                )
    return [f.strip() for f in fields]


def _records(path: Path, encoding: str, until: int | None = None, delim: str = ";"):
    """(first line, last line, fields) of each non-empty data record, as a text editor numbers lines; quoting
    as DuckDB's reader reads it (``;``, ``"``, doubled quotes). Stops after line ``until``."""
    csv.field_size_limit(2**31 - 1)  # an over-long field is what some callers look for
    with open(path, encoding="utf-8-sig" if encoding == "utf-8" else "cp1252", newline="") as f:
        reader = csv.reader(f, delimiter=delim, quotechar='"', strict=False)
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


def map_header(file_name: str, source: Source, header: list[str], line: int,
               millesime: int | None = None) -> tuple[dict[int, Column], list[str]]:
    """Match the file's header to the specification: position -> column, plus warnings. An open-data file's
    missing column is named as the file of its ``millesime`` writes it."""
    expected = {normalise_header(c.header): c for c in source.file_columns}
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
    extra = [w for w in warnings if w.startswith("colonne supplémentaire")]
    if source.publication and extra:  # a publisher's file has many more variables than the ones used
        warnings = [w for w in warnings if w not in extra] + [f"{len(extra)} colonnes non utilisées ignorées"]
    found = {c.name for c in mapping.values()}
    # headers named as the file of its millésime writes them (the declared P{aa}_POP is P21_POP in 2021)
    def shown(h: str) -> str:
        return header_in(h, millesime) if millesime else h

    for c in source.file_columns:
        if c.stored and c.name not in found:
            extra = [h for i, h in enumerate(header) if i not in mapping]
            close = difflib.get_close_matches(c.header, extra, n=1, cutoff=0.6)
            hint = f" ; la colonne « {shown(close[0])} » porte-t-elle ce nom ?" if close else "."
            raise ExtractError(
                f"{file_name} : colonne obligatoire « {shown(c.header)} » "
                f"absente de l'en-tête (ligne {line}){hint} "
                f"Colonnes trouvées : {', '.join(shown(h) for h in header if h)}."
            )
    return mapping, warnings


def read_file(con, source: Source, path: Path, extracted: date) -> tuple[dict[int, Column], list[str]]:
    """Read the file into the temp table ``_fichier``: only stored columns (identifiers already
    transformed) and ``_ligne``, the line a text editor shows; structural row errors into
    ``_rejets_structure``."""
    suffix = path.suffix.lower()
    if source.reader == "classeur_suivi" and suffix == ".xlsx":
        from observatoire.followup.workbook import read_returned  # the follow-up workbook of fiche 6-3

        return read_returned(con, source, path)
    if suffix not in {f".{x}" for x in source.formats}:
        raise ExtractError(
            f"{path.name} : format « {suffix or 'sans extension'} » non accepté pour {source.label} "
            f"(accepté : {', '.join('.' + x for x in source.formats)}).")
    if suffix == ".xlsx":
        load_extension(con, "excel")
        mapping, warnings = _read_xlsx(con, source, path, extracted)
        if source.publication:  # a publisher's workbook: the values its name gives, rows outside the département
            _, constants = published_header(source, path.name, [])
            warnings += _published_rows(con, source, path.name, constants)
        return mapping, warnings
    scan = scan_text(path)
    encoding = scan.encoding
    if encoding == "CP1252":
        load_extension(con, "encodings")
    pub = source.publication
    delim = pub.separator if pub else ";"
    header = csv_header(path, encoding, delim)
    constants: dict[str, str] = {}
    if pub:
        header, constants = published_header(source, path.name, header)
    mapping, warnings = map_header(path.name, source, header, 1, int(constants["millesime"]) if pub else None)
    if encoding == "CP1252":
        warnings.append("fichier encodé en Windows-1252, converti en UTF-8")
    # A file with sections (``ragged``): lines may carry more fields than the documented ones, read and unused.
    width = len(header) + (RAGGED_SPARE_FIELDS if pub and pub.ragged else 0)
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width)) + "}"
    con.execute("DROP TABLE IF EXISTS _rejets_csv; DROP TABLE IF EXISTS _rejets_csv_scan")
    reader = (f"read_csv({literal(str(path))}, delim={literal(delim)}, quote='\"', escape='\"', header=true, "
              f"auto_detect=false, columns={columns}, encoding='{encoding}', max_line_size={MAX_LINE_BYTES}, "
              f"null_padding={str(bool(pub and pub.ragged)).lower()}, "
              "store_rejects=true, rejects_table='_rejets_csv', rejects_scan='_rejets_csv_scan')")
    select = select_columns(mapping, extracted, lambda i: f"c{i}")
    # Line numbers first assume one record per line (line 1 is the header), then are corrected below.
    # They come from the rowid of a first copy, which keeps the file's order (insertion order is preserved):
    # a row_number() window over the reader cost as much as reading the file.
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _lu AS SELECT {select} FROM {reader}")
    except duckdb.Error as e:  # rows the reader cannot split are rejected above: this is the whole file
        raise ExtractError(f"{path.name} : fichier illisible comme CSV{_line_of(e)} ; vérifier qu'il "
                           "s'agit bien d'un texte séparé par des points-virgules.") from None
    con.execute("CREATE OR REPLACE TEMP TABLE _fichier AS SELECT *, rowid + 2 AS _ligne FROM _lu; "
                     "DROP TABLE _lu")
    # Structural row errors (wrong number of fields, unterminated quote, over-long line) come with their
    # line as the reader counts it: empty lines count, newlines inside quotes do not.
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _rejets_structure AS
        SELECT line AS ligne, arg_min(column_name, coalesce(column_idx, -1)) AS position,
               CASE arg_min(error_type, coalesce(column_idx, -1))
                 WHEN 'MISSING COLUMNS' THEN 'ligne incomplète (champs manquants)'
                 WHEN 'TOO MANY COLUMNS' THEN 'ligne avec trop de champs'
                 WHEN 'UNQUOTED VALUE' THEN 'guillemet non fermé'
                 WHEN 'LINE SIZE OVER MAXIMUM' THEN {literal(LONG_LINE)}
                 ELSE 'ligne illisible' END
               || coalesce(' : ' || regexp_extract(arg_min(error_message, column_idx),
                           'Expected Number of Columns: (\\d+) Found: (\\d+)', ['attendus', 'trouves'])
                           .attendus || ' champs attendus, '
                           || regexp_extract(arg_min(error_message, column_idx),
                           'Expected Number of Columns: (\\d+) Found: (\\d+)', ['attendus', 'trouves'])
                           .trouves || ' trouvés', '') AS motif,
               NULL::VARCHAR AS valeur  -- never the raw line: it carries names and addresses
        FROM _rejets_csv GROUP BY line""")
    con.execute("CREATE OR REPLACE TEMP TABLE _entetes AS SELECT 'c' || (generate_subscripts(?, 1) - 1) "
                     "AS position, unnest(?::VARCHAR[]) AS entete", [header, header])
    n_read = con.execute("SELECT count(*) FROM _fichier").fetchone()[0]
    n_bad = con.execute("SELECT count(*) FROM _rejets_structure").fetchone()[0]
    if n_read + n_bad != scan.lines - 1:
        # Not one record per line (empty lines, newlines inside quotes): the file's lines are counted.
        _number_physical_lines(con, path, encoding, n_read, delim)
    elif n_bad:  # the good rows take the line numbers the rejected ones left, in order
        con.execute(f"""
            UPDATE _fichier SET _ligne = l.ligne FROM (
                SELECT row_number() OVER (ORDER BY l) + 1 AS ordre, l AS ligne
                FROM range(2, 2 + {n_read} + {n_bad}) t(l)
                WHERE l NOT IN (SELECT ligne FROM _rejets_structure)) AS l
            WHERE _fichier._ligne = l.ordre""")
    _name_longest_fields(con, path, encoding, delim)
    if pub:
        warnings += _published_rows(con, source, path.name, constants)
    return mapping, warnings


# Fields read beyond the documented ones on the lines of a file with sections (``Publication.ragged``): a line
# with more is quarantined as too long a line.
RAGGED_SPARE_FIELDS = 16

CENSUS_GAP = 5  # years at least between a census and the earlier one a file gives for comparison


def published_header(source: Source, file_name: str, header: list[str]) -> tuple[list[str], dict[str, str]]:
    """An open-data file's header with its millésimes read: ``P21_POP`` becomes the declared ``P{aa}_POP`` when
    the file is of millésime 2021, ``P15_POP`` the declared ``P{pp}_POP`` (the most recent earlier census the
    file gives, at least CENSUS_GAP years before; older ones are left unused); and the values the name gives
    (millesime, niveau) with millesime_precedent. A column of a millésime between the two, or after the file's,
    refuses the file (millésimes mixed up)."""
    pub = source.publication
    assert pub is not None
    groups = {k: v for k, v in published_name(source, file_name).groupdict().items() if v}
    year = int(groups["millesime"])
    if pub.fields:  # the first line is a comment: the fields are named by the publisher's documentation
        line = pub.separator.join(header)
        if pub.first_line and not re.fullmatch(pub.first_line, line, re.I):
            shown = line if len(line) <= 80 else line[:77] + "…"
            raise ExtractError(
                f"{file_name} : la ligne 1 (« {shown} ») n'est pas la ligne de commentaire que publie "
                f"{pub.publisher} (attendu « {pub.first_line_example} », sans en-tête de colonnes) ; "
                "fichier refusé : déposer le fichier tel que téléchargé, sans l'ouvrir ni l'enregistrer dans un "
                "tableur.")
        header = list(pub.fields)
    constants = {k: v.upper() if k == "niveau" else v for k, v in groups.items() if k != "jour"}
    templates = [(c.header, re.compile(re.escape(c.header).replace(r"\{aa\}", "(?P<aa>[0-9]{2})")
                                       .replace(r"\{pp\}", "(?P<pp>[0-9]{2})"), re.I))
                 for c in source.file_columns if "{" in c.header]
    current: dict[int, str] = {}
    earlier: dict[int, tuple[str, int]] = {}  # position -> (template, year)
    for i, h in enumerate(header):
        matches = [(t, m) for t, pattern in templates if (m := pattern.fullmatch(h.strip()))]
        here = [t for t, m in matches if m.groupdict().get("aa") and 2000 + int(m["aa"]) == year]
        before = [(t, 2000 + int(m["pp"])) for t, m in matches
                  if m.groupdict().get("pp") and 2000 + int(m["pp"]) <= year - CENSUS_GAP]
        other = [2000 + int(m["aa"]) for t, m in matches if m.groupdict().get("aa")]
        if here:
            current[i] = here[0]
        elif before:
            earlier[i] = before[0]
        elif other and other[0] > year - CENSUS_GAP:
            raise ExtractError(
                f"{file_name} : colonne « {h} » (ligne 1, colonne {i + 1}) du millésime {other[0]}, alors que le "
                f"nom du fichier annonce le millésime {year} ; fichier refusé (millésimes mélangés).")
    if earlier:
        previous = max(y for _, y in earlier.values())
        current |= {i: t for i, (t, y) in earlier.items() if y == previous}
        constants["millesime_precedent"] = str(previous)
    return [current.get(i, h) for i, h in enumerate(header)], constants


def _published_rows(con, source: Source, file_name: str, constants: dict[str, str]) -> list[str]:
    """Add the values the file name gives; leave out the rows outside the Pas-de-Calais (the files are
    national) and other sections' lines. Returns the warning that counts them."""
    pub = source.publication
    assert pub is not None
    for c in source.columns:
        if c.from_name:
            con.execute(f'ALTER TABLE _fichier ADD COLUMN "{c.stored_name}" VARCHAR DEFAULT '
                        f'{literal(constants.get(c.header, ""))}')
    if pub.period_column:
        _check_period(con, source, file_name, constants["millesime"])
    con.execute(f"CREATE OR REPLACE TEMP TABLE _hors_champ AS SELECT _ligne FROM _fichier "
                f"WHERE NOT coalesce({pub.keep}, false)")
    ignored = con.execute("SELECT count(*) FROM _hors_champ").fetchone()[0]
    if ignored and ignored == con.execute("SELECT count(*) FROM _fichier").fetchone()[0]:
        first = con.execute("SELECT min(_ligne) FROM _hors_champ").fetchone()[0]
        raise ExtractError(
            f"{file_name} : aucune des {french_integer(ignored)} lignes n'est retenue (toutes {pub.keep_label}, "
            f"première ligne {first}, colonne « {source.file_columns[0].header} ») ; vérifier qu'il s'agit du "
            f"fichier national publié par {pub.publisher} et que les codes géographiques sont lus en texte.")
    con.execute("DELETE FROM _fichier WHERE _ligne IN (SELECT _ligne FROM _hors_champ)")
    con.execute("DELETE FROM _rejets_structure WHERE ligne IN (SELECT _ligne FROM _hors_champ)")
    return [f"{french_integer(ignored)} lignes {pub.keep_label} ignorées"] if ignored else []


def _check_period(con, source: Source, file_name: str, millesime: str) -> None:
    """Refuse a file one of whose rows is of another reference period than the millésime its name gives (an
    export whose name the team writes: a file saved under the wrong year, or an unfiltered export)."""
    pub = source.publication
    assert pub is not None
    column = source.column(pub.period_column)
    expected = pub.period_example.format(millesime=millesime)
    found = con.execute(
        f'SELECT _ligne, "{column.stored_name}" FROM _fichier '
        f'WHERE NOT coalesce(regexp_full_match(trim("{column.stored_name}"), ?), false) ORDER BY _ligne',
        [pub.period_pattern.format(millesime=millesime)]).fetchall()
    if not found:
        return
    line, value = found[0]
    others = sorted({v for _, v in found if v})
    listed = ", ".join(f"« {v} »" for v in others[:5]) + (" …" if len(others) > 5 else "")
    raise ExtractError(
        f"{file_name} : ligne {line}, colonne « {column.header} » : période « {value or ''} », alors que le nom du "
        f"fichier annonce le millésime {millesime} (attendu « {expected} » sur chaque ligne) ; "
        f"{french_integer(len(found))} lignes d'une autre période ({listed or 'vides'}). Fichier refusé : "
        f"exporter le seul mois de décembre {millesime}, ou renommer le fichier d'après l'année de son mois de "
        "décembre.")


def _number_physical_lines(con, path: Path, encoding: str, n_read: int, delim: str = ";") -> None:
    """Give rows and structural rejects the line where their record starts in the file. One pass of
    Python's CSV reader, with the same quoting rules as DuckDB's: only for files that need it."""
    reader_lines = {line for line, in con.execute("SELECT ligne FROM _rejets_structure").fetchall()}
    good, moved, hidden = [], {}, 0  # hidden: newlines inside quotes so far, which the reader does not count
    for start, end, _ in _records(path, encoding, delim=delim):
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
    con.execute("CREATE OR REPLACE TEMP TABLE _deplacees AS SELECT unnest(?::BIGINT[]) AS avant, "
                     "unnest(?::BIGINT[]) AS apres", [list(moved), list(moved.values())])
    con.execute("UPDATE _rejets_structure SET ligne = d.apres FROM _deplacees d "
                     "WHERE _rejets_structure.ligne = d.avant")
    con.execute("CREATE OR REPLACE TEMP TABLE _lignes AS SELECT generate_subscripts(?, 1) + 1 AS ordre, "
                     "unnest(?::BIGINT[]) AS ligne", [good, good])
    con.execute("UPDATE _fichier SET _ligne = l.ligne FROM _lignes l WHERE _fichier._ligne = l.ordre")
    con.execute("DROP TABLE _lignes; DROP TABLE _deplacees")


def _name_longest_fields(con, path: Path, encoding: str, delim: str = ";") -> None:
    """An over-long line is quarantined under its longest field's column, whose length the reason gives
    (the value itself is never copied)."""
    lines = {line for line, in con.execute(
        "SELECT ligne FROM _rejets_structure WHERE motif = ?", [LONG_LINE]).fetchall()}
    if not lines:
        return
    for start, _, fields in _records(path, encoding, until=max(lines, default=0), delim=delim):
        if start in lines:
            longest = max(range(len(fields)), key=lambda i: len(fields[i]))
            con.execute("UPDATE _rejets_structure SET position = ?, motif = ? WHERE ligne = ?",
                             [f"c{longest}", f"{LONG_LINE} : champ de {french_integer(len(fields[longest]))} "
                              "caractères, valeur non recopiée", start])


def _read_xlsx(con, source: Source, path: Path, extracted: date) -> tuple[dict[int, Column], list[str]]:
    """Read the workbook's data sheet into ``_fichier`` (rows keep their number in the sheet); rows longer
    than MAX_LINE_BYTES into ``_rejets_structure``."""
    sheet, header_row, header, mapping, warnings = _data_sheet(con, source, path)
    letters = [_excel_column(i + 1) for i in range(len(header))]
    select = select_columns(mapping, extracted, lambda i: f'"{letters[i]}"', xlsx=True)
    con.execute("CREATE OR REPLACE TEMP TABLE _rejets_structure "
                     "(ligne BIGINT, position VARCHAR, motif VARCHAR, valeur VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE _entetes AS SELECT unnest(?::VARCHAR[]) AS position, "
                     "unnest(?::VARCHAR[]) AS entete", [letters, header])
    names = [f'"{letter}"' for letter in letters]
    try:
        try:
            con.execute(f"""
                CREATE OR REPLACE TEMP TABLE _xlsx AS
                SELECT *, [{', '.join(f"strlen(coalesce({n}, ''))" for n in names)}] AS _octets
                FROM (
                    SELECT * , row_number() OVER () + {header_row} AS _ligne
                    FROM read_xlsx({literal(str(path))}, sheet={literal(sheet)}, header=false,
                                   all_varchar=true, range='A{header_row + 1}:{letters[-1]}1048576',
                                   stop_at_empty=false)
                ) WHERE coalesce({', '.join(names)}) IS NOT NULL""")
        except duckdb.BinderException:  # "no rows found": the header alone
            con.execute(f"CREATE OR REPLACE TEMP TABLE _xlsx AS SELECT "
                             f"{', '.join(f'NULL::VARCHAR AS {n}' for n in names)}, NULL::BIGINT AS _ligne, "
                             "NULL::BIGINT[] AS _octets LIMIT 0")
        too_long = con.execute(
            f"SELECT _ligne, list_position(_octets, list_max(_octets)) - 1 FROM _xlsx "
            f"WHERE list_sum(_octets) > {MAX_LINE_BYTES}").fetchall()
        for line, longest in too_long:
            length = con.execute(f'SELECT length("{letters[longest]}") FROM _xlsx WHERE _ligne = ?',
                                      [line]).fetchone()[0]
            con.execute("INSERT INTO _rejets_structure VALUES (?, ?, ?, NULL)", [
                line, letters[longest],
                f"{LONG_LINE} : champ de {french_integer(length)} caractères, valeur non recopiée"])
        con.execute(f"CREATE OR REPLACE TEMP TABLE _fichier AS SELECT {select}, _ligne FROM _xlsx "
                         "WHERE _ligne NOT IN (SELECT ligne FROM _rejets_structure)")
    except duckdb.Error as e:
        raise ExtractError(f"{path.name} : feuille « {sheet} » illisible"
                           f"{_line_of(e) or f' (lignes {header_row + 1} et suivantes)'} ; l'enregistrer de "
                           "nouveau au format « Classeur Excel (.xlsx) ».") from None
    return mapping, warnings


def _data_sheet(con, source: Source, path: Path) -> tuple[str, int, list[str], dict[int, Column], list[str]]:
    """The sheet to read, its header line, header, mapping and warnings. Several sheets holding data are
    refused, naming them, unless exactly one of them carries the header."""
    sheets = _xlsx_sheets(path)
    tops = {sheet: _xlsx_top(con, path, sheet) for sheet in sheets}
    holding = [sheet for sheet in sheets if _xlsx_holds_data(con, path, sheet, tops[sheet])]
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


def _xlsx_top(con, path: Path, sheet: str) -> list[tuple]:
    """The sheet's first rows and columns, where its header is looked for."""
    corner = f"{_excel_column(HEADER_SEARCH_COLUMNS)}{HEADER_SEARCH_ROWS}"
    try:
        return con.execute(
            f"SELECT * FROM read_xlsx({literal(str(path))}, sheet={literal(sheet)}, header=false, "
            f"all_varchar=true, range='A1:{corner}', stop_at_empty=false)").fetchall()
    except duckdb.Error:
        raise ExtractError(f"{path.name} : feuille « {sheet} » illisible (lignes 1 à {HEADER_SEARCH_ROWS}) ; "
                           "l'enregistrer de nouveau au format « Classeur Excel (.xlsx) ».") from None


def _xlsx_holds_data(con, path: Path, sheet: str, top: list[tuple]) -> bool:
    if any(v is not None for row in top for v in row):
        return True
    try:  # the reader skips the empty rows and columns before a sheet's first cell
        con.execute(f"SELECT count(*) FROM read_xlsx({literal(str(path))}, sheet={literal(sheet)}, "
                         "header=false, all_varchar=true, stop_at_empty=false)").fetchone()
    except duckdb.BinderException:  # "no rows found": an empty sheet
        return False
    except duckdb.Error:
        raise ExtractError(f"{path.name} : feuille « {sheet} » illisible ; l'enregistrer de nouveau au format "
                           "« Classeur Excel (.xlsx) ».") from None
    return True


def select_columns(mapping: dict[int, Column], extracted: date, ref, xlsx: bool = False) -> str:
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
                parts.append(f'{value} IS NOT NULL AND {exact} IS NULL AS "{inexact_flag(c)}"')
                value = pseudonym_sql(f"coalesce({exact}, {value})")
            else:
                value = f"coalesce({exact}, {value})"
        elif c.kind == "naissance":
            value = age_band_sql(f"try_strptime({value}, '%d/%m/%Y')", extracted)
        parts.append(f'{value} AS "{c.stored_name}"')
    return ", ".join(parts)


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


def inexact_flag(column: Column) -> str:
    """Column of ``_fichier`` flagging an identifier delivered as a number that lost digits."""
    return f"_inexact_{column.stored_name}"


def _excel_column(n: int) -> str:
    name = ""
    while n:
        n, r = divmod(n - 1, 26)
        name = chr(65 + r) + name
    return name or "A"
