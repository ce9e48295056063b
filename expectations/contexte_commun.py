"""What the open-data suites share: the millésime read in the publisher's file name, and parts that never exceed
their totals (a WARN: the publisher's weighting rounds each count on its own)."""

import great_expectations.expectations as gxe
from great_expectations.expectations.expectation import Expectation

from observatoire.extracts import Source

from .commun import ERROR, WARN, Suite, after, rows_sql, source_suite


def open_data_suite(source: Source, parts: list[tuple[str, str, str]], rules: tuple[Expectation, ...] = ()) -> Suite:
    """``parts``: (total, part, description) compared on each row; ``rules``: the source's others."""
    return source_suite(source, rows_sql(source), [
        *(after(total, part, description, WARN) for total, part, description in parts),
        gxe.ExpectColumnValuesToNotBeNull(
            column="millesime", severity=ERROR,
            description="Millésime lu dans le nom du fichier tel que le publie le producteur"),
        *rules,
    ], volumes=False)
