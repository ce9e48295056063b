"""GX suites (expectations/), their runner (observatoire/quality/suites.py) and the Dagster asset checks
(orchestration/checks.py), on tiny DuckDB warehouses built here; then every suite on the demo warehouse."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest
from dagster import (
    AssetCheckSeverity,
    AssetKey,
    ConfigurableResource,
    asset,
    build_asset_check_context,
    materialize,
)

from expectations import PORTRAIT_SUITES, SOURCE_SUITES, SUITES, freshness_rules, freshness_suite
from expectations.commun import ERROR, WARN
from observatoire import formats
from observatoire.extracts import SOURCES
from observatoire.quality.data_docs import publish_data_docs
from observatoire.quality.precheck import _may_fail, precheck
from observatoire.quality.suites import Resultat, files_to_validate, freshness, validate
from orchestration.checks import ASSET_CHECKS

LOADED_AT = datetime(2024, 7, 10, 8, 0, 0)


# --- a tiny warehouse -----------------------------------------------------------------------------------
def pseudo(n) -> str:
    return hashlib.sha256(str(n).encode()).hexdigest()


def clean_row(source: str, i: int) -> dict[str, str | None]:
    """A valid row of each source, as the ingestion stores it (text)."""
    return {
        "fsl": {"numero_dossier": pseudo(f"fsl{i}"), "tranche_age": "30_39", "code_commune": "62041",
                "volet": "MAINTIEN", "type_parc": "PUBLIC", "date_depot": "03/03/2024",
                "date_decision": "20/03/2024", "decision": "ACCORD", "forme_aide": "SUBVENTION",
                "montant_accorde": "1250,50", "garantie_loyer": "N", "nb_personnes": "3", "procedure_expulsion": "N"},
        "dalo": {"numero_recours": pseudo(f"dalo{i}"), "tranche_age": "40_49", "code_commune": "62193",
                 "type_recours": "LOGEMENT", "date_depot": "10/01/2024", "motif_principal": "DELAI_ANORMAL",
                 "typologie_demandee": "T3", "taille_menage": "4", "date_decision": "15/03/2024",
                 "decision": "PU", "suite": "EN_ATTENTE"},
        "sne_demandes": {"numero_unique": pseudo(f"sne{i}"), "tranche_age": "25_29",
                         "code_commune_residence": "62041", "code_commune_souhaitee": "62041",
                         "typologies_souhaitees": "T2/T3", "date_depot": "05/02/2023", "statut": "ACTIVE",
                         "demande_mutation": "N", "taille_menage": "2", "motif_principal": "TROP_CHER",
                         "prioritaire_dalo": "N", "prioritaire_pdalhpd": "N"},
        "sne_attributions": {"numero_unique": pseudo(f"sne{i}"), "tranche_age": "25_29",
                             "date_attribution": "12/06/2024", "date_depot": "05/02/2023", "code_commune": "62041",
                             "typologie_attribuee": "T2", "logement_qpv": "N", "reservataire": "PREFET",
                             "bailleur": "Bailleur", "prioritaire_dalo": "N", "prioritaire_pdalhpd": "O",
                             "quartile_ressources": "1", "demande_mutation": "N", "taille_menage": "2"},
        "pppi": {"code_commune": f"{62001 + i}", "millesime": "2021", "nb_rp_privees": "500", "nb_pppi": "40",
                 "nb_pppi_cat6": "15", "nb_pppi_cat78": "25", "nb_pppi_po": "15", "nb_pppi_lp": "23",
                 "nb_pppi_avant_1949": "20", "secret_statistique": "N"},
        "ccapex": {"numero_procedure": pseudo(f"exp{i}"), "tranche_age": "30_39", "code_commune": "62041",
                   "type_bailleur": "BAILLEUR_SOCIAL", "motif_procedure": "IMPAYES", "etape": "ASSIGNATION",
                   "date_etape": "02/05/2024", "montant_dette": "2450,00"},
        "suivi_plan": _followup_row(i),
        # Open data: weighted census counts with decimals; a commune under the publisher's secret (« s »).
        "insee_rp_population": {"code_geo": f"{62001 + i}", "millesime": "2021", "millesime_precedent": "2015",
                                "population": "1994.27", "population_precedente": "1950", "population_0_19": "480.5",
                                "population_60_74": "330.1", "population_75_plus": "190.2",
                                "population_65_plus": "350"},
        "insee_rp_logement": {"code_geo": f"{62001 + i}", "millesime": "2021", "millesime_precedent": "2015",
                              "nb_logements": "950.3", "nb_residences_principales": "860.1",
                              "nb_residences_principales_precedent": "840", "nb_residences_secondaires": "20.2",
                              "nb_logements_vacants": "70", "nb_maisons": "800", "nb_rp_proprietaires": "600",
                              "nb_rp_locataires": "250", "nb_rp_locataires_hlm": "120",
                              "nb_rp_loges_gratuitement": "10.1"},
        "insee_rp_emploi": {"code_geo": f"{62001 + i}", "millesime": "2021", "nb_actifs_15_64": "900.4",
                            "nb_chomeurs_15_64": "101.2"},
        "insee_filosofi": {"code_geo": f"{62001 + i}", "millesime": "2021", "niveau_fichier": "COM",
                           "nb_menages_fiscaux": "850", "nb_personnes_menages_fiscaux": "1950",
                           "mediane_niveau_vie": "s" if i % 3 == 0 else "20140", "taux_pauvrete": "s"},
        "rpls": {"code_geo": f"{62001 + i}", "millesime": "2021", "nb_logements_sociaux": "120",
                 "nb_ls_individuels": "70", "nb_ls_collectifs": "50", "nb_ls_1_piece": "3", "nb_ls_2_pieces": "20",
                 "nb_ls_3_pieces": "45", "nb_ls_4_pieces": "39", "nb_ls_5_pieces_plus": "13", "nb_ls_vacants": "s"},
        # FINESS: an establishment of the Pas-de-Calais, and one of its equipment lines (a deleted one every third).
        "finess_etablissements": {"section": "structureet", "nofinesset": f"62{i:07d}", "nofinessej": "620000000",
                                  "commune": "041", "departement": "62", "categetab": "214",
                                  "libcategetab": "Centre Hébergement & Réinsertion Sociale (C.H.R.S.)",
                                  "millesime": "2024"},
        "finess_equipements": {"section": "equipementsocial", "nofinesset": f"62{i:07d}", "de": "957",
                               "libde": "Hébergement d'insertion", "ta": "11", "client": "840", "capinstot": "40",
                               "capinsthab": "40", "indsupinst": "O" if i % 3 == 0 else "N", "capautot": "40",
                               "millesime": "2024"},
        # CAF: a December of a commune, a commune under secret (empty RSA cells) every third.
        "caf_allocataires": {"mois_reference": "2024-12", "code_geo": f"{62001 + i}", "nom_commune": "COMMUNE",
                             "millesime": "2024", "nb_foyers_allocataires": "340",
                             "nb_foyers_rsa": None if i % 3 == 0 else "25",
                             "nb_personnes_couvertes_rsa": None if i % 3 == 0 else "55"},
    }[source]


# A valid value and an indicator of each nature, for the follow-up workbooks' rows.
_NATURES = {"nombre": "12", "part": "55,5", "delai": "30", "jalon": "15/02/2024", "qualitatif": "4"}


def _followup_row(i: int) -> dict[str, str | None]:
    """A row of a follow-up workbook as the ingestion stores it: an indicator of each nature in turn, in its own
    zone (i keeps the rows' keys apart)."""
    from observatoire.followup.referential import indicators

    nature = list(_NATURES)[i % len(_NATURES)]
    indicator = next(r for r in indicators() if r["nature"] == nature and r["mode"] == "collecte")
    return {"pilote": indicator["pilote_collecte"], "date_cotech": "20/06/2024",
            "feuille": f"Fiche {indicator['fiche']}", "ligne_feuille": str(6 + i), "fiche": indicator["fiche"],
            "code_indicateur": indicator["code_indicateur"],
            "nature": nature, "niveau": "territoire", "code_zone": f"Z{i}", "periode": "2024-T1",
            "valeur": _NATURES[nature], "commentaire": None, "statut": None, "commentaire_avancement": None,
            "prochain_jalon": None, "date_prochain_jalon": None}


class Warehouse:
    """A warehouse file named observatoire.duckdb (as the pipeline's), with raw tables and the ledger."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "observatoire.duckdb"
        con = duckdb.connect(str(self.path))
        formats.install(con)  # the value formats, as the loader installs them
        con.execute("CREATE SCHEMA raw")
        con.execute("""CREATE TABLE raw.journal_chargements (
            source VARCHAR, fichier VARCHAR, sha256 VARCHAR, taille_octets BIGINT, date_extraction DATE,
            statut VARCHAR, nb_lignes_lues BIGINT, nb_lignes_chargees BIGINT, nb_lignes_rejetees BIGINT,
            message VARCHAR, avertissements VARCHAR, charge_le TIMESTAMP)""")
        for s in SOURCES.values():
            columns = [f'"{c.stored_name}" VARCHAR' for c in s.stored_columns]
            con.execute(f"CREATE TABLE raw.{s.name} ({', '.join(columns)}, _fichier VARCHAR, _sha256 VARCHAR, "
                        "_ligne BIGINT, _date_extraction DATE, _charge_le TIMESTAMP)")
        con.close()

    def add_file(self, source: str, extracted: date, rows: list[dict], name: str | None = None,
                 loaded_at: datetime = LOADED_AT) -> str:
        name = name or f"{source}_{extracted:%Y-%m}_extrait_{extracted.isoformat()}.csv"
        con = duckdb.connect(str(self.path))
        for line, row in enumerate(rows, start=2):
            cols = ", ".join(f'"{c}"' for c in [*row, "_fichier", "_sha256", "_ligne", "_date_extraction",
                                                "_charge_le"])
            values = [*row.values(), name, pseudo(name), line, extracted, loaded_at]
            con.execute(f"INSERT INTO raw.{source} ({cols}) VALUES ({', '.join('?' * len(values))})", values)
        con.execute("INSERT INTO raw.journal_chargements VALUES (?, ?, ?, 1000, ?, 'CHARGE', ?, ?, 0, '', NULL, ?)",
                    [source, name, pseudo(name), extracted, len(rows), len(rows), loaded_at])
        con.close()
        return name

    def clean_history(self, source: str, n: int = 10) -> tuple[str, str]:
        """A previous extract and the current one, both clean and of the same size."""
        first = self.add_file(source, date(2024, 6, 5), [clean_row(source, i) for i in range(n)],
                              loaded_at=datetime(2024, 6, 10))
        rows = [clean_row(source, i + n) for i in range(n)]
        if source == "sne_attributions":  # every attribution refers to a demand of the demands extract
            self.add_file("sne_demandes", date(2024, 7, 5),
                          [clean_row("sne_demandes", i + n) for i in range(n)])
        return first, self.add_file(source, date(2024, 7, 5), rows)

    def connect(self):
        return duckdb.connect(str(self.path), read_only=True)


@pytest.fixture
def warehouse(tmp_path) -> Warehouse:
    return Warehouse(tmp_path / "entrepot")


def failures(resultat: Resultat) -> dict[str, str]:
    return {a.description: a.severite for a in resultat.echecs()}


def run(warehouse: Warehouse, source: str, files: list[str]) -> Resultat:
    con = warehouse.connect()
    try:
        return validate(con, source, files)
    finally:
        con.close()


# --- the suites as code ----------------------------------------------------------------------------------
def test_every_expectation_has_a_french_description_and_a_severity():
    suites = [*SUITES.values(), *(freshness_suite(s) for s in SOURCES)]
    for suite in suites:
        for frame in suite.frames:
            for e in frame.expectations:
                assert e.description and e.severity in (ERROR, WARN), (suite.name, frame.name, e)
    assert set(SOURCE_SUITES) == set(SOURCES)
    assert set(PORTRAIT_SUITES) == {"portrait_departement", "portrait_territoire", "portrait_epci"}
    assert set(freshness_rules()) == set(SOURCES)


@pytest.mark.parametrize("source", list(SOURCES))
def test_a_clean_extract_passes(warehouse, source):
    _, current = warehouse.clean_history(source)
    resultat = run(warehouse, source, [current])
    assert resultat.succes, resultat.rapport()
    assert resultat.lignes["lignes"] == 10
    assert resultat.severite is None


def test_older_codes_of_merged_communes_are_known(warehouse):
    row = clean_row("fsl", 0) | {"code_commune": "62110"}  # Berguette, merged into Isbergues
    name = warehouse.add_file("fsl", date(2024, 7, 5), [row])
    assert not failures(run(warehouse, "fsl", [name]))


# Each rule fails on a crafted row, with the severity given in the suite.
VIOLATIONS = [
    ("date future", "fsl", {"date_decision": "01/01/2099"}, "pas dans le futur", "ERROR"),
    ("décision avant la demande", "fsl", {"date_decision": "01/02/2024"}, "Décision prise le jour du dépôt", "ERROR"),
    ("montant négatif", "fsl", {"montant_accorde": "-5,00"}, "« Montant accordé » positif ou nul", "ERROR"),
    ("maintien de 3 500 €", "fsl", {"montant_accorde": "3500,00"}, "3 000 €", "ERROR"),
    ("code inconnu", "fsl", {"volet": "INCONNU"}, "liste fsl_volets", "ERROR"),
    ("commune inconnue", "dalo", {"code_commune": "59350"}, "COG 2026", "ERROR"),
    ("date illisible", "dalo", {"date_depot": "2024-01-10"}, "une date JJ/MM/AAAA", "ERROR"),
    ("obligatoire manquant", "ccapex", {"etape": None}, "« Étape » renseigné", "ERROR"),
    ("identifiant en clair", "ccapex", {"numero_procedure": "EXP62-0001"}, "pseudonymisé", "ERROR"),
    ("typologies", "sne_demandes", {"typologies_souhaitees": "T2-T3"}, "Typologies souhaitées", "ERROR"),
    ("radiée sans date", "sne_demandes", {"statut": "RADIEE", "motif_radiation": "ATTRIBUTION"},
     "« Date de radiation » renseignée", "ERROR"),
    ("PPPI au-delà du parc", "pppi", {"nb_pppi": "600", "nb_pppi_cat6": "300", "nb_pppi_cat78": "300"},
     "taux ≤ 100 %", "ERROR"),
    ("catégories PPPI", "pppi", {"nb_pppi_cat6": "10"}, "catégorie 6 + catégories 7 et 8", "WARN"),
    ("ménage de 30 personnes", "fsl", {"nb_personnes": "30"}, "Taille du ménage plausible", "WARN"),
    ("population négative", "insee_rp_population", {"population": "-5"}, "« P{aa}_POP » positif ou nul", "ERROR"),
    ("nombre illisible", "insee_rp_emploi", {"nb_actifs_15_64": "1 2,3,4"}, "marque de secret", "ERROR"),
    ("plus de chômeurs que d'actifs", "insee_rp_emploi", {"nb_chomeurs_15_64": "1000"},
     "Chômeurs de 15 à 64 ans au plus égaux aux actifs", "WARN"),
    ("taux de pauvreté de 120 %", "insee_filosofi", {"taux_pauvrete": "120"}, "entre 0 et 100 %", "ERROR"),
    ("plus de logements individuels que de logements sociaux", "rpls", {"nb_ls_individuels": "130"},
     "Logements individuels au plus égaux au parc social", "WARN"),
    ("établissement d'un autre département", "finess_etablissements", {"departement": "59"},
     "situé dans le Pas-de-Calais", "ERROR"),
    ("catégorie FINESS illisible", "finess_etablissements", {"categetab": "CHRS"}, "codée sur 3 chiffres", "WARN"),
    ("capacité négative", "finess_equipements", {"capinstot": "-4"}, "positive ou nulle", "ERROR"),
    ("capacité de 5 000 places", "finess_equipements", {"capinstot": "5000"}, "au plus 1000 places", "WARN"),
    ("indicateur de suppression inconnu", "finess_equipements", {"indsupinst": "X"}, "O ou N", "ERROR"),
    ("plus de foyers au RSA que de foyers allocataires", "caf_allocataires", {"nb_foyers_rsa": "400"},
     "Foyers au RSA au plus égaux aux foyers allocataires", "WARN"),
]


@pytest.mark.parametrize("case, source, change, description, severity", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_each_rule_fails_with_its_severity(warehouse, case, source, change, description, severity):
    rows = [clean_row(source, i) for i in range(10)]
    rows[3] = rows[3] | change
    warehouse.add_file(source, date(2024, 6, 5), [clean_row(source, i + 100) for i in range(10)],
                       loaded_at=datetime(2024, 6, 10))
    name = warehouse.add_file(source, date(2024, 7, 5), rows)
    resultat = run(warehouse, source, [name])
    found = {d: s for d, s in failures(resultat).items() if description in d}
    assert found and set(found.values()) == {severity}, resultat.rapport()
    assert resultat.severite == severity, resultat.rapport()
    failed = next(a for a in resultat.echecs() if description in a.description)
    assert failed.nb_inattendus == 1 and failed.exemples, failed
    assert failed.exemples[0]["_fichier"] == name and failed.exemples[0]["_ligne"] == 5  # 4th data row


# The pre-check in DuckDB: GX validates only the rows SQL finds suspect, and must find what it finds on all rows.
def test_every_data_row_expectation_is_prechecked_in_duckdb():
    for suite in SOURCE_SUITES.values():
        for frame in suite.frames:
            if frame.data_rows:
                untranslated = [e.expectation_type for e in frame.expectations if _may_fail(e) is None]
                assert not untranslated, (suite.name, untranslated)


def _without_precheck(monkeypatch, warehouse, source, files) -> Resultat:
    monkeypatch.setattr("observatoire.quality.suites.precheck", lambda sql, expectations: None)
    try:
        return run(warehouse, source, files)
    finally:
        monkeypatch.undo()


def _outcomes(resultat: Resultat) -> list[tuple]:
    return [(a.description, a.succes, a.nb_elements, a.nb_inattendus, json.dumps(a.exemples, sort_keys=True))
            for a in resultat.attendus]


# Several anomalies per file, with NULLs where a rule compares two columns or has a condition.
MIXED = {
    "fsl": [{"date_decision": None, "decision": "ACCORD"}, {"montant_accorde": None}, {"decision": None},
            {"volet": "MAINTIEN", "montant_accorde": "3000,01"}, {"nb_personnes": "0"}, {"date_depot": None}],
    "dalo": [{"date_decision": None}, {"date_relogement": "01/01/2020"}, {"suite": "RELOGE", "decision": None},
             {"taille_menage": "25"}, {"code_commune": None}],
    "sne_demandes": [{"statut": "RADIEE", "date_radiation": None}, {"statut": "ACTIVE", "date_radiation": "01/07/2024"},
                     {"typologies_souhaitees": "t2 / T3"}, {"typologies_souhaitees": "T9"}, {"taille_menage": None}],
    "sne_attributions": [{"quartile_ressources": "5"}, {"date_depot": "01/01/2025"}, {"numero_unique": "abc"}],
    "pppi": [{"nb_pppi_cat6": None}, {"nb_pppi": "-1"}, {"nb_pppi_avant_1949": "999"}, {"millesime": "2030"}],
    "ccapex": [{"etape": "JUGEMENT", "decision_jugement": None}, {"decision_jugement": "EXPULSION"},
               {"montant_dette": "250000,00"}, {"montant_dette": None}],
    "suivi_plan": [{"nature": "nombre", "valeur": "douze"}, {"nature": "part", "valeur": "150"},
                   {"nature": "nombre", "valeur": "2,5"}, {"nature": "jalon", "valeur": "31/02/2024"},
                   {"nature": "qualitatif", "valeur": "7"}, {"nature": "delai", "valeur": "-3"}],
}


@pytest.mark.parametrize("source", list(MIXED))
def test_precheck_finds_what_gx_finds_on_every_row(monkeypatch, warehouse, source):
    rows = [clean_row(source, i) for i in range(40)]
    for i, change in enumerate(MIXED[source]):
        rows[3 * i + 1] = rows[3 * i + 1] | change
    warehouse.add_file(source, date(2024, 6, 5), [clean_row(source, i + 100) for i in range(40)],
                       loaded_at=datetime(2024, 6, 10))
    name = warehouse.add_file(source, date(2024, 7, 5), rows)
    prechecked = run(warehouse, source, [name])
    assert prechecked.echecs(), prechecked.rapport()
    assert _outcomes(prechecked) == _outcomes(_without_precheck(monkeypatch, warehouse, source, [name]))
    assert prechecked.lignes["lignes"] == 40


@pytest.mark.parametrize("case, source, change, description, severity", VIOLATIONS, ids=[v[0] for v in VIOLATIONS])
def test_precheck_finds_each_rule_violation(monkeypatch, warehouse, case, source, change, description, severity):
    rows = [clean_row(source, i) for i in range(10)]
    rows[3] = rows[3] | change
    name = warehouse.add_file(source, date(2024, 7, 5), rows)
    assert _outcomes(run(warehouse, source, [name])) == \
        _outcomes(_without_precheck(monkeypatch, warehouse, source, [name]))


def test_gx_sees_no_row_of_a_clean_extract(warehouse):
    _, current = warehouse.clean_history("fsl")
    frame = next(f for f in SOURCE_SUITES["fsl"].frames if f.data_rows)
    con = warehouse.connect()
    try:
        assert con.execute(precheck(frame.sql, frame.expectations).suspects, {"fichiers": [current]}).fetchall() == []
    finally:
        con.close()


def test_duplicate_key_in_an_extract_is_an_error(warehouse):
    rows = [clean_row("fsl", i) for i in range(10)]
    rows[7] = rows[7] | {"numero_dossier": rows[2]["numero_dossier"]}
    name = warehouse.add_file("fsl", date(2024, 7, 5), rows)
    resultat = run(warehouse, "fsl", [name])
    assert failures(resultat) == {
        "Clé « N° dossier » unique dans une extraction (une seule version par clé en staging)": "ERROR"}
    assert resultat.severite == "ERROR"


def test_duplicate_key_across_two_files_of_the_same_extraction_date_is_an_error(warehouse):
    row = clean_row("dalo", 1)
    first = warehouse.add_file("dalo", date(2024, 7, 10), [row], name="dalo_2024-T2_extrait_2024-07-10.csv")
    second = warehouse.add_file("dalo", date(2024, 7, 10), [row], name="dalo_2024-T2_bis_extrait_2024-07-10.csv")
    resultat = run(warehouse, "dalo", [first, second])
    assert "ERROR" in failures(resultat).values() and resultat.severite == "ERROR"


def test_a_key_delivered_again_later_is_a_warning_for_sources_delivered_once(warehouse):
    row = clean_row("fsl", 1)
    warehouse.add_file("fsl", date(2024, 6, 5), [row], loaded_at=datetime(2024, 6, 10))
    name = warehouse.add_file("fsl", date(2024, 7, 5), [row])
    resultat = run(warehouse, "fsl", [name])
    assert resultat.severite == "WARN" and any("livrée pour la première fois" in d for d in failures(resultat))


def test_attribution_without_a_known_demand_is_a_warning(warehouse):
    """WARN, not ERROR: the demands and attributions extracts arrive separately; the attribution is a valid
    fact counted by the marts; a missing demands extract is caught by its own freshness check."""
    warehouse.add_file("sne_demandes", date(2024, 7, 5), [clean_row("sne_demandes", i) for i in range(9)])
    name = warehouse.add_file("sne_attributions", date(2024, 7, 5),
                              [clean_row("sne_attributions", i) for i in range(10)])
    resultat = run(warehouse, "sne_attributions", [name])
    assert failures(resultat) == {
        "Attribution rattachée à une demande connue des extractions SNE (même « Numéro unique »)": "WARN"}
    failed = resultat.echecs()[0]
    assert failed.nb_inattendus == 1 and failed.exemples[0]["_ligne"] == 11


def test_a_drop_of_60_percent_against_the_previous_extract_is_a_warning(warehouse):
    warehouse.add_file("ccapex", date(2024, 4, 10), [clean_row("ccapex", i + 100) for i in range(10)],
                       loaded_at=datetime(2024, 4, 12))
    name = warehouse.add_file("ccapex", date(2024, 7, 10), [clean_row("ccapex", i) for i in range(4)])
    resultat = run(warehouse, "ccapex", [name])
    assert resultat.severite == "WARN"
    (failed,) = resultat.echecs()
    assert "±50 %" in failed.description and failed.exemples[0]["fichier"] == name
    assert failed.exemples[0]["rapport_extraction_precedente"] == pytest.approx(0.4)


def test_missing_column_in_raw_is_an_error(warehouse):
    name = warehouse.add_file("pppi", date(2023, 10, 15), [clean_row("pppi", i) for i in range(3)])
    con = duckdb.connect(str(warehouse.path))
    con.execute("ALTER TABLE raw.pppi DROP COLUMN nb_pppi_lp")
    con.close()
    resultat = run(warehouse, "pppi", [name])
    failed = failures(resultat)
    assert failed.get("Toutes les colonnes de la spécification présentes dans raw.pppi") == "ERROR"
    assert resultat.severite == "ERROR"


def test_only_files_not_yet_published_are_validated(tmp_path, warehouse):
    old = warehouse.add_file("fsl", date(2024, 6, 5), [clean_row("fsl", 1)], loaded_at=datetime(2024, 6, 10))
    published = tmp_path / "publie" / "observatoire.duckdb"
    published.parent.mkdir()
    shutil.copy(warehouse.path, published)
    new = warehouse.add_file("fsl", date(2024, 7, 5), [clean_row("fsl", 2)])
    con = warehouse.connect()
    assert files_to_validate(con, "fsl", published) == [new]
    assert files_to_validate(con, "fsl", tmp_path / "absent.duckdb") == [old, new]
    con.close()


# --- freshness -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("today, severity", [
    (date(2024, 7, 20), None),  # 15 days: within the monthly cadence
    (date(2024, 8, 20), None),  # 46 days: cadence 31 + grace 15, still fine
    (date(2024, 9, 1), "WARN"),  # 58 days: beyond cadence + grace
    (date(2024, 12, 1), "ERROR"),  # 149 days: beyond the error threshold (92)
])
def test_freshness(warehouse, today, severity):
    warehouse.add_file("fsl", date(2024, 7, 5), [clean_row("fsl", 1)])
    con = warehouse.connect()
    (resultat,) = freshness(con, today, ["fsl"])
    con.close()
    assert resultat.severite == severity, resultat.rapport()


def test_freshness_of_a_source_never_loaded_is_an_error(warehouse):
    con = warehouse.connect()
    results = {r.suite: r for r in freshness(con, date(2024, 7, 20))}
    con.close()
    assert set(results) == {f"fraicheur_{s}" for s in SOURCES}
    blocking = {s for s, r in freshness_rules().items() if r.get("bloquante", True)}
    assert blocking and all(results[f"fraicheur_{s}"].severite == "ERROR" for s in blocking)
    # The pilots' workbooks: their absence is reported, never blocking the five sources' publication.
    assert all(results[f"fraicheur_{s}"].severite == "WARN" for s in set(SOURCES) - blocking)


# --- marts -------------------------------------------------------------------------------------------------
def portraits(warehouse: Warehouse, *, territory_total: int = 30, share: float = 1 / 3, maintien: float = 1500.0):
    """Three tiny portraits: 2 territories of 1 and 2 EPCI, one year."""
    con = duckdb.connect(str(warehouse.path))
    con.execute("CREATE SCHEMA referentiel; CREATE SCHEMA intermediate; CREATE SCHEMA marts")
    con.execute("CREATE TABLE referentiel.territoires AS SELECT * FROM (VALUES ('ARR'), ('LEN')) t(code_territoire)")
    con.execute("CREATE TABLE referentiel.epci AS SELECT * FROM (VALUES ('1'), ('2'), ('3')) t(code_epci)")
    con.execute("CREATE TABLE intermediate.int_calendrier__annees AS SELECT 2024 AS annee")
    cols = "annee, nb_demandes_en_cours, nb_demandes_en_cours_mutation, part_demandes_mutation, " \
           "montant_aides_maintien, nb_aides_maintien, aide_moyenne_maintien, population"

    def values(demandes, mutation, aides, population):
        return f"2024, {demandes}, {mutation}, {mutation / demandes}, {aides * maintien}, {aides}, " \
               f"{maintien}, {population}"
    con.execute(f"CREATE TABLE marts.portrait_epci AS SELECT * FROM (VALUES "
                f"('1', 'ARR', {values(30, 10, 2, 100)}), ('2', 'LEN', {values(40, 10, 2, 200)}), "
                f"('3', 'LEN', {values(30, 10, 2, 300)})) t(code_epci, code_territoire, {cols})")
    con.execute(f"CREATE TABLE marts.portrait_territoire AS SELECT * FROM (VALUES "
                f"('ARR', {values(territory_total, territory_total * share, 2, 100)}), "
                f"('LEN', {values(70, 20, 4, 500)})) t(code_territoire, {cols})")
    con.execute(f"CREATE TABLE marts.portrait_departement AS SELECT * FROM (VALUES "
                f"('62', {values(100, 30, 6, 600)})) t(code_departement, {cols})")
    con.close()


def test_clean_portraits_pass(warehouse):
    portraits(warehouse)
    con = warehouse.connect()
    for mart in PORTRAIT_SUITES:
        resultat = validate(con, mart)
        assert resultat.succes, resultat.rapport()
    con.close()


@pytest.mark.parametrize("change, mart, description", [
    ({"territory_total": 31, "share": 1 / 3}, "portrait_departement", "Sommes réconciliées"),
    ({"territory_total": 31, "share": 1 / 3}, "portrait_territoire", "Sommes réconciliées"),
    ({"share": 1.5}, "portrait_territoire", "Ratios dans leurs bornes"),
    ({"share": 1 / 3, "maintien": 3500.0}, "portrait_epci", "aide moyenne au maintien"),
])
def test_portrait_violations_are_errors(warehouse, change, mart, description):
    portraits(warehouse, **change)
    con = warehouse.connect()
    resultat = validate(con, mart)
    con.close()
    assert resultat.severite == "ERROR"
    assert any(description in d and s == "ERROR" for d, s in failures(resultat).items()), resultat.rapport()


# --- Data Docs ---------------------------------------------------------------------------------------------
def test_data_docs_index_is_written(tmp_path, warehouse):
    _, name = warehouse.clean_history("fsl")
    con = warehouse.connect()
    results = [validate(con, "fsl", [name]), *freshness(con, date(2024, 7, 20), ["fsl"])]
    con.close()
    index = publish_data_docs(results, tmp_path / "rapports" / "gx")
    assert index == tmp_path / "rapports" / "gx" / "index.html" and index.exists()
    pages = [p.read_text(encoding="utf-8") for p in (tmp_path / "rapports" / "gx").rglob("*.html")]
    assert any("Montant accordé" in p for p in pages) and any("cadence 31 j" in p for p in pages)
    again = publish_data_docs(results[1:], tmp_path / "rapports" / "gx")  # only the last run stays
    assert not any("Montant accord" in p.read_text(encoding="utf-8") for p in again.parent.rglob("*.html"))


def test_each_check_of_a_run_adds_its_results_and_a_new_run_starts_again(tmp_path, warehouse):
    from observatoire.quality.data_docs import publish_run_data_docs
    from observatoire.quality.suites import record_results

    warehouse.add_file("fsl", date(2024, 7, 5), [clean_row("fsl", 1)])
    con = warehouse.connect()
    fsl, dalo = freshness(con, date(2024, 7, 20), ["fsl", "dalo"])
    con.close()
    rapports = tmp_path / "rapports"
    record_results(rapports, "run-1", "raw/fsl:fraicheur", [fsl])
    path = record_results(rapports, "run-1", "raw/dalo:fraicheur", [dalo])
    report = json.loads(path.read_text("utf-8"))
    assert list(report["controles"]) == ["raw/fsl:fraicheur", "raw/dalo:fraicheur"]
    assert report["controles"]["raw/dalo:fraicheur"]["severite"] == "ERROR"  # never loaded
    index = publish_run_data_docs(rapports).read_text("utf-8")
    assert "fraicheur_fsl" in index and "fraicheur_dalo" in index
    record_results(rapports, "run-2", "raw/dalo:fraicheur", [dalo])
    assert list(json.loads(path.read_text("utf-8"))["controles"]) == ["raw/dalo:fraicheur"]
    publish_run_data_docs(rapports)
    assert "fraicheur_fsl" not in (rapports / "gx" / "index.html").read_text("utf-8")
    assert not (rapports / "gx" / "validations" / "fraicheur_fsl").exists()


# --- Dagster asset checks -------------------------------------------------------------------------------
class FakeWarehouseResource(ConfigurableResource):
    depot_dir: str
    warehouse: str
    published: str
    reports_dir: str


def entrepot(tmp_path: Path, warehouse: Warehouse) -> FakeWarehouseResource:
    return FakeWarehouseResource(depot_dir=str(tmp_path / "depot"), warehouse=str(warehouse.path),
                                 published=str(tmp_path / "publie" / "observatoire.duckdb"),
                                 reports_dir=str(tmp_path / "rapports"))


def check(asset_key: list[str], name: str):
    return next(c for c in ASSET_CHECKS if c.check_key.asset_key == AssetKey(asset_key) and c.check_key.name == name)


def test_asset_checks_cover_every_source_and_portrait():
    keys = {(tuple(c.check_key.asset_key.path), c.check_key.name) for c in ASSET_CHECKS}
    expected = {(("raw", s), n) for s in SOURCES for n in ("validite", "fraicheur")}
    expected |= {(("marts", m), "coherence") for m in PORTRAIT_SUITES}
    expected |= {(("diffusion", "diffusion_portrait_epci"), "secret_statistique")}  # the secret audit
    assert keys == expected
    assert all(spec.blocking for c in ASSET_CHECKS for spec in c.check_specs)


def test_validite_check_results_and_report(tmp_path, warehouse):
    _, name = warehouse.clean_history("fsl")
    resources = {"entrepot": entrepot(tmp_path, warehouse)}
    ok = check(["raw", "fsl"], "validite")(build_asset_check_context(resources=resources))
    assert ok.passed and ok.metadata["fichiers_valides"].value == 2

    bad = warehouse.add_file("fsl", date(2024, 8, 5), [clean_row("fsl", 50) | {"montant_accorde": "-1,00"}]
                             + [clean_row("fsl", 51 + i) for i in range(9)])
    result = check(["raw", "fsl"], "validite")(build_asset_check_context(resources=resources))
    assert not result.passed and result.severity == AssetCheckSeverity.ERROR
    assert result.metadata["erreurs_bloquantes"].value == 1
    assert "positif ou nul" in result.metadata["resume"].value

    report = json.loads((tmp_path / "rapports" / "qualite" / "derniere_validation.json").read_text("utf-8"))
    assert report["horodatage"] and report["controles"]["raw/fsl:validite"]["severite"] == "ERROR"
    assert bad in report["controles"]["raw/fsl:validite"]["resultats"][0]["fichiers"]


def test_validite_has_nothing_to_validate_once_every_file_is_published(tmp_path, warehouse, monkeypatch):
    import shutil

    import orchestration.checks as checks

    warehouse.clean_history("fsl")
    resources = {"entrepot": entrepot(tmp_path, warehouse)}
    (tmp_path / "publie").mkdir()
    shutil.copy(warehouse.path, resources["entrepot"].published)  # the files of the last refresh, published
    monkeypatch.setattr(checks, "validate", lambda *a, **k: pytest.fail("GX run with no new file"))
    result = check(["raw", "fsl"], "validite")(build_asset_check_context(resources=resources))
    assert result.passed and result.metadata["fichiers_valides"].value == 0
    assert "Aucune extraction nouvelle" in result.description


def test_warning_only_check_gives_warn(tmp_path, warehouse):
    warehouse.add_file("pppi", date(2021, 10, 15), [clean_row("pppi", i) for i in range(10)],
                       loaded_at=datetime(2021, 10, 20))
    warehouse.add_file("pppi", date(2023, 10, 15), [clean_row("pppi", i) | {"millesime": "2023"} for i in range(4)])
    result = check(["raw", "pppi"], "validite")(
        build_asset_check_context(resources={"entrepot": entrepot(tmp_path, warehouse)}))
    assert not result.passed and result.severity == AssetCheckSeverity.WARN


@pytest.mark.parametrize("reference, passed, severity", [
    ("2024-07-20", True, None), ("2024-09-01", False, AssetCheckSeverity.WARN),
    ("2024-12-01", False, AssetCheckSeverity.ERROR)])
def test_fraicheur_check(tmp_path, warehouse, monkeypatch, reference, passed, severity):
    monkeypatch.setenv("OBSERVATOIRE_DATE_REFERENCE", reference)
    warehouse.add_file("fsl", date(2024, 7, 5), [clean_row("fsl", 1)])
    result = check(["raw", "fsl"], "fraicheur")(
        build_asset_check_context(resources={"entrepot": entrepot(tmp_path, warehouse)}))
    assert result.passed == passed and (passed or result.severity == severity)
    assert result.metadata["derniere_extraction"].value == "2024-07-05"


def test_coherence_check(tmp_path, warehouse):
    portraits(warehouse, share=1.5)
    resources = {"entrepot": entrepot(tmp_path, warehouse)}
    result = check(["marts", "portrait_territoire"], "coherence")(build_asset_check_context(resources=resources))
    assert not result.passed and result.severity == AssetCheckSeverity.ERROR


@asset(key=AssetKey(["raw", "fsl"]))
def raw_fsl():
    """Stands for the ingestion: the rows are already in the tiny warehouse."""


@asset(deps=[AssetKey(["raw", "fsl"])])
def downstream():
    """Stands for dbt and the publication."""


@pytest.mark.parametrize("change, blocked", [
    ({}, False),  # a drop of 60 % against the previous extract: WARN only, reported, not blocking
    ({"montant_accorde": "-1,00"}, True),  # a negative amount: ERROR, blocking
])
def test_warn_does_not_block_downstream_and_error_does(tmp_path, warehouse, change, blocked):
    warehouse.add_file("fsl", date(2024, 6, 5), [clean_row("fsl", i + 100) for i in range(10)],
                       loaded_at=datetime(2024, 6, 10))
    warehouse.add_file("fsl", date(2024, 7, 5), [clean_row("fsl", 0) | change]
                       + [clean_row("fsl", i) for i in range(1, 4)])
    result = materialize([raw_fsl, downstream, check(["raw", "fsl"], "validite")],
                         resources={"entrepot": entrepot(tmp_path, warehouse)}, raise_on_error=False)
    (evaluation,) = result.get_asset_check_evaluations()
    assert not evaluation.passed
    assert evaluation.severity == (AssetCheckSeverity.ERROR if blocked else AssetCheckSeverity.WARN)
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert (AssetKey(["downstream"]) in materialized) is not blocked
    assert result.success is not blocked
    report = json.loads((tmp_path / "rapports" / "qualite" / "derniere_validation.json").read_text("utf-8"))
    assert report["run_id"] == result.run_id and list(report["controles"]) == ["raw/fsl:validite"]


# --- the demo warehouse ----------------------------------------------------------------------------------
def test_every_suite_passes_its_errors_on_the_demo_warehouse(demo):
    con = duckdb.connect(str(demo.published), read_only=True)
    try:
        results = []
        for name in SUITES:
            files = None
            if name in SOURCES:  # every file of the demo, as a first load would validate them
                files = [r[0] for r in con.execute("SELECT fichier FROM raw.journal_chargements WHERE source = ? "
                                                   "AND statut = 'CHARGE' ORDER BY date_extraction", [name]).fetchall()]
            results.append(validate(con, name, files))
        latest = con.execute("SELECT max(date_extraction) FROM raw.journal_chargements").fetchone()[0]
        results += freshness(con, latest)
    finally:
        con.close()
    errors = [a.ligne() for r in results for a in r.echecs("ERROR")]
    assert not errors, "\n".join(errors)
    assert sum(r.lignes.get("lignes", 0) for r in results) > 500_000
    assert all(r.attendus for r in results)
    assert os.environ.get("GX_ANALYTICS_ENABLED") == "False"


def test_a_cadence_in_fraicheur_yml_other_than_the_declared_one_is_refused(tmp_path, monkeypatch):
    from expectations import commun

    text = commun.FRESHNESS_FILE.read_text(encoding="utf-8")
    changed = tmp_path / "fraicheur.yml"
    changed.write_text(text.replace("cadence: biennale", "cadence: annuelle"), encoding="utf-8")
    monkeypatch.setattr(commun, "FRESHNESS_FILE", changed)
    freshness_rules.cache_clear()
    try:
        with pytest.raises(ValueError, match="cadence « annuelle » de pppi différente de celle déclarée dans "
                                             "observatoire/extracts.py .« biennale »."):
            freshness_rules()
    finally:
        freshness_rules.cache_clear()
