"""FINESS social equipment: installed capacities positive or nil and plausible for one equipment line, the
deletion flag O or N."""

import great_expectations.expectations as gxe

from observatoire.extracts import FINESS_EQUIPEMENTS

from .commun import ERROR, WARN
from .contexte_commun import open_data_suite

CAPACITY_MAX = 1000  # places on one equipment line: beyond, a typing error is likelier than a real site

SUITE = open_data_suite(FINESS_EQUIPEMENTS, [], (
    gxe.ExpectColumnValuesToBeBetween(
        column="capinstot", min_value=0, severity=ERROR,
        description="Capacité installée (capinstot) positive ou nulle"),
    gxe.ExpectColumnValuesToBeBetween(
        column="capinstot", max_value=CAPACITY_MAX, severity=WARN,
        description=f"Capacité installée plausible pour un équipement (au plus {CAPACITY_MAX} places)"),
    gxe.ExpectColumnValuesToBeInSet(
        column="indsupinst", value_set=["O", "N"], severity=ERROR,
        description="Indicateur de suppression de l'installation O ou N"),
))
