"""The one definition of each column kind's format: what a valid value is, how it is typed, and its range.

Each kind is a DuckDB macro of schema ``formats`` taking the text as delivered (trimmed, NULL when empty) and
returning the typed value, or NULL when the text is not a valid value of the kind. The loader installs the
macros into the warehouse (``install``) before reading a file, so that:

- the ingestion quarantines a value whose macro gives NULL (observatoire/ingestion/loader.py);
- the staging models type the raw text with the very same macros (``formats.date_fr(source.date_depot)``);
- the GX suites type the rows they validate with them (expectations/commun.py).

A value the ingestion accepts therefore always casts in staging: it is one function, stored once in the
warehouse, not a rule written again in dbt or GX (no generated copy to keep in sync).

Codes, communes and identifiers are text. A spreadsheet may deliver them as numbers (an Excel numeric cell is
read as ``62041``, ``62041.0`` or ``6.2191e+16``; a French Excel CSV writes ``6,2191E+16``): ``formats.texte``
gives back the exact digit string when the number is a non-negative integer a spreadsheet's double holds
exactly (below 2^53), and NULL otherwise (digits lost, decimals, negative), so that the row is quarantined.
A number written as plain digits cannot be told from text: it is kept as delivered.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA = "formats"
YEAR_MIN, YEAR_MAX = 1900, 2099  # dates of procedures and decisions (year 0 would be a valid DuckDB date)
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1  # DuckDB INTEGER, the type staging gives whole numbers
DECIMAL_TYPE = "DECIMAL(14, 2)"  # the type staging gives amounts: 12 integer digits, 2 decimals
DECIMAL_MAX = 10**12 - 1  # euros; a cent more overflows DECIMAL(14, 2)
# The largest integer a spreadsheet's double gives back unambiguously: 2^53 itself is also what 2^53 + 1 becomes.
EXACT_INTEGER_MAX = 2**53 - 1
SPACES = "[ \u00a0\u202f]"  # thousands separators: space, no-break space, narrow no-break space (French Excel)


def french_number(n: int) -> str:
    return f"{n:,}".replace(",", " ")


@dataclass(frozen=True)
class Format:
    """One column kind's format: its DuckDB macro (over the text ``x``) and what a producer must write."""

    macro: str  # name in schema formats
    body: str  # DuckDB SQL over x: the typed value, NULL when x is not valid
    sql_type: str  # what the macro returns
    invalid: str  # French quarantine reason when the macro gives NULL

    def __call__(self, text_sql: str) -> str:
        """SQL applying the format to a text expression."""
        return f"{SCHEMA}.{self.macro}({text_sql})"


TEXT = Format(
    macro="texte",
    body=(
        "CASE WHEN NOT regexp_full_match(x, '-?[0-9]+([.,][0-9]*)?([eE][+-]?[0-9]+)?') "
        "OR regexp_full_match(x, '[0-9]+') THEN x "  # text, or plain digits: as delivered
        # A number with a decimal point or an exponent: its exact digits, if a double holds them exactly.
        "WHEN length(regexp_replace(regexp_extract(x, '^-?([0-9.,]+)', 1), '[.,]', '', 'g')) <= 17 "
        "AND coalesce(try_cast(regexp_extract(x, '[eE]([+-]?[0-9]+)$', 1) AS INTEGER), 0) BETWEEN -20 AND 20 "
        f"AND try_cast(replace(x, ',', '.') AS DECIMAL(38, 20)) BETWEEN 0 AND {EXACT_INTEGER_MAX} "
        "AND try_cast(replace(x, ',', '.') AS DECIMAL(38, 20)) "
        "= trunc(try_cast(replace(x, ',', '.') AS DECIMAL(38, 20))) "
        "THEN CAST(CAST(try_cast(replace(x, ',', '.') AS DECIMAL(38, 20)) AS HUGEINT) AS VARCHAR) END"),
    sql_type="VARCHAR",
    invalid=f"nombre écrit par le tableur qui ne redonne pas le code exact (chiffres perdus au-delà de "
            f"{french_number(EXACT_INTEGER_MAX)}, décimales ou signe) : saisir la colonne en texte",
)

FORMATS: dict[str, Format] = {
    "date": Format(
        macro="date_fr",
        body=f"CASE WHEN regexp_full_match(x, '[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{4}}') "
             f"AND right(x, 4)::INTEGER BETWEEN {YEAR_MIN} AND {YEAR_MAX} "
             "THEN CAST(try_strptime(x, '%d/%m/%Y') AS DATE) END",
        sql_type="DATE",
        invalid=f"date invalide (attendu JJ/MM/AAAA, année de {YEAR_MIN} à {YEAR_MAX})",
    ),
    "decimal": Format(
        macro="decimal_fr",
        body=f"CASE WHEN regexp_full_match(regexp_replace(x, '{SPACES}', '', 'g'), '-?[0-9]+([,.][0-9]{{1,2}})?') "
             f"THEN try_cast(replace(regexp_replace(x, '{SPACES}', '', 'g'), ',', '.') AS {DECIMAL_TYPE}) END",
        sql_type=DECIMAL_TYPE,
        invalid=f"nombre décimal invalide ou hors bornes (attendu par exemple 1234,56 : deux décimales au plus, "
                f"{french_number(DECIMAL_MAX)},99 au plus en valeur absolue)",
    ),
    "entier": Format(
        macro="entier",
        body="CASE WHEN regexp_full_match(x, '-?[0-9]+') THEN try_cast(x AS INTEGER) END",
        sql_type="INTEGER",
        invalid=f"nombre entier invalide ou hors bornes (attendu un entier de {french_number(INTEGER_MIN)} à "
                f"{french_number(INTEGER_MAX)})",
    ),
    "booleen": Format(
        macro="booleen_on",
        body="CASE x WHEN 'O' THEN true WHEN 'N' THEN false END",
        sql_type="BOOLEAN",
        invalid="valeur attendue O ou N",
    ),
    # An open-data statistic (census counts are weighted: any number of decimals, point or comma); a secret
    # marker of the publisher is no value but is valid (formats.secret_publie).
    "mesure": Format(
        macro="mesure",
        body=f"CASE WHEN regexp_full_match(regexp_replace(x, '{SPACES}', '', 'g'), '-?[0-9]+([,.][0-9]+)?') "
             f"THEN try_cast(replace(regexp_replace(x, '{SPACES}', '', 'g'), ',', '.') AS DOUBLE) END",
        sql_type="DOUBLE",
        invalid="nombre invalide (attendu par exemple 1234 ou 1234.56 ; une valeur secrète s'écrit "
                + ", ".join(f"« {m} »" for m in ("s", "nd", "ns", "so")) + " ou reste vide)",
    ),
    # Text kinds: the format gives the exact text; the code lists (seeds) and the COG say which codes exist.
    "code": TEXT,
    "commune": TEXT,
    "identifiant": TEXT,
}


# How open-data publishers write a value under secret (Insee: s, nd, ns, so; an empty cell is NULL already).
SECRET_MARKERS = ("s", "nd", "ns", "so")
SECRET = f"{SCHEMA}.secret_publie"  # macro: true when x is a secret marker


def install(con) -> None:
    """Create (or replace) the macros of every format in the warehouse ``con`` is connected to."""
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
    for f in {f.macro: f for f in FORMATS.values()}.values():
        con.execute(f"CREATE OR REPLACE MACRO {SCHEMA}.{f.macro}(x) AS {f.body}")
    markers = ", ".join(f"'{m}'" for m in SECRET_MARKERS)
    con.execute(f"CREATE OR REPLACE MACRO {SECRET}(x) AS coalesce(lower(trim(x)) IN ({markers}), false)")
