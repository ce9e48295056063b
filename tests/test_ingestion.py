"""Ingestion of hand-made extracts: structure refusals, quarantine, pseudonymisation, idempotence."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from observatoire.extracts import SOURCES
from observatoire.ingestion.loader import Loader
from observatoire.ingestion.reading import detect_encoding
from observatoire.warehouse import connect
from tests.fabrique import VALID_ROWS, fsl_row, write_csv, write_xlsx

KEY = b"cle-de-test"
NAME = "fsl_2024-03_extrait_2024-04-05.csv"


@pytest.fixture
def warehouse(tmp_path):
    con = connect(tmp_path / "entrepot.duckdb")
    yield con
    con.close()


def load(con, folder, source="fsl"):
    return Loader(con, KEY).load_source(SOURCES[source], folder / source)


def ledger(con):
    return con.execute("SELECT fichier, statut, message FROM raw.journal_chargements ORDER BY fichier").fetchall()


def test_valid_file_is_loaded_with_lineage_and_pseudonymised(warehouse, tmp_path):
    write_csv(tmp_path / "fsl" / NAME, [fsl_row(), fsl_row(**{"N° dossier": "FSL-2024-000124"})])
    [result] = load(warehouse, tmp_path)
    assert (result.statut, result.nb_lignes_chargees, result.nb_lignes_rejetees) == ("CHARGE", 2, 0)
    row = warehouse.execute("SELECT numero_dossier, tranche_age, montant_accorde, _fichier, _ligne, "
                            "_date_extraction::VARCHAR, length(_sha256) FROM raw.fsl ORDER BY _ligne").fetchone()
    expected = hmac.new(KEY, b"FSL-2024-000123", hashlib.sha256).hexdigest()
    assert row == (expected, "30_39", "712,50", NAME, 2, "2024-04-05", 64)


def test_direct_identifiers_are_never_stored(warehouse, tmp_path):
    write_csv(tmp_path / "fsl" / NAME, [fsl_row()])
    load(warehouse, tmp_path)
    columns = {r[0] for r in warehouse.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = 'fsl'").fetchall()}
    assert not columns & {"nom", "prenom", "adresse", "telephone", "numero_allocataire", "date_naissance"}
    dump = str(warehouse.execute("SELECT * FROM raw.fsl").fetchall())
    for value in ("Lefebvre", "Éloïse", "Tisserands", "0612345678", "6212345", "FSL-2024-000123", "15/03/1990"):
        assert value not in dump


def test_same_file_twice_loads_nothing_twice(warehouse, tmp_path):
    write_csv(tmp_path / "fsl" / NAME, [fsl_row()])
    load(warehouse, tmp_path)
    before = (warehouse.execute("SELECT count(*) FROM raw.fsl").fetchone(), ledger(warehouse))
    assert load(warehouse, tmp_path) == []
    assert (warehouse.execute("SELECT count(*) FROM raw.fsl").fetchone(), ledger(warehouse)) == before


def test_an_unchanged_file_is_not_read_again_and_a_rewritten_one_is(warehouse, tmp_path, monkeypatch):
    import os

    import observatoire.ingestion.loader as ingestion

    path = write_csv(tmp_path / "fsl" / NAME, [fsl_row()])
    load(warehouse, tmp_path)
    read = []
    monkeypatch.setattr(ingestion, "sha256_file", lambda p: read.append(p.name) or hashlib.sha256(
        p.read_bytes()).hexdigest())
    assert load(warehouse, tmp_path) == [] and read == []  # same name, size and modification time
    write_csv(path, [fsl_row(**{"N° dossier": "FSL-2024-000999"})])  # corrected in place, same size
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1))
    [result] = load(warehouse, tmp_path)
    assert read == [NAME] and result.statut == "CHARGE"


def test_same_content_under_another_name_is_a_duplicate(warehouse, tmp_path):
    path = write_csv(tmp_path / "fsl" / NAME, [fsl_row()])
    (tmp_path / "fsl" / "fsl_2024-03_extrait_2024-04-05 (2).csv").write_bytes(path.read_bytes())
    results = load(warehouse, tmp_path)
    assert sorted(r.statut for r in results) == ["CHARGE", "DOUBLON"]
    assert warehouse.execute("SELECT count(*) FROM raw.fsl").fetchone()[0] == 1
    duplicate = next(r for r in results if r.statut == "DOUBLON")
    assert "contenu identique" in duplicate.message


def test_files_loaded_two_at_a_time_give_what_one_at_a_time_gives(tmp_path):
    for month in range(1, 7):
        rows = [fsl_row(**{"N° dossier": f"FSL-2024-{month:02d}{i:04d}", "Date de dépôt": f"{i % 28 + 1:02d}/01/2024"})
                for i in range(40)]
        rows[month]["Montant accordé"] = "douze"  # one rejected row per file, at a different line
        rows[20] = rows[10]  # and a duplicate key
        write_csv(tmp_path / "fsl" / f"fsl_2025-{month:02d}_extrait_2025-{month + 1:02d}-05.csv", rows)
    (tmp_path / "fsl" / "fsl_2025-06_extrait_2025-07-06.csv").write_bytes(  # same content, another name
        (tmp_path / "fsl" / "fsl_2025-02_extrait_2025-03-05.csv").read_bytes())
    contents = []
    for workers in (1, 2):
        con = connect(tmp_path / f"entrepot_{workers}.duckdb")
        results = Loader(con, KEY, workers=workers).load_source(SOURCES["fsl"], tmp_path / "fsl")
        contents.append((
            [(r.fichier, r.statut, r.nb_lignes_chargees, r.nb_lignes_rejetees) for r in results],
            con.execute("SELECT * EXCLUDE (_charge_le) FROM raw.fsl ORDER BY ALL").fetchall(),
            con.execute("SELECT * EXCLUDE (charge_le) FROM raw.rejets ORDER BY ALL").fetchall(),
            con.execute("SELECT * EXCLUDE (charge_le) FROM raw.journal_chargements ORDER BY ALL").fetchall()))
        con.close()
    assert contents[0] == contents[1]
    statuses = [r[1] for r in contents[1][0]]
    assert statuses == ["CHARGE"] * 6 + ["DOUBLON"] and len(contents[1][2]) == 12


def test_missing_column_refuses_file_naming_line_and_column(warehouse, tmp_path):
    headers = [c.header for c in SOURCES["fsl"].columns if c.header != "Volet"]
    write_csv(tmp_path / "fsl" / NAME, [fsl_row()], headers=headers)
    [result] = load(warehouse, tmp_path)
    assert result.statut == "REFUSE"
    assert NAME in result.message and "ligne 1" in result.message and "« Volet »" in result.message
    assert warehouse.execute("SELECT count(*) FROM raw.fsl").fetchone()[0] == 0
    assert ledger(warehouse)[0][1] == "REFUSE"


def test_renamed_column_suggests_the_expected_name(warehouse, tmp_path):
    headers = ["Date depot" if c.header == "Date de dépôt" else c.header for c in SOURCES["fsl"].columns]
    write_csv(tmp_path / "fsl" / NAME, [fsl_row(**{"Date depot": "01/03/2024"})], headers=headers)
    [result] = load(warehouse, tmp_path)
    assert result.statut == "REFUSE"
    assert "« Date de dépôt »" in result.message and "« Date depot »" in result.message


def test_wrong_date_format_refuses_file_naming_line_and_column(warehouse, tmp_path):
    rows = [fsl_row(**{"N° dossier": f"D{i}", "Date de dépôt": f"2024-03-{i + 1:02d}"}) for i in range(5)]
    write_csv(tmp_path / "fsl" / NAME, rows)
    [result] = load(warehouse, tmp_path)
    assert result.statut == "REFUSE"
    assert "ligne 2" in result.message and "« Date de dépôt »" in result.message
    assert "JJ/MM/AAAA" in result.message and "2024-03-01" in result.message
    assert warehouse.execute("SELECT count(*) FROM raw.fsl").fetchone()[0] == 0


def test_wrong_encoding_refuses_file_naming_line_and_column(warehouse, tmp_path):
    path = write_csv(tmp_path / "fsl" / NAME, [fsl_row(), fsl_row(**{"N° dossier": "X2"})])
    data = path.read_bytes().replace("Éloïse".encode(), b"El\x81ise", 1)  # 0x81: neither UTF-8 nor cp1252
    path.write_bytes(data)
    [result] = load(warehouse, tmp_path)
    assert result.statut == "REFUSE"
    assert NAME in result.message and "ligne 2" in result.message and "colonne" in result.message
    assert "0x81" in result.message


def test_utf16_is_refused(tmp_path):
    path = write_csv(tmp_path / "fsl" / NAME, [fsl_row()], encoding="utf-16")
    with pytest.raises(Exception, match="ligne 1"):
        detect_encoding(path)


def test_windows_1252_and_bom_are_read(warehouse, tmp_path):
    write_csv(tmp_path / "fsl" / NAME, [fsl_row(**{"Motif de refus": "Dépassement du barème"})], encoding="cp1252")
    write_csv(tmp_path / "fsl" / "fsl_2024-04_extrait_2024-05-05.csv",
              [fsl_row(**{"N° dossier": "B1", "Motif de refus": "Ressources supérieures"})], encoding="utf-8-sig")
    results = load(warehouse, tmp_path)
    assert [r.statut for r in results] == ["CHARGE", "CHARGE"]
    assert "Windows-1252" in " ".join(results[0].avertissements)
    assert warehouse.execute("SELECT motif_refus FROM raw.fsl ORDER BY _date_extraction").fetchall() == [
        ("Dépassement du barème",), ("Ressources supérieures",)]


def test_wrong_separator_is_refused(warehouse, tmp_path):
    write_csv(tmp_path / "fsl" / NAME, [fsl_row()], sep=",")
    [result] = load(warehouse, tmp_path)
    assert result.statut == "REFUSE" and "point-virgule" in result.message and "ligne 1" in result.message


def test_bad_rows_are_quarantined_and_good_rows_load(warehouse, tmp_path):
    rows = [fsl_row(**{"N° dossier": f"D{i}"}) for i in range(6)]
    rows[1]["Montant accordé"] = "-abc"
    rows[2]["Code commune"] = "99999"
    rows[3]["Volet"] = "INCONNU"
    rows.append(fsl_row(**{"N° dossier": "D0"}))  # duplicate key of line 2
    path = write_csv(tmp_path / "fsl" / NAME, rows)
    with open(path, "a", encoding="utf-8") as f:
        f.write("D9;Nom;Prénom\n")  # truncated last line
    [result] = load(warehouse, tmp_path)
    assert (result.statut, result.nb_lignes_chargees, result.nb_lignes_rejetees) == ("CHARGE", 3, 5)
    rejects = warehouse.execute("SELECT ligne, colonne, valeur, motif FROM raw.rejets ORDER BY ligne").fetchall()
    assert [(r[0], r[1]) for r in rejects] == [
        (3, "Montant accordé"), (4, "Code commune"), (5, "Volet"), (8, "N° dossier"), (9, "N° allocataire CAF")]
    assert "doublon de la ligne 2" in rejects[3][3] and "champs" in rejects[4][3]
    assert rejects[4][2] is None  # the raw line (with names) is never copied
    assert [r[0] for r in warehouse.execute("SELECT _ligne FROM raw.fsl ORDER BY _ligne").fetchall()] == [2, 6, 7]


def test_old_commune_code_is_accepted(warehouse, tmp_path):
    write_csv(tmp_path / "fsl" / NAME, [fsl_row(**{"Code commune": "62461"})])  # Huby-Saint-Leu, merged 2025
    [result] = load(warehouse, tmp_path)
    assert result.nb_lignes_chargees == 1


def test_missing_extraction_date_in_name_is_refused(warehouse, tmp_path):
    write_csv(tmp_path / "fsl" / "fsl_mars.csv", [fsl_row()])
    [result] = load(warehouse, tmp_path)
    assert result.statut == "REFUSE" and "date d'extraction" in result.message


def test_xlsx_with_title_rows_is_read(warehouse, tmp_path):
    write_xlsx(tmp_path / "dalo" / "dalo_2024-T1_extrait_2024-04-10.xlsx", [VALID_ROWS["dalo"]], "dalo", title_rows=2)
    [result] = load(warehouse, tmp_path, "dalo")
    assert (result.statut, result.nb_lignes_chargees) == ("CHARGE", 1)
    assert warehouse.execute("SELECT _ligne, date_depot, type_recours FROM raw.dalo").fetchone() == (
        4, "10/01/2024", "LOGEMENT")


def test_headers_match_whatever_the_case_accents_and_apostrophes(warehouse, tmp_path):
    spelled = {"N° dossier": "Nº DOSSIER", "Forme de l'aide": "Forme de l’aide", "Date de dépôt": "date de depot"}
    headers = [spelled.get(c.header, c.header) for c in SOURCES["fsl"].columns]
    row = {spelled.get(k, k): v for k, v in fsl_row().items()}
    write_csv(tmp_path / "fsl" / NAME, [row], headers=headers)
    [result] = load(warehouse, tmp_path)
    assert (result.statut, result.nb_lignes_chargees) == ("CHARGE", 1)


def test_business_rules_quarantine_rows(warehouse, tmp_path):
    rows = [fsl_row(**{"N° dossier": f"R{i}"}) for i in range(8)]
    rows[1]["Date de décision"] = "15/02/2024"  # before the filing date (01/03/2024)
    rows[2]["Date de dépôt"] = "01/01/2030"  # after the extraction date
    rows[3]["Montant accordé"] = "-12,00"
    rows[4].update({"Volet": "MAINTIEN", "Montant accordé": "3500,00"})  # over the 3 000 € ceiling
    rows[5].update({"Volet": "MAINTIEN", "Montant accordé": "3000,00"})  # at the ceiling: fine
    write_csv(tmp_path / "fsl" / NAME, rows)
    [result] = load(warehouse, tmp_path)
    assert (result.statut, result.nb_lignes_chargees) == ("CHARGE", 4)
    reasons = dict(warehouse.execute("SELECT ligne, string_agg(motif, ' | ') FROM raw.rejets GROUP BY 1").fetchall())
    assert "antérieure au dépôt" in reasons[3]
    assert "postérieure à la date d'extraction" in reasons[4]
    assert reasons[5] == "montant négatif"
    assert "3000 €" in reasons[6]
