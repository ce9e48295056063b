"""Open data (docs/sources/insee.md): the publishers' layouts read by the same intake.

The header rules are attacked with generated headers (every millésime pairing around the file's), not with the
loader's own logic; the demo's files are loaded as a team would drop them; the secret markers stay secret."""

from __future__ import annotations

import itertools
from datetime import date
from pathlib import Path

import duckdb
import pytest

from observatoire.demo import caf, contexte, finess, rpls
from observatoire.extracts import (
    CAF_ALLOCATAIRES,
    FINESS_EQUIPEMENT_FIELDS,
    FINESS_EQUIPEMENTS,
    FINESS_ETABLISSEMENT_FIELDS,
    FINESS_ETABLISSEMENTS,
    INSEE_FILOSOFI,
    INSEE_RP_POPULATION,
    OPEN_SOURCES,
    extraction_date,
    file_name_problem,
)
from observatoire.ingestion.loader import Loader
from observatoire.ingestion.open_sources import expected_millesime, render, status
from observatoire.ingestion.reading import CENSUS_GAP, RAGGED_SPARE_FIELDS, ExtractError, published_header

KEY = b"0" * 32


def _load(tmp_path: Path, files: dict[str, str], source=INSEE_RP_POPULATION) -> tuple[list, duckdb.DuckDBPyConnection]:
    folder = tmp_path / "depot" / source.name
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    return Loader(con, KEY, today=date(2026, 12, 1)).load_source(source, folder), con


POPULATION = ["P{aa}_POP0019", "P{aa}_POP6074", "P{aa}_POP75P", "P{aa}_POP65P"]


def _header(year: int, previous: list[int], stray: int | None = None) -> list[str]:
    """A census population header of ``year`` with the earlier censuses ``previous``; ``stray``: the year of
    one column that should have been ``year``'s."""
    yy = f"{year % 100:02d}"
    cols = ["CODGEO", f"P{yy}_POP"] + [f"P{p % 100:02d}_POP" for p in previous]
    cols += [h.replace("{aa}", yy) for h in POPULATION]
    if stray is not None:
        cols[-1] = cols[-1].replace(f"P{yy}_", f"P{stray % 100:02d}_")
    return cols


@pytest.mark.parametrize("year", [2017, 2018, 2021, 2025])
def test_every_earlier_census_pairing(year):
    """The most recent census at least CENSUS_GAP years before is the comparison; a column of a year between
    the two (or after) refuses the file; older censuses are left unused."""
    name = f"base-cc-evol-struct-pop-{year}.CSV"
    for previous in itertools.chain.from_iterable(
            itertools.combinations([*range(year - 12, year), year + 1], n) for n in (1, 2)):
        header = _header(year, list(previous))
        usable = [p for p in previous if p <= year - CENSUS_GAP]
        wrong = [p for p in previous if p > year - CENSUS_GAP]
        if wrong:
            with pytest.raises(ExtractError, match=f"millésime {wrong[0]}, alors que le nom du fichier annonce "
                                                   f"le millésime {year}"):
                published_header(INSEE_RP_POPULATION, name, header)
            continue
        rewritten, constants = published_header(INSEE_RP_POPULATION, name, header)
        if usable:
            assert constants["millesime_precedent"] == str(max(usable))
            assert rewritten.count("P{pp}_POP") == 1
            assert header[rewritten.index("P{pp}_POP")] == f"P{max(usable) % 100:02d}_POP"
        else:
            assert "millesime_precedent" not in constants
        assert constants["millesime"] == str(year)


@pytest.mark.parametrize("stray", [2019, 2020, 2022])
def test_a_column_of_another_recent_millesime_refuses_the_file(stray):
    with pytest.raises(ExtractError, match=f"colonne « P{stray % 100}_POP65P » .* du millésime {stray}"):
        published_header(INSEE_RP_POPULATION, "base-cc-evol-struct-pop-2021.CSV", _header(2021, [2015], stray))


@pytest.mark.parametrize("name, expected", [
    ("base-cc-evol-struct-pop-2021.CSV", date(2021, 1, 1)),
    ("BASE-CC-EVOL-STRUCT-POP-2021.csv", date(2021, 1, 1)),
    ("base-cc-evol-struct-pop-2021 (1).CSV", None),  # a second download, renamed by the browser
    ("base-cc-evol-struct-pop-21.CSV", None),
    ("base-cc-evol-struct-pop-2021.xlsx", None),
    ("cc_filosofi_2021_COM.csv", None),
])
def test_file_names_as_published(name, expected):
    assert extraction_date(name, INSEE_RP_POPULATION) == expected


def test_filosofi_level_is_read_in_the_name():
    assert extraction_date("cc_filosofi_2021_EPCI.csv", INSEE_FILOSOFI) == date(2021, 1, 1)
    assert extraction_date("cc_filosofi_2021_REG.csv", INSEE_FILOSOFI) is None


def test_secret_markers_are_kept_and_other_departements_left_out(tmp_path):
    header = ";".join(_header(2021, [2015]))
    text = "\n".join([header,
                      "59350;232440.9;232787;58000;40000;16000;30000",
                      "62001;1994.27;1950.1;480.5;330;190.2;350",
                      "62002;s;nd;ns;so;;40",
                      "62003;12 345,6;200;50;30;20;40",
                      "62004;douze;200;50;30;20;40"]) + "\n"
    [result], con = _load(tmp_path, {"base-cc-evol-struct-pop-2021.CSV": text})
    assert (result.statut, result.nb_lignes_chargees, result.nb_lignes_rejetees) == ("CHARGE", 3, 1)
    assert "1 lignes hors du Pas-de-Calais ignorées" in result.avertissements
    assert con.execute("SELECT ligne, colonne, valeur FROM raw.rejets").fetchall() == [(6, "P21_POP", "douze")]
    assert con.execute("SELECT population, population_0_19 FROM raw.insee_rp_population WHERE code_geo = '62002'"
                       ).fetchall() == [("s", "ns")]
    # the staging casts: a secret marker is no value, and is flagged; a French number is read
    from observatoire import formats
    formats.install(con)
    assert con.execute("SELECT formats.mesure('12 345,6'), formats.mesure('s'), formats.secret_publie('s'), "
                       "formats.secret_publie('12'), formats.mesure('1e5')").fetchone() == (12345.6, None, True,
                                                                                             False, None)


def test_demo_files_load_without_rejects(tmp_path):
    depot = tmp_path / "depot"
    counts = contexte.write(depot, 62, set(OPEN_SOURCES), date(2024, 6, 30))
    counts["rpls"] = rpls.write(depot, 62, date(2024, 6, 30))
    counts |= finess.write(depot, 62, set(OPEN_SOURCES), date(2024, 6, 30))
    counts["caf_allocataires"] = caf.write(depot, 62, date(2024, 6, 30))
    assert set(counts) == set(OPEN_SOURCES) and all(counts.values())
    # released by 30 June 2024: census 2018 and 2021 (out in June), Filosofi 2018 only (2021 is out in July)
    assert sorted(p.name for p in (depot / "insee_filosofi").iterdir()) == [
        "cc_filosofi_2018_COM.csv", "cc_filosofi_2018_DEP.csv", "cc_filosofi_2018_EPCI.csv"]
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    loader = Loader(con, KEY, today=date(2024, 7, 20))
    for name, source in OPEN_SOURCES.items():
        for r in loader.load_source(source, depot / name):
            assert r.statut == "CHARGE" and r.nb_lignes_rejetees == 0 and r.nb_lignes_chargees > 0, r.message
            assert any("hors du Pas-de-Calais" in w for w in r.avertissements), r.avertissements
    # the publisher's secret: small communes have no median (« s »), the EPCI and the département have theirs
    secret = dict(con.execute("SELECT niveau_fichier, count(*) FILTER (WHERE mediane_niveau_vie = 's') "
                              "FROM raw.insee_filosofi GROUP BY ALL").fetchall())
    assert secret["COM"] > 0 and secret["EPCI"] == 0 and secret["DEP"] == 0
    shown = render(status(None, date(2024, 6, 30)), depot)
    assert "base-cc-logement-2021.CSV" in shown and "cc_filosofi_2020_COM.csv" in shown


def test_expected_millesime_follows_the_publishers_calendar():
    census, filosofi = OPEN_SOURCES["insee_rp_logement"], INSEE_FILOSOFI
    assert expected_millesime(census, date(2024, 6, 1)) == 2021
    assert expected_millesime(census, date(2024, 5, 31)) == 2020
    assert expected_millesime(filosofi, date(2024, 6, 30)) == 2020
    assert expected_millesime(filosofi, date(2024, 7, 1)) == 2021


def test_rpls_workbook_reads_the_communes_sheet_under_its_title_rows(tmp_path):
    """The SDES workbook: label rows above the technical names, one sheet per level; only the communes sheet
    carries DEPCOM_ARM. Rows of other départements are left out, a secret cell stays secret."""
    import openpyxl

    from observatoire.extracts import RPLS

    wb = openpyxl.Workbook()
    wb.active.title = "INFORMATIONS"
    wb.active.append(["Le parc locatif social au 1er janvier 2023"])
    header = ["nb_ls", "nb_ls_individuels", "nb_ls_collectifs", "nb_ls_1piece", "nb_ls_2piece", "nb_ls_3piece",
              "nb_ls_4piece", "nb_ls_5piece_plus", "nb_vacants"]
    for sheet, code, rows in (("DEPARTEMENT", "DEP", [["62", 100, 60, 40, 2, 16, 38, 33, 11, 3]]),
                              ("COMMUNES", "DEPCOM_ARM", [["59350", 9, 9, 0, 0, 0, 9, 0, 0, 0],
                                                          ["62041", 100, 60, 40, 2, 16, 38, 33, 11, "s"]])):
        ws = wb.create_sheet(sheet)
        for _ in range(4):
            ws.append(["Parc locatif social", "libellé sur plusieurs lignes"])
        ws.append([])
        ws.append([code, *header])
        for r in rows:
            ws.append(r)
    folder = tmp_path / "depot" / "rpls"
    folder.mkdir(parents=True)
    wb.save(folder / "rpls_2023_resultats.xlsx")
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    [r] = Loader(con, KEY, today=date(2024, 7, 20)).load_source(RPLS, folder)
    assert (r.statut, r.nb_lignes_chargees, r.nb_lignes_rejetees) == ("CHARGE", 1, 0), r.message
    assert "données lues dans la feuille « COMMUNES »" in r.avertissements
    assert "1 lignes hors du Pas-de-Calais ignorées" in r.avertissements
    assert con.execute("SELECT code_geo, millesime, nb_logements_sociaux, nb_ls_vacants, _ligne FROM raw.rpls"
                       ).fetchall() == [("62041", "2023", "100", "s", 8)]
# --- FINESS (docs/sources/finess.md): a comment first line, positional fields, sections ------------------------
ETAB_NAME = "etalab-cs1100502-stock-20240701-0400.csv"
EQUIP_NAME = "etalab-cs1100505-stock-20240701-0400.csv"
COMMENT = "finess;etalab;5;2024-07-01"


def _fields(names: tuple[str, ...], n: int, **values: str) -> str:
    """A line of ``n`` fields: the named ones set, the others a filler that is none of them."""
    out = [values.get(name, "x") for name in names[:n]] + ["y"] * (n - len(names))
    return ";".join(out)


def _etab(n: int = len(FINESS_ETABLISSEMENT_FIELDS), number: str = "620000011") -> str:
    return _fields(FINESS_ETABLISSEMENT_FIELDS, n, section="structureet", nofinesset=number, commune="041",
                   departement=number[:2], categetab="214")


def _equip(n: int = len(FINESS_EQUIPEMENT_FIELDS), number: str = "620000011", client: str = "840",
           deleted: str = "N") -> str:
    return _fields(FINESS_EQUIPEMENT_FIELDS, n, section="equipementsocial", nofinesset=number, de="957",
                   ta="11", client=client, capinstot="40", capinsthab="40", indsupinst=deleted, capautot="40")


@pytest.mark.parametrize("name, expected", [
    (ETAB_NAME, date(2024, 7, 1)),
    (ETAB_NAME.upper(), date(2024, 7, 1)),
    ("etalab-cs1100502-stock-20240231-0400.csv", None),  # no such day
    ("etalab-cs1100502-stock-2024-07-01-0400.csv", None),
    ("etalab-cs1100502-stock-20240701-0400 (1).csv", None),  # a second download, renamed by the browser
    ("etalab-cs1100502-stock-20240701.csv", None),
    (EQUIP_NAME, None),  # the other extraction, dropped in the wrong folder
    ("etalab-cs1100507-stock-20240701-0400.csv", None),  # the géolocalised variant
    ("etalab-cs1100502-stock-20240701-0400.xlsx", None),
])
def test_finess_file_names(name, expected):
    assert extraction_date(name, FINESS_ETABLISSEMENTS) == expected
    assert (file_name_problem(FINESS_ETABLISSEMENTS, name) is None) == (expected is not None)


@pytest.mark.parametrize("first, accepted", [
    (COMMENT, True),
    ("FINESS;ETALAB;123456;2024-07-01", True),
    (COMMENT + ";;", True),  # re-exported with empty trailing fields
    (";".join(FINESS_ETABLISSEMENT_FIELDS), False),  # a header added by a spreadsheet
    (_etab(), False),  # the comment removed: the first establishment would be lost
    ("finess;etalab;;2024-07-01", False),
    ("finess;etalab;5;01/07/2024", False),
    ("finess,etalab,5,2024-07-01", False),
    ("", False),
])
def test_finess_first_line_must_be_the_publishers_comment(first, accepted):
    header = first.split(";")
    if accepted:
        fields, constants = published_header(FINESS_ETABLISSEMENTS, ETAB_NAME, header)
        assert fields == list(FINESS_ETABLISSEMENT_FIELDS) and constants == {"millesime": "2024"}
    else:
        with pytest.raises(ExtractError, match="n'est pas la ligne de commentaire .* finess;etalab;<n>;<AAAA-MM-JJ>"):
            published_header(FINESS_ETABLISSEMENTS, ETAB_NAME, header)


def test_finess_establishment_lines_of_every_length(tmp_path):
    """Only lines of exactly the 32 documented fields load; every other length is quarantined at its line."""
    width = len(FINESS_ETABLISSEMENT_FIELDS)
    lengths = [n for n in range(5, width + 6) if n != width]
    lines = [_etab(number="620000011")] + [_etab(n, number=f"62{n:07d}") for n in lengths]
    [result], con = _load(tmp_path, {ETAB_NAME: "\n".join([COMMENT, *lines]) + "\n"}, FINESS_ETABLISSEMENTS)
    assert (result.statut, result.nb_lignes_chargees, result.nb_lignes_rejetees) == ("CHARGE", 1, len(lengths))
    assert con.execute("SELECT _ligne, nofinesset FROM raw.finess_etablissements").fetchall() == [(2, "620000011")]
    rejected = dict(con.execute("SELECT ligne, motif FROM raw.rejets").fetchall())
    assert sorted(rejected) == list(range(3, 3 + len(lengths)))
    for line, n in zip(range(3, 3 + len(lengths)), lengths, strict=True):
        kind = "trop de champs" if n > width else "champs manquants"
        assert kind in rejected[line], (n, rejected[line])


def test_finess_equipment_sections_and_extra_fields(tmp_path):
    """structureet lines and other départements are left out and counted; an equipment line may carry up to
    RAGGED_SPARE_FIELDS fields more than the documented ones (read, unused); beyond, it is quarantined."""
    width = len(FINESS_EQUIPEMENT_FIELDS)
    lines = ["structureet;620000011;620000000", "structureet;590000011;590000000",
             _equip(number="590000011"), _equip(deleted="O", client="850")]
    lines += [_equip(n, client=f"{n}") for n in range(width, width + RAGGED_SPARE_FIELDS + 1)]
    lines += [_equip(width + RAGGED_SPARE_FIELDS + 1, client="999")]
    [result], con = _load(tmp_path, {EQUIP_NAME: "\n".join([COMMENT, *lines]) + "\n"}, FINESS_EQUIPEMENTS)
    assert (result.statut, result.nb_lignes_chargees, result.nb_lignes_rejetees) == (
        "CHARGE", RAGGED_SPARE_FIELDS + 2, 1)
    assert "3 lignes hors du Pas-de-Calais ou d'une autre section du fichier ignorées" in result.avertissements
    rows = con.execute("SELECT client, capinstot, indsupinst, capautot FROM raw.finess_equipements "
                       "ORDER BY _ligne").fetchall()
    assert rows[0] == ("850", "40", "O", "40")  # a deleted installation is loaded with its flag
    assert all(r[1:] == ("40", "N", "40") for r in rows[1:])
    assert con.execute("SELECT ligne, motif FROM raw.rejets").fetchall() == [
        (len(lines) + 1, f"ligne avec trop de champs : {width + RAGGED_SPARE_FIELDS} champs attendus, "
                         f"{width + RAGGED_SPARE_FIELDS + 1} trouvés")]


def test_finess_personal_fields_are_never_stored(tmp_path):
    """The establishment's address and phone number are in the file, never in the warehouse."""
    line = _fields(FINESS_ETABLISSEMENT_FIELDS, len(FINESS_ETABLISSEMENT_FIELDS), section="structureet",
                   nofinesset="620000011", commune="041", departement="62", categetab="214", voie="RUE SECRETE",
                   telephone="0321999999", telecopie="0321888888", numvoie="77")
    _, con = _load(tmp_path, {ETAB_NAME: f"{COMMENT}\n{line}\n"}, FINESS_ETABLISSEMENTS)
    stored = con.execute("SELECT * FROM raw.finess_etablissements").fetchall()
    assert stored and not any(v in str(stored) for v in ("RUE SECRETE", "0321999999", "0321888888"))
    columns = {c for c, in con.execute("SELECT column_name FROM duckdb_columns() "
                                       "WHERE table_name = 'finess_etablissements'").fetchall()}
    assert not columns & {"voie", "numvoie", "telephone", "telecopie", "ligneacheminement", "rs"}


def test_finess_demo_is_calibrated_on_the_annex(tmp_path):
    """The demo's 2020 extraction gives the annex's CHRS, LHSS and pensions de famille figures (places counted
    without the deleted installations), and later years keep one extraction a year, on 1 September."""
    depot = tmp_path / "depot"
    finess.write(depot, 62, set(finess.SOURCES), date(2024, 6, 30))
    assert sorted(p.name for p in (depot / "finess_etablissements").iterdir()) == [
        f"etalab-cs1100502-stock-{d}-0400.csv" for d in ("20200901", "20210901", "20220901", "20230901")]
    con = duckdb.connect()
    rows = con.execute(f"""
        WITH e AS (SELECT column01 AS nof, column18 AS cat FROM read_csv('{depot}/finess_etablissements/*2020*',
                   header=false, skip=1, delim=';', all_varchar=true, auto_detect=false,
                   columns={{{", ".join(f"'column{i:02d}': 'VARCHAR'" for i in range(32))}}})),
             q AS (SELECT column01 AS nof, column09::INT AS cap, column15 AS sup
                   FROM read_csv('{depot}/finess_equipements/*2020*', header=false, skip=1, delim=';',
                   null_padding=true, encoding='latin-1', auto_detect=false,
                   columns={{{", ".join(f"'column{i:02d}': 'VARCHAR'" for i in range(28))}}})
                   WHERE column00 = 'equipementsocial')
        SELECT cat, sum(cap) FILTER (WHERE sup <> 'O'), count(DISTINCT e.nof), sum(cap) FILTER (WHERE sup = 'O')
        FROM e JOIN q USING (nof) WHERE e.nof LIKE '62%' GROUP BY cat""").fetchall()
    by_category = {cat: (places, n) for cat, places, n, _ in rows}
    assert by_category["214"] == (911, 25) and by_category["180"][0] == 29 and by_category["258"] == (340, 17)
    assert any(deleted for *_, deleted in rows)  # some installations are deleted, their places not counted


# --- CAF (docs/sources/caf.md): an export the team names, each row carrying its December -------------------------
CAF_HEADER = "dtreffre;numcomdo;nomcom;numepci;numdep;numregi;indfoy_ndur;indnbp_ndur;indfoy_rsa;indnbp_rsa;indmtt_rsa"


def _caf(*rows: str) -> str:
    return "\ufeff" + "\n".join([CAF_HEADER, *rows]) + "\n"


@pytest.mark.parametrize("name, expected", [
    ("caf_s_ben_com_f_2024.csv", date(2024, 1, 1)),
    ("CAF_S_BEN_COM_F_2021.CSV", date(2021, 1, 1)),
    ("s_ben_com_f.csv", None),  # the export as downloaded: no December in its name
    ("caf_s_ben_com_f_2024-12.csv", None),
])
def test_caf_file_names(name, expected):
    assert extraction_date(name, CAF_ALLOCATAIRES) == expected
    problem = file_name_problem(CAF_ALLOCATAIRES, name)
    assert (problem is None) == (expected is not None)
    if problem:
        assert "caf_s_ben_com_f_{millesime}.csv" in problem and name in problem


def test_caf_rows_secret_unplaced_and_other_departements(tmp_path):
    """A December of the Pas-de-Calais: a commune under secret (empty cells) stays NULL and flagged, the households
    placed in no commune (62XXX) are kept, rows of another département or without commune code are left out, a
    code of no commune of the département is quarantined with its line and column."""
    text = _caf("2024-12;62041;ARRAS;200033579;62;32;11250;24800;2180;4550;1225000",
                "2024-12;33063;BORDEAUX;243300316;33;75;61500;125000;9260;19450;4996200",
                "2024-12;62002;ABLAINZEVELLE;200035442;62;32;45;110;;;",
                "2024-12;62XXX;;;62;32;410;655;185;240;103000",
                "2024-12;;;;;;2450;3100;1830;2010;1025000",
                "2024-12;6204;ARRAS?;;62;32;10;20;5;10;2800")
    [result], con = _load(tmp_path, {"caf_s_ben_com_f_2024.csv": text}, CAF_ALLOCATAIRES)
    assert (result.statut, result.nb_lignes_chargees, result.nb_lignes_rejetees) == ("CHARGE", 3, 1), result.message
    assert "2 lignes hors du Pas-de-Calais ou sans code commune ignorées" in result.avertissements
    assert con.execute("SELECT ligne, colonne, valeur FROM raw.rejets").fetchall() == [(7, "numcomdo", "6204")]
    assert con.execute("SELECT code_geo, millesime, nb_foyers_rsa FROM raw.caf_allocataires ORDER BY _ligne"
                       ).fetchall() == [("62041", "2024", "2180"), ("62002", "2024", None), ("62XXX", "2024", "185")]


@pytest.mark.parametrize("rows, line, found", [
    (["2024-12;62041;ARRAS;;62;32;1;1;1;1;1", "2023-12;62041;ARRAS;;62;32;1;1;1;1;1"], 3, "2023-12"),
    (["2024-06;62041;ARRAS;;62;32;1;1;1;1;1"], 2, "2024-06"),  # another month than December
    (["2024;62041;ARRAS;;62;32;1;1;1;1;1"], 2, "2024"),
    (["2024-12;62041;ARRAS;;62;32;1;1;1;1;1", ";62042;ACHICOURT;;62;32;1;1;1;1;1"], 3, ""),
])
def test_caf_a_row_of_another_december_refuses_the_file(tmp_path, rows, line, found):
    [result], con = _load(tmp_path, {"caf_s_ben_com_f_2024.csv": _caf(*rows)}, CAF_ALLOCATAIRES)
    assert result.statut == "REFUSE"
    assert result.message.startswith(f"caf_s_ben_com_f_2024.csv : ligne {line}, colonne « dtreffre » : période "
                                     f"« {found} », alors que le nom du fichier annonce le millésime 2024")
    assert "« 2024-12 »" in result.message


def test_caf_december_as_a_date_is_accepted(tmp_path):
    [result], _ = _load(tmp_path, {"caf_s_ben_com_f_2024.csv": _caf("2024-12-01;62041;ARRAS;;62;32;1;1;1;1;1")},
                        CAF_ALLOCATAIRES)
    assert result.statut == "CHARGE", result.message


def test_caf_demo_is_calibrated_on_the_annex():
    """Each territory's RSA households over the census households the mart divides by give the annex's rate in
    December 2020; the CAF's Decembers appear about seven months later."""
    from observatoire.demo.common import geography
    from observatoire.demo.contexte import _figure

    geo = geography()
    rows, secret = caf.table(62, 2020)
    rp = contexte.census(62, caf.census_millesime(2020))["rp"]
    rsa = [int(r[8]) if r[8] else 0 for r in rows]
    for t, code in enumerate(geo.territories):
        m = geo.members(t)
        rate = 100 * sum(rsa[i] for i in m) / rp[m].sum()
        assert rate == pytest.approx(_figure("rsa_rate_pct", code, caf.DEFAULT_RATE.get(code, 6.0)), abs=0.15), code
    assert secret.any() and all(rows[i][8] == "" for i in secret.nonzero()[0])
    assert caf.census_millesime(2020) == 2018
    assert expected_millesime(CAF_ALLOCATAIRES, date(2024, 6, 30)) == 2022
    assert expected_millesime(CAF_ALLOCATAIRES, date(2024, 7, 1)) == 2023
