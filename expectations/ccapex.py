"""CCAPEX suite: the rows of the EXPLOC files being validated, beyond the specification's column rules."""

import great_expectations.expectations as gxe

from observatoire.extracts import CCAPEX

from .commun import ERROR, WARN, col, delivered_once, rows_sql, source_suite

DEBT_PLAUSIBLE_MAX = 100_000  # euros: beyond, most likely a typing error (a rent debt, not a price)

# Each event (procedure, step, date) is delivered once, in the quarter of its date.
ROWS_SQL = rows_sql(CCAPEX, already_delivered=True)

SUITE = source_suite(CCAPEX, ROWS_SQL, [
    gxe.ExpectColumnValuesToBeBetween(
        column="montant_dette", min_value=0, severity=ERROR, description="« Montant de la dette » positif ou nul"),
    gxe.ExpectColumnValuesToBeBetween(
        column="montant_dette", max_value=DEBT_PLAUSIBLE_MAX, severity=WARN,
        description="« Montant de la dette » plausible (100 000 € au plus)"),
    gxe.ExpectColumnValuesToNotBeNull(
        column="decision_jugement", row_condition=col("etape") == "JUGEMENT", severity=WARN,
        description="Étape jugement : « Décision du jugement » renseignée"),
    gxe.ExpectColumnValuesToBeNull(
        column="decision_jugement", row_condition=col("etape") != "JUGEMENT", severity=WARN,
        description="« Décision du jugement » renseignée seulement à l'étape jugement"),
    delivered_once(CCAPEX),
])
