"""Suites of the three portrait marts (département, territoire, EPCI): one row per zone and year, sums that
reconcile across levels, ratios within their bounds and equal to numerator / denominator.

The frames are small aggregates computed in DuckDB: per year (zones present), per indicator (largest
difference between a zone and the sum of its parts), per ratio (minimum, maximum, largest difference with
its recomputed value). Their columns are discovered in DuckDB, so a new indicator of the marts is checked
without editing this file.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass

import great_expectations.expectations as gxe

from observatoire.settings import SEEDS_DIR

from .commun import ERROR, WARN, Frame, Suite

TOLERANCE = 0.01  # euros or units: sums of decimals are compared with this tolerance
# Numeric columns that are not additive across zones: the département total repeated on every row
# (denominator of part_recours_departement), a count of the département's row only (the CAF's households placed
# in no commune, of no territory or EPCI), years, densities, medians and every ratio.
NOT_ADDITIVE = {"nb_recours_departement", "nb_foyers_rsa_non_localises"}
ADDITIVE_PREFIXES = ("nb_", "montant_", "somme_")
ADDITIVE_CONTEXT = ("population", "superficie_km2")
# Hard upper bounds of ratios (ERROR): shares and rates are at most 1; the FSL maintien aid is capped.
SHARE_PREFIXES = ("part_", "taux_")
UPPER_BOUNDS = {"aide_moyenne_maintien": 3000}
# Plausible upper values (WARN), editable: beyond, a ratio is probably computed on too few cases or wrong.
PLAUSIBLE_MAX = {"tension_demandes_attributions": 30, "delai_moyen_attribution_mois": 120,
                 "anciennete_moyenne_mois": 120, "aide_moyenne_acces": 3000}


@dataclass(frozen=True)
class Level:
    table: str
    label: str
    code: str  # zone code column
    expected_zones: str  # SQL: how many zones each year must have (from the geography seeds)
    parent: tuple[str, tuple[str, ...]]  # table holding the totals, and its join columns
    children: tuple[str, tuple[str, ...]]  # table summed, and its grouping columns (same names)
    reconciliation: str  # French: what must be equal


LEVELS = (
    Level("portrait_departement", "Portrait du département", "code_departement", "1",
          ("portrait_departement", ("annee",)), ("portrait_territoire", ("annee",)),
          "valeur du département = somme de ses territoires"),
    Level("portrait_territoire", "Portrait des territoires", "code_territoire",
          "(SELECT count(*) FROM referentiel.territoires)",
          ("portrait_territoire", ("code_territoire", "annee")), ("portrait_epci", ("code_territoire", "annee")),
          "valeur du territoire = somme de ses EPCI"),
    Level("portrait_epci", "Portrait des EPCI", "code_epci", "(SELECT count(*) FROM referentiel.epci)",
          ("portrait_departement", ("annee",)), ("portrait_epci", ("annee",)),
          "valeur du département = somme de ses EPCI"),
)


def _columns(con, table: str) -> dict[str, str]:
    rows = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
                       "AND schema_name = 'marts' AND table_name = ? ORDER BY column_index", [table]).fetchall()
    return dict(rows)


def _numeric(data_type: str) -> bool:
    return data_type.split("(")[0] in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "DOUBLE", "FLOAT",
                                       "DECIMAL", "UBIGINT", "UINTEGER"}


def additive_columns(con, level: Level) -> list[str]:
    parent, children = _columns(con, level.parent[0]), _columns(con, level.children[0])
    return [c for c, t in parent.items() if c in children and _numeric(t) and c not in NOT_ADDITIVE
            and (c.startswith(ADDITIVE_PREFIXES) or c in ADDITIVE_CONTEXT)]


def zones_sql(level: Level):
    def sql(con) -> str:
        return f"""
            SELECT a.annee, count(p.annee) AS nb_lignes, count(DISTINCT p.{level.code}) AS nb_zones,
                   {level.expected_zones} AS nb_zones_attendues
            FROM intermediate.int_calendrier__annees AS a
            LEFT JOIN marts.{level.table} AS p ON p.annee = a.annee
            GROUP BY a.annee"""
    return sql


def reconciliation_sql(level: Level):
    def sql(con) -> str:
        columns = additive_columns(con, level)
        (parent, keys), (children, groups) = level.parent, level.children
        key = ", ".join(keys)
        totals = ", ".join(f"coalesce({c}, 0)::DOUBLE AS {c}" for c in columns)
        sums = ", ".join(f"coalesce(sum({c}), 0)::DOUBLE AS {c}" for c in columns)
        on = ", ".join(columns)
        return f"""
            WITH totaux AS (
                UNPIVOT (SELECT {key}, {totals} FROM marts.{parent})
                ON {on} INTO NAME indicateur VALUE valeur
            ),
            sommes AS (
                UNPIVOT (SELECT {', '.join(groups)}, {sums} FROM marts.{children} GROUP BY ALL)
                ON {on} INTO NAME indicateur VALUE somme_des_parties
            )
            SELECT indicateur, count(*) AS nb_comparaisons,
                   max(abs(valeur - somme_des_parties)) AS ecart_max,
                   arg_max(concat_ws(' ', {key}), abs(valeur - somme_des_parties)) AS zone_annee_ecart_max
            FROM totaux JOIN sommes USING ({key}, indicateur)
            GROUP BY indicateur"""
    return sql


def _ratio_definitions() -> dict[str, tuple[str, str]]:
    with open(SEEDS_DIR / "diffusion" / "ratios.csv", encoding="utf-8", newline="") as f:
        return {r["ratio"]: (r["numerateur"], r["denominateur"]) for r in csv.DictReader(f)}


def ratios_sql(level: Level):
    def sql(con) -> str:
        columns = _columns(con, level.table)
        formulas = {r: nd for r, nd in _ratio_definitions().items()
                    if r in columns and nd[0] in columns and nd[1] in columns}
        ratios = list(formulas) + [c for c in columns if c.startswith(SHARE_PREFIXES) and c not in formulas]
        parts = []
        for r in ratios:
            if r in formulas:
                num, den = formulas[r]
                gap = f"max(abs({r} - {num} / {den})) FILTER (WHERE {den} > 0)"
                stray = f"count(*) FILTER (WHERE coalesce({den}, 0) = 0 AND {r} IS NOT NULL)"
            else:
                gap, stray = "NULL", "0"
            bound = 1 if r.startswith(SHARE_PREFIXES) else UPPER_BOUNDS.get(r)
            parts.append(f"""
                SELECT '{r}' AS ratio, min({r})::DOUBLE AS minimum, max({r})::DOUBLE AS maximum,
                       count({r}) AS nb_valeurs, ({gap})::DOUBLE AS ecart_formule_max,
                       {stray} AS nb_sans_denominateur, {bound if bound is not None else 'NULL'}::DOUBLE AS borne_max,
                       {PLAUSIBLE_MAX.get(r, 'NULL')}::DOUBLE AS maximum_plausible
                FROM marts.{level.table}""")
        return " UNION ALL ".join(parts)
    return sql


def portrait_suite(level: Level) -> Suite:
    return Suite(
        name=level.table,
        label=level.label,
        frames=(
            Frame(
                name="zones",
                description="une ligne par année du calendrier : lignes et zones du portrait",
                sql=zones_sql(level),
                expectations=(
                    gxe.ExpectColumnPairValuesToBeEqual(
                        column_A="nb_lignes", column_B="nb_zones_attendues", severity=ERROR,
                        description="Une ligne par zone et par année (référentiel géographique)"),
                    gxe.ExpectColumnPairValuesToBeEqual(
                        column_A="nb_zones", column_B="nb_zones_attendues", severity=ERROR,
                        description="Toutes les zones présentes chaque année, sans doublon"),
                ),
                index=("annee",),
            ),
            Frame(
                name="reconciliation",
                description="une ligne par indicateur additif : plus grand écart entre une zone et la somme de "
                            "ses parties, toutes années confondues",
                sql=reconciliation_sql(level),
                expectations=(
                    gxe.ExpectColumnValuesToBeBetween(
                        column="ecart_max", max_value=TOLERANCE, severity=ERROR,
                        description=f"Sommes réconciliées entre niveaux : {level.reconciliation} "
                                    f"(tolérance {str(TOLERANCE).replace('.', ',')})"),
                ),
                index=("indicateur", "zone_annee_ecart_max"),
            ),
            Frame(
                name="ratios",
                description="une ligne par ratio : minimum, maximum et plus grand écart avec numérateur / "
                            "dénominateur",
                sql=ratios_sql(level),
                expectations=(
                    gxe.ExpectColumnValuesToBeBetween(
                        column="minimum", min_value=0, severity=ERROR, description="Ratios positifs ou nuls"),
                    gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A="borne_max", column_B="maximum", or_equal=True,
                        ignore_row_if="either_value_is_missing", severity=ERROR,
                        description="Ratios dans leurs bornes : parts et taux au plus 1, aide moyenne au maintien "
                                    "au plus 3 000 €"),
                    gxe.ExpectColumnValuesToBeBetween(
                        column="ecart_formule_max", max_value=1e-6, severity=ERROR,
                        description="Chaque ratio égal à son numérateur divisé par son dénominateur "
                                    "(seeds/diffusion/ratios.csv)"),
                    gxe.ExpectColumnValuesToBeBetween(
                        column="nb_sans_denominateur", max_value=0, severity=ERROR,
                        description="Pas de ratio quand le dénominateur est nul ou absent"),
                    gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                        column_A="maximum_plausible", column_B="maximum", or_equal=True,
                        ignore_row_if="either_value_is_missing", severity=WARN,
                        description="Ratios plausibles : tension au plus 30, délai et ancienneté moyens au plus "
                                    "120 mois, aide moyenne à l'accès au plus 3 000 €"),
                ),
                index=("ratio",),
            ),
        ),
    )


SUITES = {level.table: portrait_suite(level) for level in LEVELS}
