"""Identifiers and codes are text, even when a spreadsheet made numbers of them (.xlsx written by openpyxl, which
stores numbers as Excel does: a double, written with at most 17 significant digits)."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import duckdb
import openpyxl
import pytest

from observatoire.extracts import SNE_ATTRIBUTIONS
from observatoire.ingestion.loader import Loader
from observatoire.warehouse import connect, load_extension
from tests.corpus.fabriquer import lignes
from tests.fabrique import write_csv

KEY = b"cle-de-test-xlsx"
SOURCE = SNE_ATTRIBUTIONS
FIRST = "sne_attributions_2024-03_extrait_2024-04-08.csv"
AGAIN = "sne_attributions_2024-04_extrait_2024-05-06.xlsx"


def write_xlsx(path: Path, rows: list[dict]) -> Path:
    headers = [c.header for c in SOURCE.columns]
    wb = openpyxl.Workbook()
    wb.active.append(headers)
    for r in rows:
        wb.active.append([r.get(h) for h in headers])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def sheet_values(path: Path, column: str) -> list[str]:
    """The text the sheet's XML stores for each data cell of ``column`` (read apart from DuckDB)."""
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    cells = re.findall(rf'<c r="{column}(\d+)"[^>]*>(?:<v>([^<]*)</v>|<is><t>([^<]*)</t></is>)</c>', xml)
    return [v or t for row, v, t in cells if int(row) > 1]


def test_duckdb_reads_a_numeric_cell_as_the_text_the_sheet_stores(tmp_path):
    """What read_xlsx(all_varchar) gives for a numeric cell is the sheet's own text of the double: a number
    beyond 2^53 has already lost digits there (2^53 + 1 is stored as 9007199254740992, 62191234567890123 as
    6.219123456789012e+16), 62041.0 is stored as 62041; a text cell keeps its leading zero."""
    values = [2**53 + 1, 62191234567890123, 1e20, 62041.0, 62041, "062041", -5, 1.5, 0.1 + 0.2, 6.2191e16]
    path = tmp_path / "t.xlsx"
    wb = openpyxl.Workbook()
    for v in values:
        wb.active.append([v])
    wb.save(path)
    con = duckdb.connect()
    load_extension(con, "excel")
    read = [r[0] for r in con.execute(f"SELECT * FROM read_xlsx('{path}', header=false, all_varchar=true, "
                                      f"range='A1:A{len(values)}')").fetchall()]
    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    stored = [v or t for v, t in re.findall(r'<c r="A\d+"[^>]*>(?:<v>([^<]*)</v>|<is><t>([^<]*)</t></is>)</c>', xml)]
    assert read == stored
    assert stored[:5] == ["9007199254740992", "6.219123456789012e+16", "1e+20", "62041", "62041"]
    assert stored[5] == "062041"


def _attributions(numbers: list[str]) -> list[dict]:
    rows = lignes("sne_attributions", 1, len(numbers))
    for row, number in zip(rows, numbers, strict=True):
        row["Numéro unique"] = number
    return rows


def _load(con, folder: Path):
    return {r.fichier: r for r in Loader(con, KEY, workers=1).load_source(SOURCE, folder)}


def _counts(con) -> tuple[int, int, int]:
    """Rows in raw, distinct pseudonyms, rows loaded from the .xlsx."""
    return con.execute(f"SELECT count(*), count(DISTINCT numero_unique), count(*) FILTER (WHERE _fichier = "
                       f"'{AGAIN}') FROM raw.sne_attributions").fetchone()


def test_fifty_attributions_sent_again_as_numbers_are_not_counted_twice(tmp_path):
    """The issue's case: 50 SNE attributions (18-character numbers) loaded from a CSV, then re-delivered in an
    .xlsx whose Numéro unique cells are numbers: 6.22...e+16 has lost digits, so none of them may be hashed
    into a new pseudonym (a second demand) or merged with another."""
    numbers = [f"0622403100{i:08d}" for i in range(1, 51)]
    folder = tmp_path / "depot"
    write_csv(folder / FIRST, _attributions(numbers), "sne_attributions")
    rows = _attributions(numbers)
    for row in rows:
        row["Numéro unique"] = int(row["Numéro unique"])  # typed as numbers
    write_xlsx(folder / AGAIN, rows)
    assert all("e+16" in v for v in sheet_values(folder / AGAIN, "A"))
    con = connect(tmp_path / "entrepot.duckdb")
    try:
        results = _load(con, folder)
        assert results[FIRST].nb_lignes_chargees == 50
        assert results[AGAIN].nb_lignes_chargees == 0  # refused whole: the column's format is wrong
        assert "Numéro unique" in results[AGAIN].message and "ne redonne pas le code exact" in results[AGAIN].message
        assert _counts(con) == (50, 50, 0)
    finally:
        con.close()


def test_a_few_numeric_identifiers_are_quarantined_and_exact_ones_match_their_text(tmp_path):
    """Identifiers short enough for a double are read back exactly (the same pseudonym as their text, so the
    re-delivery replaces the earlier version); longer ones, negative or decimal ones are quarantined, the
    cell named, the value never copied."""
    numbers = [f"{620000000 + i}" for i in range(1, 21)]
    folder = tmp_path / "depot"
    write_csv(folder / FIRST, _attributions(numbers), "sne_attributions")
    rows = _attributions(numbers)
    exact = {0: 620000001, 1: 620000002.0, 2: 620000003}  # an int, a float, an int: all exact
    hostile = {5: 2**53 + 1, 6: 1e20, 7: -620000008, 8: 620000009.5}
    for i, v in (exact | hostile).items():
        rows[i]["Numéro unique"] = v
    rows[3]["Code commune du logement"] = 62041  # a commune typed as a number
    rows[4]["Code commune du logement"] = "062041"  # as text with a leading zero: not a COG code
    write_xlsx(folder / AGAIN, rows)
    con = connect(tmp_path / "entrepot.duckdb")
    try:
        results = _load(con, folder)
        assert (results[AGAIN].nb_lignes_chargees, results[AGAIN].nb_lignes_rejetees) == (15, 5)
        rejects = con.execute("SELECT ligne, colonne, valeur, motif FROM raw.rejets WHERE fichier = ? "
                              "ORDER BY ligne", [AGAIN]).fetchall()
        assert [(r[0], r[1], r[2]) for r in rejects] == [
            (6, "Code commune du logement", "062041"), *[(i + 2, "Numéro unique", None) for i in sorted(hostile)]]
        assert all("ne redonne pas le code exact" in r[3] for r in rejects[1:])
        total, distinct, from_xlsx = _counts(con)
        assert (total, distinct, from_xlsx) == (35, 20, 15)  # every loaded number matches its earlier text
        assert con.execute("SELECT code_commune FROM raw.sne_attributions WHERE _fichier = ? AND _ligne = 5",
                           [AGAIN]).fetchone() == ("62041",)
    finally:
        con.close()


@pytest.mark.parametrize("number", ["9007199254740992", "62191234567890123"])
def test_plain_digits_beyond_two_to_the_53_in_an_xlsx_are_not_trusted(tmp_path, number):
    """A numeric cell beyond 2^53 can be stored as plain digits that are not the ones typed: in an .xlsx such an
    identifier is quarantined; the same digits in a CSV are text, and kept."""
    folder = tmp_path / "depot"
    rows = _attributions([f"0622403100{i:08d}" for i in range(1, 6)])
    rows[0]["Numéro unique"] = number
    write_xlsx(folder / AGAIN, rows)
    con = connect(tmp_path / "entrepot.duckdb")
    try:
        result = _load(con, folder)[AGAIN]
        assert (result.nb_lignes_chargees, result.nb_lignes_rejetees) == (4, 1)
    finally:
        con.close()
