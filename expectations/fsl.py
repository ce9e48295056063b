"""FSL suite: the rows of the FSL files being validated, beyond the specification's column rules."""

import great_expectations.expectations as gxe

from observatoire.extracts import FSL

from .commun import ERROR, WARN, after, col, delivered_once, household_size, rows_sql, source_suite

MAINTIEN_MAX_EUROS = 3000  # règlement intérieur du FSL : aide au maintien de 3 000 € au plus par ménage

# Each dossier is delivered once (docs/sources/fsl.md): deja_livre_le flags a key seen in an earlier extract.
ROWS_SQL = rows_sql(FSL, already_delivered=True)

SUITE = source_suite(FSL, ROWS_SQL, [
    after("date_decision", "date_depot", "Décision prise le jour du dépôt ou après (« Date de décision » ≥ "
                                         "« Date de dépôt »)"),
    gxe.ExpectColumnValuesToBeBetween(
        column="montant_accorde", min_value=0, severity=ERROR, description="« Montant accordé » positif ou nul"),
    gxe.ExpectColumnValuesToBeBetween(
        column="montant_accorde", max_value=MAINTIEN_MAX_EUROS, row_condition=col("volet") == "MAINTIEN",
        severity=ERROR, description="Aide au maintien de 3 000 € au plus (règlement intérieur du FSL)"),
    gxe.ExpectColumnValuesToBeNull(
        column="montant_accorde", row_condition=col("decision") != "ACCORD", severity=WARN,
        description="« Montant accordé » renseigné seulement pour une décision d'accord"),
    gxe.ExpectColumnValuesToNotBeNull(
        column="date_decision", row_condition=col("decision").is_not_null(), severity=WARN,
        description="« Date de décision » renseignée quand une décision est prise"),
    household_size("nb_personnes"),
    delivered_once(FSL),
])
