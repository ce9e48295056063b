"""SNE attributions suite: the rows of the attributions files being validated, beyond the column rules.

An attribution without a known demand is a WARN, not an ERROR: the two SNE extracts are delivered separately
(the demands file may come later than the attributions file, or the demand predate the demands history), and
the attribution itself is a valid fact counted as such in the marts (its delay uses its own filing date). The
gap is worth reporting; holding back the publication of every source for it is not. A demands extract that
is really missing is caught by the freshness check of sne_demandes.
"""

import great_expectations.expectations as gxe

from observatoire.extracts import SNE_ATTRIBUTIONS

from .commun import ERROR, RUN_FILES, WARN, after, delivered_once, household_size, rows_sql, source_suite

# demande_connue: computed in DuckDB against the whole raw.sne_demandes (every version of every demand),
# through a semi join on the numbers of the attributions being validated.
ROWS_SQL = rows_sql(
    SNE_ATTRIBUTIONS,
    f"""r.numero_unique IN (
        SELECT d.numero_unique FROM raw.sne_demandes AS d
        SEMI JOIN (SELECT numero_unique FROM raw.sne_attributions WHERE _fichier IN {RUN_FILES}) AS a
        USING (numero_unique)) AS demande_connue""",
    already_delivered=True,
)

SUITE = source_suite(SNE_ATTRIBUTIONS, ROWS_SQL, [
    after("date_attribution", "date_depot", "Attribution le jour du dépôt de la demande ou après"),
    gxe.ExpectColumnValuesToBeBetween(
        column="quartile_ressources", min_value=1, max_value=4, severity=ERROR,
        description="« Quartile de ressources » entre 1 et 4"),
    gxe.ExpectColumnValuesToBeInSet(
        column="demande_connue", value_set=[True], severity=WARN,
        description="Attribution rattachée à une demande connue des extractions SNE (même « Numéro unique »)"),
    household_size("taille_menage"),
    delivered_once(SNE_ATTRIBUTIONS),
])
