"""SNE demands suite: the rows of the demands files being validated, beyond the specification's column rules."""

import great_expectations.expectations as gxe

from observatoire.extracts import SNE_DEMANDES, code_list

from .commun import ERROR, WARN, after, col, household_size, rows_sql, source_suite

# "T2/T3": codes of sne_typologies separated by "/" (staging trims and upper-cases each one).
_TYPOLOGY = "(?:" + "|".join(code_list("sne_typologies")) + ")"
TYPOLOGIES_REGEX = rf"(?i)^\s*{_TYPOLOGY}\s*(?:/\s*{_TYPOLOGY}\s*)*$"

# A demand is re-delivered when radiated (docs/sources/sne.md): no "delivered once" rule.
ROWS_SQL = rows_sql(SNE_DEMANDES)

SUITE = source_suite(SNE_DEMANDES, ROWS_SQL, [
    gxe.ExpectColumnValuesToMatchRegex(
        column="typologies_souhaitees", regex=TYPOLOGIES_REGEX, severity=ERROR,
        description="« Typologies souhaitées » : codes de la liste sne_typologies séparés par « / » (ex. T2/T3)"),
    after("date_renouvellement", "date_depot", "Renouvellement le jour du dépôt initial ou après"),
    after("date_radiation", "date_depot", "Radiation le jour du dépôt initial ou après"),
    gxe.ExpectColumnValuesToNotBeNull(
        column="date_radiation", row_condition=col("statut") == "RADIEE", severity=ERROR,
        description="Demande radiée : « Date de radiation » renseignée (elle sort du stock à cette date)"),
    gxe.ExpectColumnValuesToNotBeNull(
        column="motif_radiation", row_condition=col("statut") == "RADIEE", severity=WARN,
        description="Demande radiée : « Motif de radiation » renseigné"),
    gxe.ExpectColumnValuesToBeNull(
        column="date_radiation", row_condition=col("statut") == "ACTIVE", severity=WARN,
        description="Demande active : pas de « Date de radiation »"),
    household_size("taille_menage"),
])
