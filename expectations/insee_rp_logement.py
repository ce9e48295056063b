"""Insee census, housing: résidences principales, secondaires and vacant dwellings within the dwellings."""

from observatoire.extracts import INSEE_RP_LOGEMENT

from .contexte_commun import open_data_suite

SUITE = open_data_suite(INSEE_RP_LOGEMENT, [
    ("nb_logements", "nb_residences_principales", "Résidences principales au plus égales aux logements"),
    ("nb_logements", "nb_logements_vacants", "Logements vacants au plus égaux aux logements"),
    ("nb_residences_principales", "nb_rp_proprietaires", "Propriétaires au plus égaux aux résidences principales"),
    ("nb_rp_locataires", "nb_rp_locataires_hlm", "Locataires HLM au plus égaux aux locataires"),
])
