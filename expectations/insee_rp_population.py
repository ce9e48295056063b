"""Insee census, population: age bands within the population."""

from observatoire.extracts import INSEE_RP_POPULATION

from .contexte_commun import open_data_suite

SUITE = open_data_suite(INSEE_RP_POPULATION, [
    ("population", "population_0_19", "Population de 0 à 19 ans au plus égale à la population"),
    ("population", "population_65_plus", "Population de 65 ans ou plus au plus égale à la population"),
    ("population_65_plus", "population_75_plus", "75 ans ou plus au plus égal aux 65 ans ou plus"),
])
