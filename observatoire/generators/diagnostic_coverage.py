"""The annex-to-column coverage block of docs/analystes.md: how many annexe 4 and section II figures have a
computed counterpart (seed correspondance_indicateurs), by domain, and which indicators still have none.

    python -m observatoire.generators.diagnostic_coverage [--check]

A figure's domain comes from its indicator code's prefix (sne_, dalo_, fsl_, ccapex_, pppi_, and the geography
counts of the COG); the rest (census, Filosofi, RPLS, FINESS, CAF, local programmes) are other sources. Lost
tables and charts (unit missing_image) are counted apart: the text has no figure there.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import Counter
from pathlib import Path

from observatoire.generators import command
from observatoire.settings import PROJECT_DIR, SEEDS_DIR

PAGE = PROJECT_DIR / "docs" / "analystes.md"
BLOCK = re.compile(r"(<!-- couverture:debut -->\n).*?(<!-- couverture:fin -->)", re.S)
DOMAINS = [  # (label, code prefixes or codes)
    ("SNE", ("sne_", "attributions_")),
    ("DALO", ("dalo_",)),
    ("FSL", ("fsl_",)),
    ("CCAPEX", ("ccapex_", "expulsion_")),
    ("PPPI", ("pppi_",)),
    ("Géographie (COG)", ("nb_communes", "nb_epci", "nb_arrondissements", "nb_territoires", "population",
                          "population_share_of_dept_pct", "density_hab_km2")),
    # Open data (docs/sources/insee.md): the figures of the census and Filosofi the annex quotes.
    ("Insee (recensement, Filosofi)", (
        "population_change", "menages_evolution", "pop_60_74_pct", "pop_75_plus_pct", "pop_under_20_pct",
        "youth_index", "aging_index", "residences_principales", "owner_occupier_pct", "owner_occupier_gap_pts",
        "vacancy_pct", "vacancy_pct_commune", "vacancy_pct_commune_arras", "secondary_residences_pct",
        "secondary_residences_count", "secondary_residences_pct_epci", "secondary_residences_share_of_region_pct",
        "logements_total", "rp_individuel_share", "unemployment_rate_pct", "poverty_rate_pct",
        "median_income_eur")),
    ("RPLS (parc social)", (
        "social_housing_units", "social_housing_share_of_dept_stock_pct", "social_housing_pct",
        "social_housing_individual_share_pct", "social_stock_t1_pct", "social_stock_t2_pct", "social_stock_t3_t4_pct",
        "social_stock_t5_plus_pct", "social_housing_rank", "social_housing_rank_lowest", "rpls_note2_logements",
        "rpls_note2_total", "rpls_note1_individuels_national", "rpls_note1_total_national")),
    # Open data (docs/sources/finess.md): the capacities FINESS gives. It has no CHU, HUDA nor ALT: the annex
    # totals that count them are compared with what FINESS gives, the row naming the difference.
    ("FINESS (hébergement et logement adapté)", (
        "chrs_places", "chrs_centres", "lhss_places", "logement_adapte_pf_ra_places", "pf_ra_structures",
        "fjt_places", "fjt_logements", "hebergement_places_total", "hebergement_equipment_rate_per_10000",
        "hebergement_equipment_rank", "logement_adapte_places_total", "logement_adapte_alt_fjt_rs_places")),
    # Open data (docs/sources/caf.md): the RSA households of the CAF over the census households.
    ("CAF (allocataires du RSA)", ("rsa_rate_pct",)),
]
# Why a figure of the five sources has no computed value: what the extracts do not hold. `--check` refuses a
# figure of these domains with neither a computed value nor a reason here.
WITHOUT_VALUE = {
    "sne_attributions_isoles_2_charges_pct": "l'extraction SNE donne la taille du ménage, pas le nombre "
                                             "d'adultes : un isolé avec deux enfants et un couple avec un enfant "
                                             "ne s'y distinguent pas",
    "sne_tension_t1_t2_qualitative": "appréciation sans chiffre (« très forte », « forte ») ; les tensions par "
                                     "typologie sont calculées (`sne_tension_t1`…)",
    "dalo_usage": "appréciation sans chiffre (« peu utilisé ») ; les recours sont comptés (`dalo_recours_count`)",
    "fsl_asll_nouvelles_prises_en_charge": "l'extraction FSL ne distingue pas une première mesure ASLL d'un "
                                           "renouvellement",
    "fsl_coordinateur_gdv_eur": "ligne du budget du FSL (un poste), pas une aide aux ménages de l'extraction",
    "fsl_maintien_montant_max_eur": "plafond du règlement intérieur du FSL, pas une statistique ; le montant "
                                    "le plus élevé accordé serait une donnée individuelle",
    "ccapex_seuil_impaye_mois": "seuil de l'arrêté préfectoral du 16 mars 2016, pas une statistique",
    "ccapex_seuil_dette_x_loyer": "seuil de l'arrêté préfectoral du 16 mars 2016, pas une statistique",
    "ccapex_territoriale_statut": "état de l'instance (« arrêtée depuis 2019 »), pas une statistique",
    "pppi_private_rental_share_commune_calais": "le fichier PPPI ne donne pas le nombre de logements locatifs "
                                                "privés, dénominateur de cette part",
    "pppi_saturnisme_pct": "le fichier PPPI ne donne pas le risque de saturnisme",
}
FIVE_SOURCES = 6  # the first DOMAINS: the five sources and the COG
OTHER = "Autres sources (contexte, offre, hébergement, dispositifs locaux)"


def domain(code: str) -> str:
    for label, prefixes in DOMAINS:
        if code in prefixes or code.startswith(tuple(p for p in prefixes if p.endswith("_"))):
            return label
    return OTHER


def _rows(name: str) -> list[dict[str, str]]:
    with open(SEEDS_DIR / "diagnostic" / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def render() -> str:
    mapped = {r["code_indicateur"] for r in _rows("correspondance_indicateurs")}
    figures, lost, computed, missing = Counter(), Counter(), Counter(), {}
    for r in _rows("diagnostic_2022"):
        d = domain(r["code_indicateur"])
        if r["unite"] == "missing_image":
            lost[d] += 1
            continue
        figures[d] += 1
        if r["code_indicateur"] in mapped:
            computed[d] += 1
        else:
            missing.setdefault(d, Counter())[r["code_indicateur"]] += 1
    labels = [label for label, _ in DOMAINS] + [OTHER]
    five = labels[:FIVE_SOURCES]
    lines = ["| Domaine | Chiffres publiés | Avec une valeur calculée | Tableaux ou graphiques perdus |",
             "|---|---:|---:|---:|"]
    for label in labels:
        lines.append(f"| {label} | {figures[label]} | {computed[label]} | {lost[label]} |")
    lines.append(f"| **Cinq sources et COG** | **{sum(figures[d] for d in five)}** | "
                 f"**{sum(computed[d] for d in five)}** | {sum(lost[d] for d in five)} |")
    lines.append(f"| **Total** | **{sum(figures.values())}** | **{sum(computed.values())}** | "
                 f"{sum(lost.values())} |")
    lines += ["", "Indicateurs sans valeur calculée, par domaine chargé (nombre de chiffres) :", ""]
    for label in labels[:-1]:
        if missing.get(label):
            codes = ", ".join(f"`{c}` ({n})" for c, n in sorted(missing[label].items()) if c not in WITHOUT_VALUE)
            if codes:
                lines.append(f"- {label} : {codes}")
    unexplained = sorted(c for d in five for c in missing.get(d, ()) if c not in WITHOUT_VALUE)
    if unexplained:
        raise ValueError("Chiffres des cinq sources sans valeur calculée ni raison (WITHOUT_VALUE de "
                         f"observatoire/generators/diagnostic_coverage.py) : {', '.join(unexplained)}")
    lines += ["", "Chiffres des cinq sources sans valeur calculée, et pourquoi :", ""]
    lines += [f"- `{c}` ({sum(missing.get(d, Counter())[c] for d in five)}) : {why}"
              for c, why in WITHOUT_VALUE.items()]
    return "\n".join(lines) + "\n"


def expected() -> dict[Path, str]:
    text = PAGE.read_text(encoding="utf-8")
    if not BLOCK.search(text):
        raise ValueError(f"{PAGE.name} : bloc <!-- couverture:debut --> … <!-- couverture:fin --> manquant")
    return {PAGE: BLOCK.sub(lambda m: m.group(1) + render() + m.group(2), text)}


def main(argv: list[str] | None = None) -> int:
    return command("observatoire.generators.diagnostic_coverage",
                   "seeds/diagnostic (diagnostic_2022, correspondance_indicateurs)", expected, argv)


if __name__ == "__main__":
    sys.exit(main())
