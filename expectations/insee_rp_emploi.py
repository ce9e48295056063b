"""Insee census, labour force: the unemployed are among the active population."""

from observatoire.extracts import INSEE_RP_EMPLOI

from .contexte_commun import open_data_suite

SUITE = open_data_suite(INSEE_RP_EMPLOI, [
    ("nb_actifs_15_64", "nb_chomeurs_15_64", "Chômeurs de 15 à 64 ans au plus égaux aux actifs"),
])
