"""Insee Filosofi: at least one person per fiscal household, poverty rates within 0-100 %."""

import great_expectations.expectations as gxe

from observatoire.extracts import INSEE_FILOSOFI

from .commun import ERROR
from .contexte_commun import open_data_suite

SUITE = open_data_suite(INSEE_FILOSOFI, [
    ("nb_personnes_menages_fiscaux", "nb_menages_fiscaux",
     "Au moins une personne par ménage fiscal (personnes ≥ ménages)"),
], (gxe.ExpectColumnValuesToBeBetween(column="taux_pauvrete", min_value=0, max_value=100, severity=ERROR,
                                      description="Taux de pauvreté entre 0 et 100 %"),))
