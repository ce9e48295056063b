"""DALO suite: the rows of the COMDALO files being validated, beyond the specification's column rules."""

import great_expectations.expectations as gxe

from observatoire.extracts import DALO

from .commun import WARN, after, col, household_size, rows_sql, seed_rows, source_suite

FAVOURABLE = [r["code_decision"] for r in seed_rows("dalo_decisions") if r["est_favorable"] == "true"]

# A recours is re-delivered with its new state at each change (docs/sources/dalo.md): no "delivered once" rule.
ROWS_SQL = rows_sql(DALO)

SUITE = source_suite(DALO, ROWS_SQL, [
    after("date_decision", "date_depot", "Décision de la commission le jour du dépôt du recours ou après"),
    after("date_relogement", "date_depot", "Relogement ou accueil le jour du dépôt du recours ou après"),
    after("date_relogement", "date_decision", "Relogement ou accueil le jour de la décision ou après (un "
                                              "relogement avant la décision est à vérifier)", WARN),
    gxe.ExpectColumnValuesToNotBeNull(
        column="date_decision", row_condition=col("decision").is_not_null(), severity=WARN,
        description="« Date de décision » renseignée quand la commission a statué"),
    gxe.ExpectColumnValuesToBeNull(
        column="suite", row_condition=col("decision").is_not_in(FAVOURABLE), severity=WARN,
        description="« Suite donnée » renseignée seulement après une décision favorable (PU, PDA, réorientation)"),
    household_size("taille_menage"),
])
