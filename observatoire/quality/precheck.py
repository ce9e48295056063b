"""The DuckDB pre-check of a data-row frame (observatoire/quality/suites.py runs it before GX): each expectation
translated into its domain and a condition true on every row where it could fail, so that GX validates only the
suspect rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass
class Precheck:
    """A data-row frame checked first in DuckDB: GX then validates only the suspect rows."""

    suspects: str  # SQL: the rows that may break at least one expectation
    counts: str  # SQL, one row: the frame's row count, then the rows of each expectation's domain


def precheck(frame_sql: str, expectations: Sequence[Any]) -> Precheck | None:
    """The pre-check of a data-row frame, or None when an expectation has no translation here.

    Each expectation becomes its domain (GX's row condition, with pandas' handling of missing values) and a
    DuckDB condition true on every row of the domain GX could count as unexpected (a superset: whenever a NULL
    makes the outcome unclear, the row is kept). GX, validating only these rows, finds exactly the unexpected
    rows it would find on all of them, at a cost that follows the anomalies instead of the volume."""
    translated = [_may_fail(e) for e in expectations]
    if any(t is None for t in translated):
        return None
    where = " OR ".join(f"({domain} AND {fails})" for domain, fails in translated) or "false"
    counts = ", ".join(["count(*)", *(f"count(*) FILTER (WHERE {domain})" for domain, _ in translated)])
    return Precheck(suspects=f"SELECT * FROM ({frame_sql}\n) AS lignes WHERE {where}",
                    counts=f"SELECT {counts} FROM ({frame_sql}\n) AS lignes")


def _sql_literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    raise TypeError(value)


def _sql_column(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _row_condition_sql(condition: Any) -> str | None:
    """GX's row condition (Column objects) in DuckDB, missing values handled as pandas does (a missing value
    differs from everything and equals nothing)."""
    kind = getattr(condition, "type", None)
    column = getattr(getattr(condition, "column", None), "name", None)
    if column is None:
        return None
    ref = _sql_column(column)
    if kind == "nullity":
        return f"{ref} IS {'' if condition.is_null else 'NOT '}NULL"
    if kind != "comparison":
        return None
    op, parameter = condition.operator, condition.parameter
    try:
        if op in ("IN", "NOT_IN"):
            values = ", ".join(_sql_literal(v) for v in parameter) or "NULL"
            text = f"{ref} {'NOT ' if op == 'NOT_IN' else ''}IN ({values})"
        elif op in ("==", "!=", "<", "<=", ">", ">="):
            text = f"{ref} {'=' if op == '==' else '<>' if op == '!=' else op} {_sql_literal(parameter)}"
        else:
            return None
    except TypeError:
        return None
    return f"coalesce({text}, {'true' if op in ('!=', 'NOT_IN') else 'false'})"


def _may_fail(e: Any) -> tuple[str, str] | None:
    """The domain of expectation ``e`` and a condition true on every row of it where ``e`` could fail, in
    DuckDB; None if not translated."""
    kw = dict(e.configuration.kwargs)
    domain = "true"
    if getattr(e, "row_condition", None) is not None:
        domain = _row_condition_sql(e.row_condition)
        if domain is None:
            return None
    try:
        column = _sql_column(kw["column"]) if kw.get("column") else None
        kind = e.expectation_type
        if kind == "expect_column_values_to_not_be_null":
            fails = f"{column} IS NULL"
        elif kind == "expect_column_values_to_be_null":
            fails = f"{column} IS NOT NULL"
        elif kind == "expect_column_values_to_match_regex":  # GX: re.search; NULLs are skipped
            regex = _sql_literal(kw["regex"])
            fails = f"{column} IS NOT NULL AND NOT coalesce(regexp_matches({column}, {regex}), false)"
        elif kind == "expect_column_values_to_be_in_set":
            values = ", ".join(_sql_literal(v) for v in kw["value_set"]) or "NULL"
            fails = f"{column} IS NOT NULL AND coalesce({column} NOT IN ({values}), true)"
        elif kind == "expect_column_values_to_be_between":
            bounds = []
            if kw.get("min_value") is not None:
                bounds.append(f"{column} {'<=' if kw.get('strict_min') else '<'} {_sql_literal(kw['min_value'])}")
            if kw.get("max_value") is not None:
                bounds.append(f"{column} {'>=' if kw.get('strict_max') else '>'} {_sql_literal(kw['max_value'])}")
            fails = f"{column} IS NOT NULL AND coalesce({' OR '.join(bounds) or 'false'}, true)"
        elif kind in ("expect_column_pair_values_a_to_be_greater_than_b", "expect_column_pair_values_to_be_equal"):
            a, b = _sql_column(kw["column_A"]), _sql_column(kw["column_B"])
            if kind.endswith("equal"):
                compare = f"{a} IS DISTINCT FROM {b}"
            else:
                compare = f"coalesce(NOT ({a} {'>=' if kw.get('or_equal') else '>'} {b}), true)"
            ignore = kw.get("ignore_row_if") or "both_values_are_missing"
            skipped = {"either_value_is_missing": f"({a} IS NULL OR {b} IS NULL)",
                       "both_values_are_missing": f"({a} IS NULL AND {b} IS NULL)", "neither": "false"}.get(ignore)
            if skipped is None:
                return None
            fails = f"NOT {skipped} AND {compare}"
        else:
            return None
    except (KeyError, TypeError):
        return None
    return domain, fails
