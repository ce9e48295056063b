"""FINESS establishments: numbers of the Pas-de-Calais (62 + 7 digits), located in the Pas-de-Calais, with a
3-digit commune code and a category code."""

import great_expectations.expectations as gxe

from observatoire.extracts import FINESS_ETABLISSEMENTS

from .commun import ERROR, WARN
from .contexte_commun import open_data_suite

SUITE = open_data_suite(FINESS_ETABLISSEMENTS, [], (
    gxe.ExpectColumnValuesToBeInSet(
        column="departement", value_set=["62"], severity=ERROR,
        description="Établissement situé dans le Pas-de-Calais (code département 62, comme son numéro FINESS)"),
    gxe.ExpectColumnValuesToMatchRegex(
        column="categetab", regex=r"^[0-9]{3}$", severity=WARN,
        description="Catégorie d'établissement codée sur 3 chiffres (nomenclature ANS TRE_R66)"),
))
