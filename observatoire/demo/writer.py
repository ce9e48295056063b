"""Writing extract files exactly as extracts.py specifies them: French headers in contract order, `;`,
decimal comma, JJ/MM/AAAA dates, O/N booleans, empty for null; CSV through DuckDB's COPY from an Arrow table,
optional transcoding to Windows-1252, or a first-sheet .xlsx.

A generator hands over an Arrow table whose columns are named after the contract's warehouse names (typed:
date32 for dates, float64 for decimals, integers, bool for O/N, strings or dictionaries for codes), plus
helper columns and SQL expressions for the fields assembled at write time (identities, case numbers).
"""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from observatoire.extracts import SOURCES, Source


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def default_expression(kind: str, column: str) -> str:
    c = _quote(column)
    if kind in ("date", "naissance"):
        return f"strftime({c}, '%d/%m/%Y')"
    if kind == "decimal":
        return f"replace(printf('%.2f', {c}), '.', ',')"
    if kind == "booleen":
        return f"CASE WHEN {c} THEN 'O' WHEN NOT {c} THEN 'N' END"
    return f"CAST({c} AS VARCHAR)"


def select_sql(source: Source, table_columns: list[str], expressions: dict[str, str], relation: str) -> str:
    """SELECT of the contract's columns, in order, with their French headers."""
    parts = []
    for col in source.columns:
        if col.name in expressions:
            expr = expressions[col.name]
        elif col.name in table_columns:
            expr = default_expression(col.kind, col.name)
        else:
            raise KeyError(f"{source.name}: colonne {col.name!r} absente de la table générée")
        parts.append(f"{expr} AS {_quote(col.header)}")
    return f"SELECT {', '.join(parts)} FROM {relation}"


class Writer:
    """Writes extract files; one in-process DuckDB connection for the whole run."""

    def __init__(self, threads: int = 2):
        self.con = duckdb.connect()
        self.con.execute(f"SET threads = {int(threads)}")
        self.con.execute("SET preserve_insertion_order = true")
        self.con.execute("SET enable_progress_bar = false")

    def close(self) -> None:
        self.con.close()

    def write(self, source_name: str, table: pa.Table, path: Path, expressions: dict[str, str] | None = None,
              fmt: str = "csv", encoding: str = "utf-8", extracted: date | None = None) -> int:
        source = SOURCES[source_name]
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        query = select_sql(source, table.column_names, expressions or {}, "extrait")
        if fmt == "csv":
            self.con.register("extrait", table)
            try:
                self.con.execute(f"COPY ({query}) TO '{tmp.as_posix()}' (HEADER, DELIMITER ';')")
            finally:
                self.con.unregister("extrait")
            if encoding.lower().replace("-", "") not in ("utf8",):
                tmp.write_bytes(tmp.read_bytes().decode("utf-8").encode(encoding))
        elif fmt == "xlsx":
            tmp.write_bytes(self._xlsx(source, table, query, extracted or date(2000, 1, 1)))
        else:
            raise ValueError(f"format inconnu : {fmt}")
        os.replace(tmp, path)
        return table.num_rows

    def _xlsx(self, source: Source, table: pa.Table, query: str, stamp: date) -> bytes:
        """The sheet's rows are assembled as XML by DuckDB (inline strings, one <row> per record)."""
        headers = [c.header for c in source.columns]
        cells = []
        for i, h in enumerate(headers):
            ref = _quote(h)
            cells.append(f"CASE WHEN {ref} IS NULL THEN '' ELSE '<c r=\"{excel_column(i + 1)}' || _r || "
                         f"'\" t=\"inlineStr\"><is><t>' || {_xml_escape_sql(ref)} || '</t></is></c>' END")
        ordered = table.append_column("_ordre", pa.array(range(table.num_rows), pa.int64()))
        sql = (f"SELECT string_agg('<row r=\"' || _r || '\">' || concat({', '.join(cells)}) || '</row>', '' "
               f"ORDER BY _r) FROM (SELECT row_number() OVER (ORDER BY _ordre) + 1 AS _r, * "
               f"FROM ({query.removesuffix(' FROM extrait')}, _ordre FROM extrait))")
        self.con.register("extrait", ordered)
        try:
            body = self.con.execute(sql).fetchone()[0] or ""
        finally:
            self.con.unregister("extrait")
        header = "".join(f'<c r="{excel_column(i + 1)}1" t="inlineStr"><is><t>{_xml_escape(h)}</t></is></c>'
                         for i, h in enumerate(headers))
        return xlsx_package(f'<row r="1">{header}</row>{body}', len(headers), table.num_rows + 1, stamp)


def excel_column(n: int) -> str:
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml_escape_sql(expr: str) -> str:
    return f"replace(replace(replace({expr}, '&', '&amp;'), '<', '&lt;'), '>', '&gt;')"


_NS = "http://schemas.openxmlformats.org"
_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Types xmlns="{_NS}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" '
        'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
        "</Types>"),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_NS}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{_NS}/package/2006/relationships/metadata/core-properties" '
        'Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{_NS}/officeDocument/2006/relationships/extended-properties" '
        'Target="docProps/app.xml"/>'
        "</Relationships>"),
    "docProps/app.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Properties xmlns="{_NS}/officeDocument/2006/extended-properties">'
        "<Application>Observatoire PDALHPD 62 (démonstration)</Application></Properties>"),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{_NS}/spreadsheetml/2006/main" '
        f'xmlns:r="{_NS}/officeDocument/2006/relationships">'
        '<sheets><sheet name="Extraction" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<Relationships xmlns="{_NS}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_NS}/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>"),
    "xl/styles.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<styleSheet xmlns="{_NS}/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"),
}


def xlsx_package(rows_xml: str, n_cols: int, n_rows: int, stamp: date) -> bytes:
    """A one-sheet workbook around the given <row> elements; byte-identical for the same input."""
    when = datetime(stamp.year, stamp.month, stamp.day)
    iso = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    core = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            f'<cp:coreProperties xmlns:cp="{_NS}/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{iso}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{iso}</dcterms:modified></cp:coreProperties>')
    sheet = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
             f'<worksheet xmlns="{_NS}/spreadsheetml/2006/main">'
             f'<dimension ref="A1:{excel_column(n_cols)}{n_rows}"/>'
             f"<sheetData>{rows_xml}</sheetData></worksheet>")
    parts = {**_PARTS, "docProps/core.xml": core, "xl/worksheets/sheet1.xml": sheet}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("[Content_Types].xml", "_rels/.rels", "docProps/app.xml", "docProps/core.xml",
                     "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"):
            info = zipfile.ZipInfo(name, date_time=when.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            zf.writestr(info, parts[name].encode("utf-8"))
    return out.getvalue()
