"""Follow-up workbooks suite (fiche 6-3): the rows of the returned workbooks being validated. Values are checked
against their nature (the ingestion already quarantined those that break it: this is the second line), and a
value that breaks sharply from the previous period of the same indicator and zone is a warning, never a block."""

import great_expectations.expectations as gxe

from observatoire.extracts import SUIVI_PLAN

from .commun import ERROR, WARN, col, rows_sql, source_suite

BREAK_RATIO = 3  # a count or amount more than three times, or less than a third of, its previous value
NUMBER = "formats.decimal_fr(r.valeur)::DOUBLE"

ROWS_SQL = rows_sql(
    SUIVI_PLAN,
    f"CASE WHEN r.nature IN ('nombre', 'part', 'montant', 'delai') THEN {NUMBER} END AS valeur_nombre",
    f"CASE WHEN r.nature = 'nombre' THEN {NUMBER} = trunc({NUMBER}) END AS valeur_entiere",
    "CASE WHEN r.nature = 'jalon' THEN formats.date_fr(r.valeur) END AS valeur_date",
    # The latest value loaded for an earlier period of the same indicator and zone (any workbook).
    """(SELECT arg_max(formats.decimal_fr(o.valeur)::DOUBLE, o.periode) FROM raw.suivi_plan AS o
        WHERE o.code_indicateur = r.code_indicateur AND o.code_zone = r.code_zone AND o.periode < r.periode
          AND o.nature IN ('nombre', 'montant') AND o.valeur IS NOT NULL) AS valeur_precedente""",
)
ROWS_SQL = f"""SELECT *,
    coalesce(nature IN ('nombre', 'part', 'montant', 'delai') AND valeur IS NOT NULL AND valeur_nombre IS NULL,
             false) AS nombre_illisible,
    coalesce(nature = 'jalon' AND valeur IS NOT NULL AND valeur_date IS NULL, false) AS date_illisible,
    valeur_precedente > 0 AND (valeur_nombre > {BREAK_RATIO} * valeur_precedente
                               OR valeur_nombre < valeur_precedente / {BREAK_RATIO}) AS rupture
FROM ({ROWS_SQL})"""

SUITE = source_suite(SUIVI_PLAN, ROWS_SQL, volumes=False, rules=[
    gxe.ExpectColumnValuesToBeInSet(
        column="nombre_illisible", value_set=[False], severity=ERROR,
        description="« Valeur » d'un nombre, d'une part, d'un montant ou d'un délai : un nombre"),
    gxe.ExpectColumnValuesToBeBetween(
        column="valeur_nombre", min_value=0, severity=ERROR,
        description="« Valeur » d'un nombre, d'une part, d'un montant ou d'un délai positive ou nulle"),
    gxe.ExpectColumnValuesToBeBetween(
        column="valeur_nombre", max_value=100, row_condition=col("nature") == "part", severity=ERROR,
        description="« Valeur » d'une part : de 0 à 100 %"),
    gxe.ExpectColumnValuesToBeInSet(
        column="valeur_entiere", value_set=[True], row_condition=col("nature") == "nombre", severity=ERROR,
        description="« Valeur » d'un nombre : entière"),
    gxe.ExpectColumnValuesToBeInSet(
        column="date_illisible", value_set=[False], severity=ERROR,
        description="« Valeur » d'un jalon : une date JJ/MM/AAAA"),
    gxe.ExpectColumnValuesToBeInSet(
        column="valeur", value_set=["1", "2", "3", "4", "5"], row_condition=col("nature") == "qualitatif",
        severity=ERROR, description="« Valeur » d'un indicateur qualitatif : une note de 1 à 5"),
    gxe.ExpectColumnValuesToBeInSet(
        column="rupture", value_set=[False], severity=WARN,
        description=f"Valeur d'un nombre ou d'un montant sans rupture forte avec la période précédente (plus de "
                    f"{BREAK_RATIO} fois, ou moins d'un tiers, de la valeur précédente : à confirmer avec le pilote)"),
])
