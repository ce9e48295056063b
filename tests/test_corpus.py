"""The bad-input corpus (tests/corpus/, expected outcomes in tests/corpus/cas.yml): every case is dropped in a
fresh dépôt and loaded by the Loader; the ledger status, counts, French messages, quarantined rows and stored
values must be those written in cas.yml. Cases with a ``bogue`` are strict xfails until ingestion is fixed.
The files of every case that loads nothing are also dropped together on a small published demo: the refresh
may publish them in the ledger tables only (cas.yml's header defines it).
"""

from __future__ import annotations

import codecs
import csv
import difflib
import io
import re
import shutil
import zipfile
from collections import Counter
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
import yaml

from observatoire.extracts import SOURCES, normalise_header
from observatoire.ingestion.loader import Loader, load_all
from observatoire.warehouse import connect
from tests.conftest import Demo, demo_environment
from tests.corpus.fabriquer import CAS as FABRIQUES
from tests.corpus.fabriquer import fabriquer

CORPUS = Path(__file__).parent / "corpus"
CAS: dict[str, dict] = yaml.safe_load((CORPUS / "cas.yml").read_text(encoding="utf-8"))["cas"]
KEY = b"cle-de-test-corpus"
# Words of DuckDB's (English) error messages that must never reach a user's message.
ENGLISH = re.compile(r"\b(error|found|expected|value|invalid|missing|unterminated|quote|column|line|file)s?\b", re.I)
PERSONAL_KINDS = ("personnel", "identifiant", "naissance")


def _cases(with_key: str | None = None) -> list:
    return [pytest.param(name, id=name, marks=[pytest.mark.xfail(strict=True, reason=" ".join(case["bogue"].split()))]
                         if "bogue" in case else [])
            for name, case in CAS.items() if with_key is None or with_key in case]


def _drop(depot: Path, name: str) -> Path:
    """Copy a case's files into depot/<source>/, as the observatory team drops them."""
    folder = depot / CAS[name]["source"]
    folder.mkdir(parents=True, exist_ok=True)
    for f in sorted((CORPUS / name).iterdir()):
        shutil.copyfile(f, folder / f.name)
    return folder


def _french(text: str | None) -> None:
    assert not ENGLISH.search(text or ""), f"message en anglais : {text!r}"


def check_file(con, source: str, expected: dict) -> None:
    """Everything cas.yml says about one file, read back from the warehouse."""
    name = expected["nom"]
    [(statut, lues, chargees, rejetees, message, avertissements)] = con.execute(
        "SELECT statut, nb_lignes_lues, nb_lignes_chargees, nb_lignes_rejetees, message, avertissements "
        "FROM raw.journal_chargements WHERE source = ? AND fichier = ?", [source, name]).fetchall()
    assert statut == expected["statut"], message
    assert name in message
    for fragment in expected["message"]:
        assert fragment in message
    _french(message)

    stored = con.execute(f"SELECT count(*) FROM raw.{source} WHERE _fichier = ?", [name]).fetchone()[0]
    rejects = con.execute("SELECT ligne, colonne, valeur, motif FROM raw.rejets WHERE source = ? AND fichier = ? "
                          "ORDER BY ligne, colonne", [source, name]).fetchall()
    if statut != "CHARGE":  # a refused or duplicate file loads nothing and quarantines nothing
        assert (stored, rejects, chargees, rejetees) == (0, [], 0, 0)
        return
    assert (chargees, rejetees) == (expected["chargees"], expected["rejetees"])
    assert stored == chargees and lues == chargees + rejetees
    assert len({r[0] for r in rejects}) == rejetees

    wanted = sorted(expected.get("rejets", []), key=lambda r: (r["ligne"], r["colonne"] or ""))
    assert [(r[0], r[1], r[2]) for r in rejects] == [(w["ligne"], w["colonne"], w["valeur"]) for w in wanted]
    for (_, _, _, motif), w in zip(rejects, wanted, strict=True):
        if "motif" in w:
            assert motif == w["motif"]
        else:
            assert w["motif_contient"] in motif
        _french(motif)

    if "avertissements" in expected:
        if expected["avertissements"]:
            for fragment in expected["avertissements"]:
                assert fragment in (avertissements or "")
        else:
            assert avertissements is None
    _french(avertissements)

    if "lignes" in expected:  # the lines of the loaded rows, as a text editor (or the sheet) numbers them
        lines = con.execute(f"SELECT _ligne FROM raw.{source} WHERE _fichier = ? ORDER BY 1", [name]).fetchall()
        assert [line for line, in lines] == expected["lignes"]

    for column, values in expected.get("valeurs", {}).items():
        found = con.execute(f'SELECT DISTINCT "{column}" FROM raw.{source} WHERE _fichier = ? ORDER BY 1',
                            [name]).fetchall()
        assert [v for (v,) in found] == values


# --- the corpus itself -------------------------------------------------------------------------------------
def test_corpus_lists_every_case_folder_and_file():
    assert len(CAS) >= 15
    assert sorted(p.name for p in CORPUS.iterdir() if p.is_dir() and p.name[:2].isdigit()) == sorted(CAS)
    for name, case in CAS.items():
        assert case["source"] in SOURCES and case["description"]
        listed = [f["nom"] for f in case["fichiers"]]
        assert sorted(listed) == sorted(p.name for p in (CORPUS / name).iterdir()), name
    names = [(c["source"], f["nom"]) for c in CAS.values() for f in c["fichiers"]]
    assert len(names) == len(set(names)), "a file name is used by two cases: they could not share a dépôt"


def test_corpus_files_are_those_fabriquer_writes(tmp_path):
    fabriquer(tmp_path)
    assert sorted(FABRIQUES) == sorted(CAS)
    for name in CAS:
        for committed in sorted((CORPUS / name).iterdir()):
            made = tmp_path / name / committed.name
            if _cells(committed) is not None:  # a workbook: compare its cells (zip details vary with openpyxl)
                assert _cells(made) == _cells(committed), committed.name
            else:
                assert made.read_bytes() == committed.read_bytes(), committed.name


def _cells(path: Path) -> list[tuple] | None:
    """Every sheet's title and cells, or None when the file is not a readable workbook."""
    if path.suffix.lower() != ".xlsx":
        return None
    try:
        workbook = openpyxl.load_workbook(path)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        return None
    return [(ws.title, list(ws.iter_rows(values_only=True))) for ws in workbook.worksheets]


# --- each case in its own warehouse --------------------------------------------------------------------------
@pytest.mark.parametrize("name", _cases())
def test_case(name, tmp_path):
    case = CAS[name]
    folder = _drop(tmp_path / "depot", name)
    con = connect(tmp_path / "entrepot.duckdb")
    try:
        results = Loader(con, KEY).load_source(SOURCES[case["source"]], folder)
        assert [(r.fichier, r.statut) for r in results] == [(f["nom"], f["statut"]) for f in case["fichiers"]]
        for expected in case["fichiers"]:
            check_file(con, case["source"], expected)
    finally:
        con.close()


@pytest.mark.parametrize("name", _cases("fraicheur"))
def test_freshness(name, tmp_path):
    try:
        from observatoire.quality.suites import freshness
    except ImportError:
        pytest.skip("fraîcheur : observatoire.quality.suites absent")
    case = CAS[name]
    folder = _drop(tmp_path / "depot", name)
    con = connect(tmp_path / "entrepot.duckdb")
    try:
        Loader(con, KEY).load_source(SOURCES[case["source"]], folder)
        for check in case["fraicheur"]:
            [result] = freshness(con, check["aujourdhui"], [case["source"]])
            report = result.rapport()
            assert result.severite == check["severite"], report
            for fragment in check["message"]:
                assert fragment in report
            _french(report)
    finally:
        con.close()


# --- the whole corpus in one dépôt -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def one_run(tmp_path_factory):
    """Every case dropped in one dépôt and loaded by one run; the warehouse file is closed afterwards."""
    base = tmp_path_factory.mktemp("corpus")
    for name in CAS:
        _drop(base / "depot", name)
    con = connect(base / "entrepot.duckdb")
    results = load_all(con, base / "depot", KEY)
    con.close()
    return base / "entrepot.duckdb", results


def test_one_run_loads_the_good_files_and_nothing_of_the_refused_ones(one_run):
    path, results = one_run
    seen = sorted((r.source, r.fichier) for rs in results.values() for r in rs)
    assert seen == sorted((c["source"], f["nom"]) for c in CAS.values() for f in c["fichiers"])
    con = connect(path, read_only=True)
    try:
        for case in CAS.values():
            if "bogue" not in case:
                for expected in case["fichiers"]:
                    check_file(con, case["source"], expected)
        assert {s for s, in con.execute("SELECT DISTINCT statut FROM raw.journal_chargements").fetchall()} == {
            "CHARGE", "REFUSE", "DOUBLON", "EN_ATTENTE"}
        for source in SOURCES:  # every stored row comes from a loaded file
            from_files = {f for f, in con.execute(f"SELECT DISTINCT _fichier FROM raw.{source}").fetchall()}
            loaded = {f for f, in con.execute("SELECT fichier FROM raw.journal_chargements WHERE source = ? "
                                              "AND statut = 'CHARGE'", [source]).fetchall()}
            assert from_files <= loaded
    finally:
        con.close()


def _snapshot(con) -> dict[str, Counter]:
    """The raw tables of data (the journal and the files' fingerprints record every file seen, by design; the
    key's fingerprint is recorded by the first load)."""
    tables = [t for t, in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw' AND "
                                      "table_name NOT IN ('journal_chargements', 'empreintes_fichiers', "
                                      "'cle_pseudonymisation')").fetchall()]
    return {t: Counter(con.execute(f"SELECT * FROM raw.{t}").fetchall()) for t in tables}


def test_a_refused_file_leaves_the_warehouse_unchanged(tmp_path):
    """Cases arrive one after another in the same dépôt: a refused or duplicate file changes no raw table,
    a loaded one only adds its own rows, and files of earlier runs are not processed again."""
    depot = tmp_path / "depot"
    con = connect(tmp_path / "entrepot.duckdb")
    waiting: set[str] = set()  # files of earlier cases examined again at every run (EN_ATTENTE)
    try:
        for name, case in CAS.items():
            before = _snapshot(con)
            _drop(depot, name)
            results = [r for rs in load_all(con, depot, KEY).values() for r in rs if r.fichier not in waiting]
            assert sorted(r.fichier for r in results) == sorted(f["nom"] for f in case["fichiers"]), name
            waiting |= {r.fichier for r in results if r.statut == "EN_ATTENTE"}
            if "bogue" in case:
                continue
            after = _snapshot(con)
            loaded = {f["nom"]: f for f in case["fichiers"] if f["statut"] == "CHARGE"}
            for table, rows in after.items():
                old = before.get(table, Counter())
                assert not old - rows, f"{name} : des lignes de raw.{table} ont changé"
                added = rows - old
                if table == "rejets":
                    assert {r[1] for r in added} <= set(loaded)
                    assert len(added) == sum(len(f.get("rejets", [])) for f in loaded.values())
                elif table == case["source"]:
                    columns = [c for c, in con.execute(
                        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = ? "
                        "ORDER BY column_index", [table]).fetchall()]
                    files = Counter(r[columns.index("_fichier")] for r in added.elements())
                    assert files == Counter({n: f["chargees"] for n, f in loaded.items() if f["chargees"]}), name
                else:
                    assert not added, f"{name} : raw.{table} a changé"
    finally:
        con.close()


# --- refused files on a published warehouse ----------------------------------------------------------------------
# The ledger tables record every file seen, refused ones included: they are the only published tables a run
# whose new files are all refused may change (cas.yml's header says why).
LEDGER_TABLES = {("raw", "journal_chargements"), ("raw", "empreintes_fichiers")}
# A small demo whose extracts (2018-2019) are all older than the corpus's, so that no name collides.
SMALL_DEMO = {"echelle": 0.05, "graine": 62, "jusqua": "2019-12"}
SMALL_DEMO_REFERENCE = "2020-01-20"  # freshness judged on the small demo's calendar


def _refused_cases() -> dict[str, dict]:
    """Cases whose files are all refused or duplicates: nothing of them may reach a published table."""
    return {name: case for name, case in CAS.items()
            if "bogue" not in case and all(f["statut"] != "CHARGE" for f in case["fichiers"])}


@pytest.fixture(scope="module")
def published_demo(tmp_path_factory) -> Demo:
    """The small demo, refreshed and published once for the module."""
    from observatoire.demo import generate

    data = tmp_path_factory.mktemp("demo_publiee") / "data"
    rows = generate(data / "depot", progress=False, **SMALL_DEMO)
    demo = Demo(data, demo_environment(data) | {"OBSERVATOIRE_DATE_REFERENCE": SMALL_DEMO_REFERENCE}, rows)
    demo.observatoire("actualiser")
    return demo


def _published_state(path: Path) -> tuple[list, dict, list]:
    """Catalog (tables, views, columns, types, comments), a fingerprint of each table but the ledgers', and the
    ledger of files, read from the published file."""
    con = connect(path, read_only=True)
    try:
        catalog = sorted(con.execute(
            "SELECT schema_name, table_name, column_name, data_type, comment FROM duckdb_columns() "
            "WHERE NOT internal").fetchall()) + sorted(con.execute(
            "SELECT schema_name, table_name, comment FROM duckdb_tables() WHERE NOT internal").fetchall()) + sorted(
            con.execute("SELECT schema_name, view_name, sql FROM duckdb_views() WHERE NOT internal").fetchall())
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT internal").fetchall()
        contents = {(s, t): con.execute(f'SELECT count(*), sum(hash(r)) FROM "{s}"."{t}" r').fetchone()
                    for s, t in tables if (s, t) not in LEDGER_TABLES}
        ledger = con.execute("SELECT * FROM raw.journal_chargements").fetchall()
        columns = [d[0] for d in con.description]
    finally:
        con.close()
    return catalog, contents, [dict(zip(columns, row, strict=True)) for row in ledger]


def test_refused_files_change_no_published_table_but_the_ledger(published_demo):
    """Every case whose files are all refused (or duplicates) is dropped on the published demo, and one refresh
    runs: it succeeds and publishes the ledger (the refusals must reach the quality report), and nothing
    else: every other table and view keeps its columns, comments and rows."""
    cases = _refused_cases()
    assert len(cases) >= 10
    catalog, contents, ledger = _published_state(published_demo.published)
    for name, case in cases.items():
        for f in case["fichiers"]:
            assert not (published_demo.depot / case["source"] / f["nom"]).exists(), f"{name} : nom déjà pris"
        _drop(published_demo.depot, name)
    result = published_demo.observatoire("actualiser", check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Entrepôt publié" in result.stdout

    catalog_after, contents_after, ledger_after = _published_state(published_demo.published)
    assert catalog_after == catalog
    changed = sorted(f"{s}.{t}" for (s, t), v in contents_after.items() if contents.get((s, t)) != v)
    assert not changed and contents_after.keys() == contents.keys(), f"tables publiées modifiées : {changed}"
    assert [row for row in ledger_after if row in ledger] == ledger  # earlier rows untouched
    new = {(row["source"], row["fichier"]): row for row in ledger_after if row not in ledger}
    assert sorted(new) == sorted((c["source"], f["nom"]) for c in cases.values() for f in c["fichiers"])
    for case in cases.values():
        for f in case["fichiers"]:
            row = new[(case["source"], f["nom"])]
            assert row["statut"] == f["statut"] and row["nb_lignes_chargees"] == 0
            for fragment in f["message"]:
                assert fragment in row["message"]
            _french(row["message"])


# --- personal data --------------------------------------------------------------------------------------------
def _tables(path: Path) -> list[list[list[str]]]:
    """A corpus file's cells as text (one table per sheet of a workbook), read independently of the Loader.
    A cut workbook has no readable cell."""
    sheets = _cells(path)
    if sheets is not None:
        return [[[_text(v) for v in row] for row in rows] for _, rows in sheets]
    if path.suffix.lower() == ".xlsx" and zipfile.is_zipfile(path) or path.read_bytes()[:2] == b"PK":
        return []
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252")
    separator = max(";,\t", key=text.split("\n", 1)[0].count)
    return [list(csv.reader(io.StringIO(text), delimiter=separator))]


def _text(value) -> str:
    if isinstance(value, datetime | date):
        return f"{value:%d/%m/%Y}"
    return "" if value is None else str(value)


def personal_values(path: Path, source: str) -> set[str]:
    """Values of the identifying columns (names, phones, addresses, case numbers, birth dates) and of the
    columns the specification does not know (free notes; a renamed column is still its column): none may be
    stored. A file dropped in another source's folder has the columns of the source its name starts with."""
    source = next((s for s in SOURCES if path.name.lower().startswith(f"{s}_")), source)
    return {v for table in _tables(path) for v in _personal_values(table, source)}


def _personal_values(table: list[list[str]], source: str) -> set[str]:
    if SOURCES[source].publication is not None:
        return set()  # open data: aggregates a publisher has already published, no person in them
    spec = {normalise_header(c.header): c for c in SOURCES[source].columns}
    if not table:
        return set()
    at = max(range(min(len(table), 20)), key=lambda i: sum(normalise_header(h) in spec for h in table[i]))
    columns = []
    for header in table[at]:
        close = difflib.get_close_matches(normalise_header(header), list(spec), n=1, cutoff=0.8)
        columns.append(spec[close[0]] if close else None)
    values = set()
    for row in table[at + 1:]:
        for column, value in zip(columns, row, strict=False):
            if column is None or column.kind in PERSONAL_KINDS:
                values.add(value.strip().strip('"'))
                if column is not None and column.kind == "naissance" and re.fullmatch(r"\d\d/\d\d/\d{4}", value):
                    values.add(datetime.strptime(value, "%d/%m/%Y").date().isoformat())
    return {v for v in values if len(v) >= 4}


def test_no_personal_value_is_stored(one_run):
    path, _ = one_run
    values = {v for name, case in CAS.items() for p in (CORPUS / name).iterdir()
              for v in personal_values(p, case["source"])}
    assert {"Vandamme", "Jean-Noël", "0353480117", "5 rue du Sacré-Cœur 62100 Calais", "FSL-2024-000801",
            "Mme Vandamme rappelée le 12/03, dette CAF en cours", "299999999990117", "14/05/1987"} <= values
    con = connect(path, read_only=True)
    try:
        tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary").fetchall()
        assert ("raw", "rejets") in tables and ("raw", "fsl") in tables
        cells = "\x00".join(str(v) for s, t in tables
                            for row in con.execute(f'SELECT * FROM "{s}"."{t}"').fetchall() for v in row)
    finally:
        con.close()
    leaks = sorted(v for v in values if v in cells)
    assert not leaks, f"valeurs personnelles stockées : {leaks}"
