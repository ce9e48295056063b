"""RPLS (SDES): the parts of the social stock within it."""

from observatoire.extracts import RPLS

from .contexte_commun import open_data_suite

SUITE = open_data_suite(RPLS, [
    ("nb_logements_sociaux", "nb_ls_individuels", "Logements individuels au plus égaux au parc social"),
    ("nb_logements_sociaux", "nb_ls_collectifs", "Logements collectifs au plus égaux au parc social"),
    ("nb_logements_sociaux", "nb_ls_vacants", "Logements vacants au plus égaux au parc social"),
])
