"""Content-level faults of extract files, attacked with generated hostile files: line numbers as a text editor
shows them (empty lines, newlines inside quotes, Windows line ends, BOM, Windows-1252), over-long lines and
values, unnamed columns, several .xlsx sheets and unreadable workbooks. Expected line numbers are counted by
the generators below while they write, never by the loader's own logic."""

from __future__ import annotations

import random
import re
import zipfile

import pytest

from observatoire.extracts import SOURCES
from observatoire.ingestion.reading import MAX_LINE_BYTES
from observatoire.ingestion.row_checks import MAX_COPIED_VALUE
from observatoire.warehouse import connect
from tests.fabrique import VALID_ROWS, fsl_row, workbook, write_xlsx
from tests.test_corpus import ENGLISH  # DuckDB's English words, which must never reach a user
from tests.test_ingestion import NAME, load
from tests.test_ingestion import warehouse as warehouse_fixture

warehouse = warehouse_fixture  # the same fixture: a warehouse file of the test's own
HEADERS = [c.header for c in SOURCES["fsl"].columns]


def rejects(con) -> list[tuple]:
    return con.execute("SELECT ligne, colonne, valeur, motif FROM raw.rejets ORDER BY ligne").fetchall()


def loaded_lines(con, source="fsl") -> list[int]:
    return [line for line, in con.execute(f"SELECT _ligne FROM raw.{source} ORDER BY 1").fetchall()]


def _field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ';"\r\n') else value


class HostileCsv:
    """Writes an FSL extract record by record and counts, as it writes, the line where each record starts."""

    def __init__(self, eol: str):
        self.eol, self.text, self.line = eol, "", 1
        self.good: list[int] = []  # start lines of the records that must load
        self.bad: dict[int, str] = {}  # start line -> column of the records that must be quarantined
        self._write(";".join(HEADERS) + eol)

    def _write(self, text: str) -> None:
        self.text += text
        self.line += len(re.findall(r"\r\n|\n", text))  # what a text editor counts

    def empty_line(self) -> None:
        self._write(self.eol)

    def record(self, n: int, address: str = "", bad: str | None = None, short: bool = False) -> None:
        row = fsl_row(**{"N° dossier": f"FSL-2024-{n:06d}", "Adresse": address})
        if bad:
            row[bad] = {"Montant accordé": "douze", "Code commune": "99999"}[bad]
        fields = [_field(row.get(h, "")) for h in HEADERS]
        if short:  # stops after its 9th field: quarantined under the 10th column
            fields, bad = fields[:9], HEADERS[9]
        (self.bad.__setitem__(self.line, bad) if bad else self.good.append(self.line))
        self._write(";".join(fields) + self.eol)


@pytest.mark.parametrize("seed", range(12))
def test_line_numbers_are_those_a_text_editor_shows(tmp_path, seed):
    rnd = random.Random(seed)
    eol = rnd.choice(["\n", "\r\n"])
    encoding = rnd.choice(["utf-8", "utf-8-sig", "cp1252"])
    csv_file = HostileCsv(eol)
    for n in range(rnd.randint(5, 40)):
        if rnd.random() < 0.2:
            for _ in range(rnd.randint(1, 3)):
                csv_file.empty_line()
        address = rnd.choice(["", "8 rue Jean Jaurès 62300 Lens", "Résidence Les Tilleuls\nbât. B\n62300 Lens",
                              "12 rue Pasteur\r\n62400 Béthune", 'Le "Clos" ; esc. 2\n\n62100 Calais'])
        kind = rnd.random()
        csv_file.record(n, address, bad=rnd.choice(["Montant accordé", "Code commune"]) if kind < 0.15 else None,
                        short=0.15 <= kind < 0.25)
    if rnd.random() < 0.5:
        csv_file.empty_line()
    path = tmp_path / "fsl" / NAME
    path.parent.mkdir()
    path.write_bytes(csv_file.text.encode(encoding))
    con = connect(tmp_path / "entrepot.duckdb")
    try:
        [result] = load(con, tmp_path)
        assert result.statut == "CHARGE", result.message
        assert loaded_lines(con) == csv_file.good
        assert [(r[0], r[1]) for r in rejects(con)] == sorted(csv_file.bad.items())
        for row in rejects(con):
            assert not ENGLISH.search(row[3]), row
    finally:
        con.close()


def test_a_file_in_one_record_per_line_keeps_its_numbers_with_rejected_lines(warehouse, tmp_path):
    csv_file = HostileCsv("\n")
    for n in range(6):
        csv_file.record(n, short=n == 2, bad="Code commune" if n == 4 else None)
    (tmp_path / "fsl").mkdir()
    (tmp_path / "fsl" / NAME).write_text(csv_file.text, encoding="utf-8")
    load(warehouse, tmp_path)
    assert loaded_lines(warehouse) == [2, 3, 5, 7] == csv_file.good
    assert [(r[0], r[1]) for r in rejects(warehouse)] == [(4, "Logement identifié"), (6, "Code commune")]


@pytest.mark.parametrize("where", ["Motif de refus", "Nom", "N° dossier"])
def test_an_over_long_line_is_quarantined_under_its_longest_field_never_copied(warehouse, tmp_path, where):
    rows = [fsl_row(**{"N° dossier": f"L{i}"}) for i in range(4)]
    huge = "Dossier incomplet ; pièces manquantes. " * 3000  # 117 000 characters, quoted (it holds ";")
    assert len(huge.encode()) > MAX_LINE_BYTES
    rows[2][where] = huge
    (tmp_path / "fsl").mkdir()
    (tmp_path / "fsl" / NAME).write_text(
        "\n".join([";".join(HEADERS)] + [";".join(_field(r.get(h, "")) for h in HEADERS) for r in rows]) + "\n",
        encoding="utf-8")
    [result] = load(warehouse, tmp_path)
    assert (result.statut, result.nb_lignes_chargees, result.nb_lignes_rejetees) == ("CHARGE", 3, 1)
    [(line, column, value, reason)] = rejects(warehouse)
    assert (line, column, value) == (4, where, None)
    assert reason == (f"ligne trop longue (plus de 65 536 octets) : champ de {len(huge):_} caractères, "
                      "valeur non recopiée").replace("_", " ")
    assert loaded_lines(warehouse) == [2, 3, 5]
    assert "pièces manquantes" not in str(warehouse.execute("SELECT * FROM raw.rejets, raw.journal_chargements")
                                            .fetchall())


def test_a_long_bad_value_is_not_copied_into_the_quarantine(warehouse, tmp_path):
    rows = [fsl_row(**{"N° dossier": f"V{i}"}) for i in range(4)]
    rows[1]["Volet"] = "X" * (MAX_COPIED_VALUE + 1)
    rows[2]["Volet"] = "Y" * MAX_COPIED_VALUE
    (tmp_path / "fsl").mkdir()
    (tmp_path / "fsl" / NAME).write_text(
        "\n".join([";".join(HEADERS)] + [";".join(r.get(h, "") for h in HEADERS) for r in rows]) + "\n",
        encoding="utf-8")
    load(warehouse, tmp_path)
    assert rejects(warehouse) == [
        (3, "Volet", None, f"code inconnu de la liste fsl_volets (valeur de {MAX_COPIED_VALUE + 1} caractères, "
                           "non recopiée)"),
        (4, "Volet", "Y" * MAX_COPIED_VALUE, "code inconnu de la liste fsl_volets")]


@pytest.mark.parametrize("trailing", [1, 2, 5])
def test_trailing_unnamed_columns_are_ignored_with_a_warning(warehouse, tmp_path, trailing):
    (tmp_path / "fsl").mkdir()
    tail = ";" * trailing
    lines = [";".join(HEADERS) + tail] + [";".join(fsl_row(**{"N° dossier": f"T{i}"}).get(h, "") for h in HEADERS)
                                          + tail for i in range(3)]
    (tmp_path / "fsl" / NAME).write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    [result] = load(warehouse, tmp_path)
    assert (result.statut, result.nb_lignes_chargees) == ("CHARGE", 3), result.message
    first, last = len(HEADERS) + 1, len(HEADERS) + trailing
    expected = (f"colonne sans nom (ligne 1, colonne {first}) ignorée" if trailing == 1 else
                f"{trailing} colonnes sans nom en fin de ligne (ligne 1, colonnes {first} à {last}) ignorées")
    assert result.avertissements == [expected]


def test_an_unnamed_column_in_the_middle_is_ignored_not_a_duplicate(warehouse, tmp_path):
    (tmp_path / "fsl").mkdir()
    headers = HEADERS[:5] + [""] + HEADERS[5:] + [""]
    row = fsl_row()
    (tmp_path / "fsl" / NAME).write_text(";".join(headers) + "\n" + ";".join(row.get(h, "") for h in headers)
                                         + "\n", encoding="utf-8")
    [result] = load(warehouse, tmp_path)
    assert result.statut == "CHARGE"
    assert result.avertissements == ["colonne sans nom (ligne 1, colonne 6) ignorée",
                                     f"colonne sans nom (ligne 1, colonne {len(headers)}) ignorée"]


@pytest.mark.parametrize("before", ["\n", "\r\n\r\n", " \n"])
def test_empty_lines_above_the_header_are_refused_naming_line_one(warehouse, tmp_path, before):
    (tmp_path / "fsl").mkdir()
    (tmp_path / "fsl" / NAME).write_text(before + ";".join(HEADERS) + "\n" + ";".join(
        fsl_row().get(h, "") for h in HEADERS) + "\n", encoding="utf-8")
    [result] = load(warehouse, tmp_path)
    assert result.statut == "REFUSE"
    assert result.message == (f"{NAME} : ligne 1 vide ; l'en-tête des colonnes doit être sur la première ligne "
                              "(colonne 1).")


def test_classic_mac_line_ends_are_refused_naming_line_and_column(warehouse, tmp_path):
    (tmp_path / "fsl").mkdir()
    (tmp_path / "fsl" / NAME).write_text("\r".join([";".join(HEADERS)] + [";".join(
        fsl_row(**{"N° dossier": f"M{i}"}).get(h, "") for h in HEADERS) for i in range(3)]) + "\r", encoding="utf-8")
    [result] = load(warehouse, tmp_path)
    assert result.statut == "REFUSE"
    column = len(";".join(HEADERS)) + 1
    assert f"fin de ligne « CR » seule ligne 1, colonne {column}" in result.message
    assert not ENGLISH.search(result.message)


# --- workbooks ------------------------------------------------------------------------------------------------
DALO = [c.header for c in SOURCES["dalo"].columns]
XLSX = "dalo_2024-T1_extrait_2024-04-10.xlsx"


def _dalo(n: int) -> list[str]:
    return [dict(VALID_ROWS["dalo"], **{"N° recours": f"DALO-62-2024-{n:04d}"}).get(h, "") for h in DALO]


def _workbook(path, sheets: dict[str, list[list]]):
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook(sheets).save(path)
    return path


@pytest.mark.parametrize("layout, outcome", [
    ({"A": "data", "B": "data"}, "REFUSE"),
    ({"A": "data", "B": "data", "C": "notes"}, "REFUSE"),
    ({"A": "notes", "B": "data", "C": "notes"}, "B"),
    ({"A": "empty", "B": "data"}, "B"),
    ({"A": "data", "B": "empty", "C": "notes"}, "A"),
    ({"A": "notes", "B": "notes"}, "REFUSE"),
])
def test_several_sheets(warehouse, tmp_path, layout, outcome):
    """Sheets holding data: refused (naming them) unless exactly one carries the header; an empty sheet does not
    count. Each data sheet holds other case numbers, so that the loaded rows tell which sheet was read."""
    contents = {"empty": lambda i: [],
                "notes": lambda i: [[None, None, "Notes de l'extraction"], ["département 62"]],
                "data": lambda i: [DALO] + [_dalo(10 * i + k) for k in range(1 + i)]}
    _workbook(tmp_path / "dalo" / XLSX, {title: contents[kind](i) for i, (title, kind) in enumerate(layout.items())})
    [result] = load(warehouse, tmp_path, "dalo")
    assert not ENGLISH.search(result.message + " ".join(result.avertissements)), result.message
    holding = [t for t, kind in layout.items() if kind != "empty"]
    if outcome == "REFUSE":
        assert result.statut == "REFUSE"
        assert all(f"« {t} »" in result.message for t in holding), result.message
        assert warehouse.execute("SELECT count(*) FROM raw.dalo").fetchone()[0] == 0
    else:
        assert (result.statut, result.nb_lignes_rejetees) == ("CHARGE", 0), result.message
        i = list(layout).index(outcome)
        assert result.nb_lignes_chargees == 1 + i and loaded_lines(warehouse, "dalo") == list(range(2, 3 + i))
        assert all(f"« {t} »" in " ".join(result.avertissements) for t in holding if t != outcome)


def test_an_over_long_xlsx_row_is_quarantined(warehouse, tmp_path):
    long_row = _dalo(2)
    for header in ("Nom", "Adresse", "Courriel"):  # a cell holds at most 32 767 characters
        long_row[DALO.index(header)] = "x" * 30_000
    long_row[DALO.index("Adresse")] += "y" * 2_000
    _workbook(tmp_path / "dalo" / XLSX, {"Recours": [DALO, _dalo(1), long_row, _dalo(3)]})
    [result] = load(warehouse, tmp_path, "dalo")
    assert (result.statut, result.nb_lignes_chargees, result.nb_lignes_rejetees) == ("CHARGE", 2, 1)
    assert rejects(warehouse) == [(3, "Adresse", None, "ligne trop longue (plus de 65 536 octets) : champ de "
                                                       "32 000 caractères, valeur non recopiée")]
    assert loaded_lines(warehouse, "dalo") == [2, 4]


def test_a_header_only_workbook_loads_nothing_with_a_warning(warehouse, tmp_path):
    write_xlsx(tmp_path / "dalo" / XLSX, [], "dalo")
    [result] = load(warehouse, tmp_path, "dalo")
    assert (result.statut, result.nb_lignes_chargees) == ("CHARGE", 0)
    assert result.avertissements == ["aucune ligne de données (en-tête seul)"]


def _hostile_workbooks(folder):
    good = write_xlsx(folder / "modele.xlsx", [VALID_ROWS["dalo"]] * 3, "dalo")
    data = good.read_bytes()
    yield "octets au hasard", random.Random(1).randbytes(5000)
    yield "vide", b""
    yield "coupé", data[:len(data) // 3]
    yield "CSV renommé", ";".join(DALO).encode("cp1252") + b"\r\n"
    with zipfile.ZipFile(good) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}

    def rezip(changes):
        out = folder / "tmp.zip"
        with zipfile.ZipFile(out, "w") as z:
            for name, content in {**members, **changes}.items():
                if content is not None:
                    z.writestr(name, content)
        return out.read_bytes()

    yield "sans classeur", rezip({"xl/workbook.xml": None})
    yield "classeur illisible", rezip({"xl/workbook.xml": b"<workbook><sheets><sheet"})
    yield "feuille illisible", rezip({"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row><c r='A1'"})
    yield "feuille absente", rezip({"xl/worksheets/sheet1.xml": None})


def test_unreadable_workbooks_are_refused_in_french_without_sql(tmp_path):
    for label, data in _hostile_workbooks(tmp_path / "modeles"):
        folder = tmp_path / label.replace(" ", "_")
        (folder / "dalo").mkdir(parents=True)
        (folder / "dalo" / XLSX).write_bytes(data)
        con = connect(folder / "entrepot.duckdb")
        try:
            [result] = load(con, folder, "dalo")
        finally:
            con.close()
        assert result.statut == "REFUSE", (label, result.message)
        assert result.message.startswith(f"{XLSX} : ") and "ligne" in result.message, (label, result.message)
        assert not ENGLISH.search(result.message), (label, result.message)
        assert not re.search(r"SELECT|read_xlsx|FROM|LINE \d|Error|Exception", result.message), (label, result.message)


@pytest.mark.parametrize("seed", range(8))
def test_garbled_csv_never_crashes_and_numbers_stay_in_the_file(tmp_path, seed):
    """A header, then rows made of random separators, quotes, line ends and text: whatever the loader decides,
    it decides in French, and every line it names exists in the file."""
    rnd = random.Random(seed)
    pieces = [";", ";", '"', '""', "\n", "\r\n", "\n\n", "62041", "ACCES", "é", " ", "x" * 50]
    body = "".join(rnd.choice(pieces) for _ in range(rnd.randint(50, 400)))
    text = ";".join(HEADERS) + "\n" + body
    (tmp_path / "fsl").mkdir()
    (tmp_path / "fsl" / NAME).write_text(text, encoding="utf-8")
    con = connect(tmp_path / "entrepot.duckdb")
    try:
        [result] = load(con, tmp_path)
        assert result.statut in ("CHARGE", "REFUSE")
        assert not ENGLISH.search(result.message + " ".join(result.avertissements)), result.message
        lines = len(re.findall(r"\r\n|\n", text)) + (not text.endswith("\n"))
        named = [r[0] for r in rejects(con)] + loaded_lines(con)
        assert all(2 <= line <= lines for line in named), (named, lines)
        assert len(set(loaded_lines(con))) == len(loaded_lines(con))
        for _, _, _, reason in rejects(con):
            assert not ENGLISH.search(reason), reason
    finally:
        con.close()


def test_a_workbook_date_that_is_no_date_quarantines_its_row_not_the_file(warehouse, tmp_path):
    """An ISO text that names no day and a serial number far beyond any date: each row is quarantined with the
    value shown; the file and its good rows load."""
    bad_iso, bad_serial, good = _dalo(2), _dalo(3), _dalo(4)
    bad_iso[DALO.index("Date de dépôt")] = "2024-02-30"
    bad_serial[DALO.index("Date de dépôt")] = 99_999_999
    good[DALO.index("Date de dépôt")] = "2024-02-29"
    _workbook(tmp_path / "dalo" / XLSX, {"Recours": [DALO, _dalo(1), bad_iso, bad_serial, good]})
    [result] = load(warehouse, tmp_path, "dalo")
    assert (result.statut, result.nb_lignes_chargees, result.nb_lignes_rejetees) == ("CHARGE", 2, 2), result.message
    assert [(line, column) for line, column, _, _ in rejects(warehouse)] == [(3, "Date de dépôt"), (4, "Date de dépôt")]
    values = [value for _, _, value, _ in rejects(warehouse)]
    assert values[0] == "2024-02-30" and values[1].startswith("99999999"), values
    assert warehouse.execute("SELECT date_depot FROM raw.dalo WHERE _ligne = 5").fetchone() == ("29/02/2024",)
