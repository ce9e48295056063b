"""The 2022 diagnostic compared with the warehouse (marts.diagnostic_ecarts), checked against the theme marts.

Each expected value is recomputed here from the theme marts with its own SQL, not with the model's mapping:
the zone a figure names (an EPCI), the stock « au 1er janvier », a published evolution, a yearly average and the
departmental comparison the text quotes.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

CALL, CC_TERNOIS, CA_GRAND_CALAIS = "246200364", "200069672", "200090751"


@pytest.fixture(scope="module")
def con(demo):
    connection = duckdb.connect(str(demo.published), read_only=True)
    yield connection
    connection.close()


def figure(con, ligne: int, code: str, zone: str, texte: str | None = None) -> dict:
    rows = con.execute("""
        SELECT * FROM marts.diagnostic_ecarts
        WHERE ligne_plan = ? AND code_indicateur = ? AND code_zone = ?
          AND (? IS NULL OR valeur_publiee_texte = ?)""", [ligne, code, zone, texte, texte]).df()
    assert len(rows) == 1, (ligne, code, zone, texte, len(rows))
    return rows.iloc[0].to_dict()


def one(con, sql: str, params=()) -> float:
    return con.execute(sql, list(params)).fetchone()[0]


def test_a_figure_about_an_epci_is_computed_on_that_epci(con):
    row = figure(con, 3227, "pppi_pct_epci", "LEN", "5.3")
    assert (row["niveau_calcul"], row["code_zone_calcul"], row["periode_calculee"]) == ("epci", CALL, "2017")
    expected = one(con, """SELECT 100.0 * nb_pppi / nb_rp_privees FROM marts.pppi_indicateurs
                           WHERE niveau = 'epci' AND code_zone = ? AND annee = 2017""", [CALL])
    assert row["valeur_calculee"] == pytest.approx(expected)
    territory = one(con, """SELECT 100.0 * nb_pppi / nb_rp_privees FROM marts.pppi_indicateurs
                            WHERE niveau = 'territoire' AND code_zone = 'LEN' AND annee = 2017""")
    assert row["valeur_calculee"] != pytest.approx(territory)  # the EPCI, not its territory


def test_the_ternois_tension_is_the_cc_du_ternois_one(con):
    row = figure(con, 3595, "sne_tension_ratio", "TER")
    assert row["code_zone_calcul"] == CC_TERNOIS
    year = int(row["periode_calculee"])
    expected = one(con, """SELECT nb_demandes_en_cours / nb_attributions FROM marts.sne_indicateurs
                           WHERE niveau = 'epci' AND code_zone = ? AND annee = ?""", [CC_TERNOIS, year])
    assert row["valeur_calculee"] == pytest.approx(expected)


def test_a_share_of_an_arrondissement_sums_the_epci_of_that_arrondissement(con):
    # the EPCI nest in the arrondissements (what makes an arrondissement a sum of EPCI)
    assert one(con, """SELECT count(*) FROM (SELECT code_epci FROM intermediate.int_geo__communes
                                            GROUP BY 1 HAVING count(DISTINCT code_arrondissement) > 1)""") == 0
    row = figure(con, 3689, "ccapex_commandements_payer_share_of_arrondissement_pct", "TER")
    assert (row["code_zone_calcul"], row["niveau_denominateur"], row["code_zone_denominateur"]) == (
        CC_TERNOIS, "arrondissement", "621")
    year = int(row["periode_calculee"])
    ternois, arras = con.execute("""
        SELECT sum(i.nb_commandements_payer) FILTER (WHERE i.code_zone = ?),
               sum(i.nb_commandements_payer) FILTER (WHERE i.code_zone IN (
                   SELECT code_epci FROM intermediate.int_geo__communes WHERE code_arrondissement = '621'))
        FROM marts.ccapex_indicateurs i WHERE i.niveau = 'epci' AND i.annee = ?""", [CC_TERNOIS, year]).fetchone()
    assert 0 < ternois < arras
    assert row["valeur_calculee"] == pytest.approx(100 * ternois / arras)


def test_a_stock_au_premier_janvier_is_the_previous_december_one(con):
    row = figure(con, 368, "sne_demandes_en_cours", "62")
    assert row["annee_publiee"] == "2022" and row["periode_calculee"] == "2021"
    expected = one(con, "SELECT nb_demandes_en_cours FROM marts.sne_indicateurs "
                        "WHERE niveau = 'departement' AND annee = 2021")
    assert row["valeur_calculee"] == expected


def test_a_published_evolution_is_compared_with_the_computed_evolution(con):
    row = figure(con, 493, "ccapex_assignations_evol_pct", "62")
    assert row["annee_reference"] == 2019
    a2021, a2019 = (one(con, "SELECT nb_assignations FROM marts.ccapex_indicateurs "
                             "WHERE niveau = 'departement' AND annee = ?", [y]) for y in (2021, 2019))
    assert row["valeur_calculee"] == pytest.approx(100 * (a2021 / a2019 - 1))


def test_a_yearly_figure_is_the_average_of_its_period(con):
    row = figure(con, 2716, "ccapex_courriers_assignation_an", "ART")
    expected = one(con, """SELECT avg(nb_assignations) FROM marts.ccapex_indicateurs
                           WHERE niveau = 'territoire' AND code_zone = 'ART' AND annee BETWEEN 2019 AND 2021""")
    assert row["periode_calculee"] == "2019-2021" and row["valeur_calculee"] == pytest.approx(expected)
    assert row["numerateur_calcule"] == pytest.approx(3 * expected)  # the published numerator stays the sum


def test_the_departmental_average_the_text_quotes_is_recomputed(con):
    row = figure(con, 3062, "sne_tension_ratio", "CAL")
    assert row["valeur_comparaison_publiee"] == 2.3
    expected = one(con, "SELECT nb_demandes_en_cours / nb_attributions FROM marts.sne_indicateurs "
                        "WHERE niveau = 'departement' AND annee = 2019")
    assert row["valeur_comparaison_calculee"] == pytest.approx(expected)
    # the four averages the portraits quote all get a computed counterpart
    quoted = con.execute("""
        SELECT code_indicateur, valeur_comparaison_publiee, count(*) FILTER (WHERE valeur_comparaison_calculee IS NULL)
        FROM marts.diagnostic_ecarts
        WHERE code_indicateur IN ('sne_tension_ratio', 'sne_tension_t1', 'sne_attribution_delay_months', 'pppi_pct')
          AND valeur_comparaison_publiee IN (2.3, 8.1, 10, 6.5)
        GROUP BY ALL""").fetchall()
    assert {(c, v) for c, v, _ in quoted} == {("sne_tension_ratio", 2.3), ("sne_tension_t1", 8.1),
                                             ("sne_attribution_delay_months", 10), ("pppi_pct", 6.5)}
    assert all(missing == 0 for *_, missing in quoted), quoted


def test_the_plan_contradicting_itself_is_flagged_not_corrected(con):
    row = figure(con, 493, "ccapex_assignations", "62", "2158")
    assert row["valeur_publiee"] == 2158 and "2 695" in row["incoherence_plan"]
    lens = figure(con, 493, "ccapex_assignations_lens_henin", "62")
    assert (lens["niveau_calcul"], lens["code_zone_calcul"]) == ("territoire", "LEN")
    assert lens["valeur_calculee"] == one(con, "SELECT nb_assignations FROM marts.ccapex_indicateurs "
                                               "WHERE niveau = 'territoire' AND code_zone = 'LEN' AND annee = 2021")
    unflagged = figure(con, 2546, "ccapex_assignations", "ARR")
    assert pd.isna(unflagged["incoherence_plan"])


@pytest.mark.parametrize("ligne, code, zone, numerator, denominator, scale, level, code_zone", [
    (368, "sne_attribution_delay_months_prioritaires", "62", "somme_delai_attribution_mois_prioritaires",
     "nb_attributions_prioritaires", 1, "departement", "62"),
    (3209, "sne_attribution_delay_months_mutation", "LEN", "somme_delai_attribution_mois_mutation",
     "nb_attributions_mutation", 1, "territoire", "LEN"),
    (3209, "sne_attribution_delay_months_acces", "LEN", "somme_delai_attribution_mois_premier_acces",
     "nb_attributions_premier_acces", 1, "territoire", "LEN"),
    (3587, "sne_attributions_isoles_pct", "TER", "nb_attributions_personnes_isolees", "nb_attributions", 100,
     "territoire", "TER"),
    (370, "sne_attributions_prioritaires_pct", "62", "nb_attributions_prioritaires_quartiles_1_2",
     "nb_attributions_prioritaires", 100, "departement", "62"),
    (3689, "ccapex_commandements_payer_parc_prive_pct", "TER", "nb_commandements_payer_parc_prive",
     "nb_commandements_payer", 100, "territoire", "TER"),
])
def test_the_figures_the_five_sources_newly_give(con, ligne, code, zone, numerator, denominator, scale, level,
                                                 code_zone):
    row = figure(con, ligne, code, zone)
    table = "ccapex_indicateurs" if numerator.startswith("nb_commandements") else "sne_indicateurs"
    num, den = con.execute(f"""SELECT {numerator}, {denominator} FROM marts.{table}
                               WHERE niveau = ? AND code_zone = ? AND annee = ?""",
                           [level, code_zone, int(row["periode_calculee"])]).fetchone()
    assert 0 < num <= den * (1 if scale == 100 else 10_000)
    assert row["valeur_calculee"] == pytest.approx(scale * num / den)


def test_new_columns_hold_what_they_say_on_the_rows(con):
    # parts never exceed their totals, and the premier accès / mutation split is a partition
    bad = one(con, """
        SELECT count(*) FROM marts.sne_indicateurs
        WHERE nb_attributions_mutation + nb_attributions_premier_acces <> nb_attributions
           OR abs(somme_delai_attribution_mois_mutation + somme_delai_attribution_mois_premier_acces
                  - somme_delai_attribution_mois) > 1e-6
           OR nb_attributions_prioritaires_quartiles_1_2 > least(nb_attributions_prioritaires,
                                                                 nb_attributions_quartiles_1_2)
           OR nb_attributions_personnes_isolees > nb_attributions""")
    assert bad == 0
    bad = one(con, """SELECT count(*) FROM marts.ccapex_indicateurs
                      WHERE nb_commandements_payer_parc_prive > nb_commandements_payer
                         OR nb_assignations_hors_impayes > nb_assignations""")
    assert bad == 0
    bad = one(con, "SELECT count(*) FROM marts.fsl_indicateurs WHERE nb_accords_principe_acces > nb_dossiers_acces")
    assert bad == 0
    # the demo gives each of them something to count in the département
    counted = con.execute("""
        SELECT min(s.nb_attributions_personnes_isolees), min(s.nb_attributions_prioritaires_quartiles_1_2),
               min(c.nb_commandements_payer_parc_prive), min(c.nb_assignations_hors_impayes),
               min(f.nb_accords_principe_acces)
        FROM marts.sne_indicateurs s JOIN marts.ccapex_indicateurs c USING (niveau, code_zone, annee)
        JOIN marts.fsl_indicateurs f USING (niveau, code_zone, annee)
        WHERE niveau = 'departement' AND annee BETWEEN 2019 AND 2021""").fetchone()
    assert all(v > 0 for v in counted), counted



def test_a_figure_published_as_text_lists_the_most_frequent_values(con):
    row = figure(con, 2488, "dalo_main_motives", "ARR")
    assert row["calculable"] and row["periode_calculee"] == "2018-2020" and pd.isna(row["valeur_calculee"])
    top = con.execute("""
        SELECT m.libelle_motif FROM marts.dalo_recours_detail d
        JOIN referentiel.dalo_motifs m ON m.code_motif = d.code
        WHERE d.niveau = 'territoire' AND d.code_zone = 'ARR' AND d.dimension = 'motif'
          AND d.annee BETWEEN 2018 AND 2020
        GROUP BY d.code, m.libelle_motif HAVING sum(d.nb_recours) > 0
        ORDER BY sum(d.nb_recours) DESC, lower(d.code) LIMIT 2""").fetchall()
    assert len(top) == 2 and row["valeur_calculee_texte"] == "; ".join(t for (t,) in top)
    typologies = figure(con, 3101, "dalo_typologies_demandees", "CAL")["valeur_calculee_texte"]
    assert typologies and all(t.strip().startswith("T") for t in typologies.split(";")), typologies


def test_the_expulsion_motives_other_than_debt_are_ranked_from_the_assignations(con):
    row = figure(con, 3164, "expulsion_motifs_hors_dette", "CAL")
    counts = con.execute("""
        SELECT nb_assignations_hors_impayes_troubles, nb_assignations_hors_impayes_conge_vente_reprise,
               nb_assignations_hors_impayes_occupation_sans_titre, nb_assignations_hors_impayes
        FROM marts.ccapex_indicateurs WHERE niveau = 'territoire' AND code_zone = 'CAL' AND annee = 2021""").fetchone()
    assert sum(counts[:3]) == counts[3] > 0  # the three motives partition the assignations for other motives
    motives = [("troubles", "Troubles de voisinage"), ("conge_vente_reprise", "Congé pour vente ou reprise"),
               ("occupation_sans_titre", "Occupation sans droit ni titre")]
    ranked = sorted(((n, code, label) for n, (code, label) in zip(counts[:3], motives, strict=True) if n > 0),
                    key=lambda m: (-m[0], m[1]))  # ties: the column name's order
    assert row["valeur_calculee_texte"] == "; ".join(label for *_, label in ranked[:2])


def _ranked(values: pd.Series, ascending: bool) -> pd.Series:
    """Competition ranks (1, 2, 2, 4), recomputed with pandas: the model ranks with SQL's rank()."""
    return values.dropna().rank(method="min", ascending=ascending)


@pytest.mark.parametrize("ligne, code, zone, ascending", [
    (2765, "sne_tension_rank", "AUD", False),  # « 1 = la plus forte tension »
    (3195, "social_housing_rank", "LEN", False),  # « le plus pourvu du département »
    (3416, "social_housing_rank_lowest", "MON", True),  # « 2ème après le Ternois » parmi les moins pourvus
])
def test_a_published_rank_is_the_zone_rank_among_the_territories(con, ligne, code, zone, ascending):
    row = figure(con, ligne, code, zone)
    year = int(row["periode_calculee"])
    if code == "sne_tension_rank":
        ratios = con.execute("""SELECT code_zone, nb_demandes_en_cours / nullif(nb_attributions, 0) AS r
                                FROM marts.sne_indicateurs WHERE niveau = 'territoire' AND annee = ?""",
                             [year]).df()
    else:  # RPLS stock over the census résidences principales of the same year
        ratios = con.execute("""
            SELECT s.code_zone, s.nb_logements_sociaux / c.nb_residences_principales AS r
            FROM marts.logement_social_indicateurs s JOIN marts.contexte_indicateurs c USING (niveau, code_zone, annee)
            WHERE s.niveau = 'territoire' AND s.annee = ?""", [year]).df()
    ranks = _ranked(ratios.set_index("code_zone")["r"], ascending)
    assert len(ranks) == 8
    assert row["valeur_calculee"] == ranks[zone]


def test_the_equipment_rate_of_an_arrondissement_ranks_the_seven_arrondissements(con):
    # places of FINESS per 10 000 inhabitants, each arrondissement the sum of its communes' EPCI
    per_arrondissement = con.execute("""
        WITH epci AS (SELECT DISTINCT code_epci, code_arrondissement FROM intermediate.int_geo__communes),
        population AS (SELECT code_arrondissement, sum(population) AS population
                       FROM intermediate.int_geo__communes GROUP BY 1)
        SELECT e.code_arrondissement, 10000.0 * sum(h.hebergement_places) / any_value(p.population) AS taux
        FROM marts.hebergement_indicateurs h JOIN epci e ON h.code_zone = e.code_epci
        JOIN population p USING (code_arrondissement)
        WHERE h.niveau = 'epci' AND h.annee = 2020 GROUP BY 1""").df().set_index("code_arrondissement")["taux"]
    assert len(per_arrondissement) == 7
    ranks = _ranked(per_arrondissement, ascending=False)
    for ligne, zone, texte, arrondissement in [(2508, "ARR", "3", "621"), (2687, "ART", "6", "622"),
                                               (2829, "AUD", "last", "625"), (3304, "LEN", "3rd_lowest", "627")]:
        rate = figure(con, ligne, "hebergement_equipment_rate_per_10000", zone)
        assert (rate["niveau_calcul"], rate["code_zone_calcul"]) == ("arrondissement", arrondissement)
        assert rate["valeur_calculee"] == pytest.approx(per_arrondissement[arrondissement])
        assert figure(con, ligne, "hebergement_equipment_rank", zone, texte)["valeur_calculee"] == \
            ranks[arrondissement]
        # FINESS has no emergency shelters: the row says what the computed value leaves out
        assert "urgence" in rate["difference_definition"]


def test_the_departments_divisions_are_counted_from_the_cog(con):
    assert figure(con, 287, "nb_arrondissements", "62")["valeur_calculee"] == one(
        con, "SELECT count(DISTINCT code_arrondissement) FROM intermediate.int_geo__communes") == 7
    assert figure(con, 287, "nb_territoires", "62")["valeur_calculee"] == one(
        con, "SELECT count(DISTINCT code_territoire) FROM intermediate.int_geo__communes") == 8


def test_a_figure_of_the_five_sources_without_value_needs_a_reason(monkeypatch):
    from observatoire.generators import diagnostic_coverage

    assert "Chiffres des cinq sources sans valeur calculée, et pourquoi" in diagnostic_coverage.render()
    reasons = dict(diagnostic_coverage.WITHOUT_VALUE)
    reasons.pop("pppi_saturnisme_pct")
    monkeypatch.setattr(diagnostic_coverage, "WITHOUT_VALUE", reasons)
    with pytest.raises(ValueError, match="pppi_saturnisme_pct"):
        diagnostic_coverage.render()
