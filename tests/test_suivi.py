"""The plan's follow-up tool (fiche 6-3): workbooks written per pilot, filled by a script the way a pilot would,
read back through the intake, hostile workbooks refused, bad cells named by sheet and cell; then, on the demo,
the marts, the reminders, the dossier's section and the secret statistique of the published follow-up.

The workbooks are read here with openpyxl by header names, not through observatoire/followup/layout.py."""

from __future__ import annotations

import re
from datetime import date, datetime

import duckdb
import openpyxl
import pytest

from observatoire.extracts import SOURCES
from observatoire.followup import referential
from observatoire.followup.prepare import prepare
from observatoire.ingestion.loader import Loader
from observatoire.warehouse import connect

COTECH = date(2024, 3, 21)  # the first of its year: the annual indicators are due too
PREPARED = date(2024, 2, 29)
TODAY = date(2024, 7, 20)


def header_of(ws) -> tuple[int, dict[str, int]]:
    """The header row of a sheet (the first row naming « Fiche ») and the column index of each header."""
    for row in ws.iter_rows(min_row=1, max_row=30):
        names = {str(c.value).strip(): c.column for c in row if c.value is not None}
        if "Fiche" in names and len(names) > 3:
            return row[0].row, names
    raise AssertionError(f"pas d'en-tête dans la feuille {ws.title}")


def fill(path, values=None, statuses=("en cours",)) -> dict[str, list[tuple[str, str]]]:
    """Fill a workbook like a pilot: a valid value in every Valeur cell (by the Nature column, or ``values``
    by nature), a status on every fiche. Returns, per sheet, the (cell, nature) of each Valeur filled."""
    wb = openpyxl.load_workbook(path)
    filled: dict[str, list[tuple[str, str]]] = {}
    valid = {"nombre": 12, "part": 55.5, "montant": 1200.5, "delai": 30, "jalon": datetime(2024, 2, 15),
             "qualitatif": 4}
    for ws in wb.worksheets:
        if ws.title == "Lisez-moi":
            continue
        row0, cols = header_of(ws)
        for r in range(row0 + 1, ws.max_row + 1):
            if ws.cell(r, cols["Fiche"]).value is None:
                continue
            if "Statut" in cols:
                ws.cell(r, cols["Statut"]).value = statuses[(r - row0 - 1) % len(statuses)]
                continue
            nature = ws.cell(r, cols["Nature"]).value
            cell = ws.cell(r, cols["Valeur"])
            cell.value = (values or valid).get(nature, valid[nature])
            filled.setdefault(ws.title, []).append((cell.coordinate, nature))
    wb.save(path)
    return filled


@pytest.fixture
def workbooks(tmp_path):
    """This COTECH's workbooks, prepared without a warehouse, moved to a dépôt folder."""
    written = prepare(COTECH, tmp_path / "a_envoyer", None, PREPARED)
    depot = tmp_path / "depot" / "suivi_plan"
    depot.mkdir(parents=True)
    return {p.name.split("_")[3]: p for p in written}, depot


def dropped_workbook_owing(workbooks, nature: str):
    """The workbook of the first pilot owing a value of this nature, copied into the dépôt."""
    files, depot = workbooks
    pilot = next(p for p in sorted(files) if any(d.nature == nature and d.pilote == p for d in referential.due(COTECH)))
    path = depot / files[pilot].name
    path.write_bytes(files[pilot].read_bytes())
    return path


def load(tmp_path, depot):
    con = connect(tmp_path / "entrepot.duckdb")
    try:
        results = Loader(con, b"k" * 32, today=TODAY).load_source(SOURCES["suivi_plan"], depot)
        rows = con.execute("SELECT count(*) FROM raw.suivi_plan").fetchone()[0]
        rejects = con.execute("SELECT fichier, ligne, colonne, valeur, motif FROM raw.rejets").fetchall()
        ledger = con.execute("SELECT fichier, statut, message FROM raw.journal_chargements").fetchall()
    finally:
        con.close()
    return results, rows, rejects, ledger


def test_one_workbook_per_pilot_with_its_sheets_validation_and_locked_context(workbooks):
    files, _ = workbooks
    assert sorted(files) == referential.workbook_pilots(COTECH)
    wb = openpyxl.load_workbook(files["departement"])
    fiche_sheets = [s for s in wb.sheetnames if s.startswith("Fiche ")]
    assert wb.sheetnames[:2] == ["Lisez-moi", "Avancement"] and fiche_sheets
    due = [d for d in referential.due(COTECH) if d.pilote == "departement"]
    ws = wb[fiche_sheets[0]]
    row0, cols = header_of(ws)
    rows = [r for r in range(row0 + 1, ws.max_row + 1) if ws.cell(r, cols["Fiche"]).value]
    assert len(rows) == sum(1 for d in due if f"Fiche {d.fiche}" == ws.title)
    value_col = openpyxl.utils.get_column_letter(cols["Valeur"])
    validated = {str(c) for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges for c in
                 [r.coord]}
    assert {f"{value_col}{r}" for r in rows} <= validated, "chaque cellule Valeur a sa validation Excel"
    assert ws.protection.sheet and ws.cell(rows[0], cols["Indicateur"]).protection.locked
    assert not ws.cell(rows[0], cols["Valeur"]).protection.locked
    statut = wb["Avancement"]
    row0, cols = header_of(statut)
    lists = [dv.formula1 for dv in statut.data_validations.dataValidation if dv.type == "list"]
    assert lists and all(s in lists[0] for s in ("non démarrée", "en cours", "réalisée", "abandonnée", "reportée"))


def test_a_filled_workbook_is_loaded_whole(workbooks, tmp_path):
    files, depot = workbooks
    path = depot / files["departement"].name
    path.write_bytes(files["departement"].read_bytes())
    filled = fill(path)
    results, rows, rejects, ledger = load(tmp_path, depot)
    assert [r.statut for r in results] == ["CHARGE"] and not rejects, rejects
    led = len(referential.led_fiches("departement"))
    assert rows == sum(len(v) for v in filled.values()) + led
    assert results[0].nb_lignes_chargees == rows


@pytest.mark.parametrize("nature, value", [
    ("nombre", -1), ("nombre", 2.5), ("nombre", "douze"), ("nombre", "1e3x"),
    ("part", 100.5), ("part", -0.1), ("part", "55 %"),
    ("delai", -10), ("delai", "trois semaines"),
    ("jalon", "31/02/2024"), ("jalon", "bientôt"), ("jalon", 12),
    ("qualitatif", 0), ("qualitatif", 6), ("qualitatif", 3.5), ("qualitatif", "bien"),
])
def test_a_bad_value_is_quarantined_and_named_by_sheet_and_cell(workbooks, tmp_path, nature, value):
    path = dropped_workbook_owing(workbooks, nature)
    filled = fill(path, values={nature: value})
    bad = [(sheet, cell) for sheet, cells in filled.items() for cell, n in cells if n == nature]
    results, _, rejects, _ = load(tmp_path, path.parent)
    assert results[0].statut == "CHARGE"
    named = {re.search(r"feuille « (.+) », cellule ([A-Z]+\d+)", r[2]).groups() for r in rejects}
    assert named == set(bad), (value, rejects)
    assert all(r[2].startswith("Valeur") for r in rejects)


@pytest.mark.parametrize("nature, value", [("nombre", 0), ("part", 0), ("part", 100), ("delai", 0),
                                           ("jalon", datetime(2024, 3, 31)), ("qualitatif", 1), ("qualitatif", 5)])
def test_a_value_at_the_edge_of_its_nature_is_loaded(workbooks, tmp_path, nature, value):
    path = dropped_workbook_owing(workbooks, nature)
    fill(path, values={nature: value})
    _, _, rejects, _ = load(tmp_path, path.parent)
    assert not rejects, rejects


def _hostile(path, change) -> None:
    wb = openpyxl.load_workbook(path)
    change(wb)
    wb.save(path)


@pytest.mark.parametrize("change, expected", [
    (lambda wb: wb["Lisez-moi"].__setitem__("B3", "mairie_inconnue"), r"pilote inconnu « mairie_inconnue ».*B3"),
    (lambda wb: wb["Lisez-moi"].__setitem__("B3", None), r"absent \(feuille « Lisez-moi », cellule B3\)"),
    (lambda wb: wb["Lisez-moi"].__setitem__("B4", "2024-06-21"), r"date de COTECH « 2024-06-21 » invalide"),
    (lambda wb: wb.remove(wb[[s for s in wb.sheetnames if s.startswith("Fiche ")][0]]),
     r"feuille « Fiche [0-9-]+ » absente"),
    (lambda wb: wb.remove(wb["Avancement"]), r"feuille « Avancement » absente"),
    (lambda wb: wb[[s for s in wb.sheetnames if s.startswith("Fiche ")][0]].delete_cols(3),
     r"feuille « Fiche [0-9-]+ », cellule [A-Z]5 : colonne « .+ » attendue"),
    (lambda wb: wb.remove(wb["Lisez-moi"]), r"feuille « Lisez-moi » absente"),
])
def test_a_hostile_workbook_is_refused_whole_with_a_french_message(workbooks, tmp_path, change, expected):
    files, depot = workbooks
    path = depot / files["departement"].name
    path.write_bytes(files["departement"].read_bytes())
    fill(path)
    _hostile(path, change)
    results, rows, _, ledger = load(tmp_path, depot)
    assert results[0].statut == "REFUSE" and rows == 0
    assert re.search(expected, results[0].message), results[0].message


def test_not_a_workbook_is_refused(workbooks, tmp_path):
    files, depot = workbooks
    (depot / files["caf"].name).write_bytes(b"PK\x03\x04 tronque")
    results, rows, _, _ = load(tmp_path, depot)
    assert results[0].statut == "REFUSE" and "illisible" in results[0].message and rows == 0


def test_a_workbook_returned_twice_keeps_both_deliveries_in_the_ledger(workbooks, tmp_path):
    files, depot = workbooks
    path = depot / files["siao"].name
    path.write_bytes(files["siao"].read_bytes())
    fill(path, values={"nombre": 7})
    load(tmp_path, depot)
    fill(path, values={"nombre": 9})  # the pilot sends a corrected copy under the same name
    con = connect(tmp_path / "entrepot.duckdb")
    try:
        Loader(con, b"k" * 32, today=TODAY).load_source(SOURCES["suivi_plan"], depot)
        ledger = con.execute("SELECT statut FROM raw.journal_chargements WHERE fichier = ?", [path.name]).fetchall()
    finally:
        con.close()
    assert ledger == [("CHARGE",), ("CHARGE",)]


# --- on the demo: marts, reminders, dossier, secret --------------------------------------------------------
@pytest.fixture(scope="module")
def published(demo):
    con = duckdb.connect(str(demo.published), read_only=True)
    yield con
    con.close()


def test_the_demo_shows_the_whole_cycle(published):
    last = published.execute("SELECT max(date_cotech) FROM marts.suivi_completude").fetchone()[0]
    cotechs = published.execute("SELECT count(DISTINCT date_cotech) FROM marts.suivi_completude").fetchone()[0]
    assert cotechs == 4
    received = published.execute(
        "SELECT nb_classeurs_recus, nb_classeurs_attendus, completude FROM marts.suivi_completude "
        "WHERE perimetre = 'ensemble' AND date_cotech = ?", [last]).fetchone()
    assert received[0] < received[1] and 0 < received[2] < 100, "des retours manquent au dernier COTECH"
    bad = published.execute("SELECT colonne, motif FROM raw.rejets WHERE source = 'suivi_plan'").fetchall()
    assert len(bad) == 1 and re.search(r"feuille « Fiche .+ », cellule L\d+", bad[0][0])
    twice = published.execute(
        "SELECT fichier FROM raw.journal_chargements WHERE source = 'suivi_plan' AND statut = 'CHARGE' "
        "AND fichier LIKE ? ORDER BY fichier", [f"%{referential.cotech_period(last)}_siao_%"]).fetchall()
    assert len(twice) == 2
    kept = published.execute("SELECT DISTINCT fichier_source FROM marts.suivi_indicateurs "
                             "WHERE pilote = 'siao' AND date_cotech = ?", [last]).fetchall()
    assert kept == [twice[-1]], "le dernier classeur renvoyé l'emporte"


def test_completeness_counts_what_was_due_against_what_was_reported(published):
    # Recomputed from the due seed and the raw rows of each pilot's latest workbook, apart from the marts' SQL.
    for cotech, mart in published.execute(
            "SELECT date_cotech, completude FROM marts.suivi_completude WHERE perimetre = 'ensemble'").fetchall():
        due = published.execute("SELECT count(*) FROM referentiel.suivi_attendus WHERE date_cotech = ?",
                                [cotech]).fetchone()[0]
        reported = published.execute("""
            WITH latest AS (
                SELECT pilote, arg_max(_fichier, (_charge_le, _date_extraction, _fichier)) AS fichier
                FROM raw.suivi_plan WHERE date_cotech = strftime(?::DATE, '%d/%m/%Y') GROUP BY pilote)
            SELECT count(*) FROM raw.suivi_plan AS r JOIN latest ON r._fichier = latest.fichier
            WHERE coalesce(r.valeur, r.statut) IS NOT NULL""", [cotech]).fetchone()[0]
        assert mart == pytest.approx(round(100 * reported / due, 1), abs=0.05), cotech


def test_fiche_6_3_completeness_is_in_the_plan_indicators(published):
    rows = published.execute("SELECT annee, valeur FROM marts.indicateurs_plan WHERE code_indicateur = "
                             "'completude_outil' AND valeur IS NOT NULL ORDER BY annee").fetchall()
    assert rows and all(0 < v <= 100 for _, v in rows)


def test_preparer_writes_one_workbook_per_pilot_with_previous_values(demo):
    last = max(d for d, _ in referential.calendar() if d <= date(2024, 6, 30))
    following = min(d for d, _ in referential.calendar() if d > last)
    out = demo.observatoire("suivi", "preparer", "--cotech", following.isoformat())
    folder = demo.data_dir / "suivi" / following.isoformat() / "a_envoyer"
    written = sorted(folder.glob("*.xlsx"))
    assert len(written) == len(referential.workbook_pilots(following)) and "classeurs de suivi" in out.stdout
    wb = openpyxl.load_workbook(next(p for p in written if "_departement_" in p.name))
    previous = []
    for ws in wb.worksheets[2:]:
        row0, cols = header_of(ws)
        previous += [ws.cell(r, cols["Valeur précédente"]).value for r in range(row0 + 1, ws.max_row + 1)]
    assert any(v is not None for v in previous), "les valeurs du COTECH précédent sont rappelées"


def test_preparer_refuses_a_date_outside_the_calendar_in_french(demo):
    result = demo.observatoire("suivi", "preparer", "--cotech", "2024-06-21", check=False)
    assert result.returncode == 2 and "n'est pas une date de COTECH" in result.stderr


def test_relancer_names_what_each_late_pilot_still_owes(demo, published):
    last = published.execute("SELECT max(date_cotech) FROM marts.suivi_completude").fetchone()[0]
    absent = {p for p, in published.execute(
        "SELECT code_perimetre FROM marts.suivi_completude WHERE perimetre = 'pilote' AND date_cotech = ? "
        "AND nb_classeurs_recus = 0", [last]).fetchall()}
    complete = {p for p, in published.execute(
        "SELECT code_perimetre FROM marts.suivi_completude WHERE perimetre = 'pilote' AND date_cotech = ? "
        "AND completude = 100", [last]).fetchall()}
    text = demo.observatoire("suivi", "relancer", "--cotech", last.isoformat()).stdout
    sigles = dict(published.execute("SELECT code_pilote, libelle_pilote FROM referentiel.pilotes_plan").fetchall())
    assert absent and all(sigles[p] in text for p in absent)
    assert not any(f"reçu de {sigles[p]} :" in text for p in complete)
    assert f"COTECH du {last:%d/%m/%Y}" in text and "Objet :" in text


def test_the_published_follow_up_hides_small_counts_and_every_way_back_to_them(demo):
    # An attacker with the diffusion file only: a masked quarter must come back neither from its year's total
    # (indicateurs_plan) minus the published quarters, nor from a neighbour's previous value or change.
    con = duckdb.connect(str(demo.diffusion), read_only=True)
    try:
        rows = con.execute("SELECT code_indicateur, niveau, code_zone, periode, valeur, valeur_precedente, "
                           "evolution, secret_statistique, nature FROM diffusion.suivi_indicateurs "
                           "WHERE origine = 'collecté'").fetchall()
        years = {(i, z, a): v for i, z, a, v in con.execute(
            "SELECT code_indicateur, code_zone, annee, valeur FROM diffusion.indicateurs_plan "
            "WHERE mode = 'collecte' AND valeur IS NOT NULL").fetchall()}
    finally:
        con.close()
    masked = [r for r in rows if r[7]]
    assert masked, "la démonstration doit contenir des comptes masqués pour que l'attaque ait un sens"
    published = [r for r in rows if r[8] == "nombre" and r[1] != "departement" and r[4] is not None]
    assert not [r for r in published if 0 < r[4] < 5], "aucun compte de 1 à 4 publié à l'échelle infra-départementale"
    series: dict[tuple, list] = {}
    for r in sorted(rows, key=lambda r: r[3]):
        series.setdefault((r[0], r[2]), []).append(r)
    for (indicator, zone), serie in series.items():
        for i, r in enumerate(serie):
            if not r[7]:
                continue
            if i + 1 < len(serie):
                nxt = serie[i + 1]
                assert nxt[5] is None and nxt[6] is None, f"{indicator} {zone} {r[3]} : retrouvé par la suivante"
            year = r[3][:4]
            quarters = [q for q in serie if q[3].startswith(year) and "-T" in q[3]]
            others = [q for q in quarters if q is not r]
            assert (indicator, zone, int(year)) not in years or any(q[4] is None for q in others), \
                f"{indicator} {zone} {r[3]} : retrouvé par le total de l'année"


def test_the_dossier_opens_the_follow_up_of_the_last_cotech(demo, published, tmp_path):
    from observatoire.dossier import build

    built = build(demo.diffusion, tmp_path, date(2024, 7, 15))
    assert "Suivi des fiches actions" in built["sections"]
    html = (built["site"] / "suivi.html").read_text(encoding="utf-8")
    last, completeness = published.execute(
        "SELECT date_cotech, completude FROM marts.suivi_completude WHERE perimetre = 'ensemble' "
        "ORDER BY date_cotech DESC LIMIT 1").fetchone()
    assert f"COTECH du {last:%d/%m/%Y}" in html
    assert f"{completeness:.1f}".replace(".", ",") in html
    statuses = {s for s, in published.execute(
        "SELECT DISTINCT statut_action FROM marts.suivi_fiches WHERE est_dernier AND statut_action IS NOT NULL"
    ).fetchall()}
    assert statuses and all(s in html for s in statuses)
    absent = [sigle for sigle, in published.execute(
        "SELECT p.sigle FROM marts.suivi_completude AS c JOIN referentiel.pilotes_plan AS p "
        "ON p.code_pilote = c.code_perimetre WHERE c.perimetre = 'pilote' AND c.date_cotech = ? "
        "AND c.nb_classeurs_recus = 0", [last]).fetchall()]
    assert absent and all(a in html for a in absent), "les retours manquants sont nommés"
    assert "Jalons prévus avant le prochain COTECH" in html
