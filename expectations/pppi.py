"""PPPI suite: the rows of the Filocom files being validated, beyond the specification's column rules."""

import great_expectations.expectations as gxe

from observatoire.extracts import PPPI

from .commun import ERROR, WARN, after, rows_sql, source_suite, typed

COUNTS = ["nb_rp_privees", "nb_pppi", "nb_pppi_cat6", "nb_pppi_cat78", "nb_pppi_po", "nb_pppi_lp",
          "nb_pppi_avant_1949"]

# A millésime is delivered once per commune; sums of the parts are computed in DuckDB.
ROWS_SQL = rows_sql(
    PPPI,
    "year(r._date_extraction) AS annee_extraction",
    # BIGINT: two INTEGER counts at the edge of their range overflow an INTEGER sum.
    f"{typed('nb_pppi_cat6', 'entier')}::BIGINT + {typed('nb_pppi_cat78', 'entier')}::BIGINT AS somme_categories",
    f"{typed('nb_pppi_po', 'entier')}::BIGINT + {typed('nb_pppi_lp', 'entier')}::BIGINT AS somme_occupation",
    already_delivered=True,
)

SUITE = source_suite(PPPI, ROWS_SQL, [
    *(gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, severity=ERROR,
                                        description=f"« {PPPI.column(c).header} » positif ou nul") for c in COUNTS),
    after("annee_extraction", "millesime", "Millésime antérieur ou égal à l'année d'extraction"),
    after("nb_rp_privees", "nb_pppi", "PPPI au plus égal aux résidences principales privées (taux ≤ 100 %)"),
    gxe.ExpectColumnPairValuesToBeEqual(
        column_A="nb_pppi", column_B="somme_categories", ignore_row_if="either_value_is_missing", severity=WARN,
        description="PPPI total = catégorie 6 + catégories 7 et 8"),
    after("nb_pppi", "somme_occupation", "Propriétaires occupants + locataires au plus égal au PPPI total", WARN),
    after("nb_pppi", "nb_pppi_avant_1949", "PPPI construit avant 1949 au plus égal au PPPI total", WARN),
    gxe.ExpectColumnValuesToBeNull(
        column="deja_livre_le", severity=WARN,
        description="Millésime livré pour la première fois pour la commune (une relivraison remplace l'ancienne "
                    "ligne dans staging : correction à confirmer avec le producteur)"),
])
