"""CAF foyers allocataires (Cnaf, data.caf.fr): RSA households within all households on a benefit, and no more than
the people their benefit covers (each count rounded to 5 on its own: a WARN)."""

from observatoire.extracts import CAF_ALLOCATAIRES

from .contexte_commun import open_data_suite

SUITE = open_data_suite(CAF_ALLOCATAIRES, [
    ("nb_foyers_allocataires", "nb_foyers_rsa", "Foyers au RSA au plus égaux aux foyers allocataires"),
    ("nb_personnes_couvertes_rsa", "nb_foyers_rsa", "Foyers au RSA au plus égaux aux personnes qu'ils couvrent"),
])
