"""The Evidence site (reports/): every SQL query of its sources and pages runs on the demo's diffusion file.

Evidence cannot build without network access (DuckDB-Wasm fetches its parquet extension from DuckDB's
repository), so these tests do what it does, with Python DuckDB, on the demo built by the suite:
- each source query (`reports/sources/<source>/*.sql`) runs on the diffusion file and its result becomes the
  table `<source>.<query>`, with the column types Evidence's parquet cache keeps (number → DOUBLE, date →
  TIMESTAMP, boolean, text); the file is then detached, so pages can only read those tables, as in Evidence;
- each page query (```sql <name> blocks of `reports/pages/**/*.md`) is compiled as Evidence compiles it:
  `${other_query}` is inlined as a subquery, `${params.x}` is replaced by each code of the templated page
  (every territoire, every EPCI of `referentiel`), and any other `${...}` is refused;
- it must run without error and, unless listed in MAY_BE_EMPTY, return rows;
- the columns that components read (`x=`, `y=`, `value=`, `<Column id=...>`...) must exist in their query;
- every territoire and every EPCI gets a page: the `{#each}` links that Evidence's crawler follows to build the
  templated pages cover exactly the codes of `referentiel`.
Plus the reachability check of `make reports-site`, which must fail fast and in French.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import duckdb
import pytest
import yaml

from observatoire.publication import evidence_site
from observatoire.settings import PROJECT_DIR, REPORTS_PROJECT_DIR

REPORTS = REPORTS_PROJECT_DIR
PAGES = REPORTS / "pages"
SOURCES = REPORTS / "sources"

SQL_BLOCK = re.compile(r"^```sql[ \t]+(\w+)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
INTERPOLATION = re.compile(r"\$\{\s*([^}]*?)\s*\}")
RELATION = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)", re.IGNORECASE)
EACH = re.compile(r"\{#each\s+(\w+)\s+as\s+(\w+)\s*\}(.*?)\{/each\}", re.DOTALL)
TAG = re.compile(r"<(\w+)\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>", re.DOTALL)
ATTRIBUTE = re.compile(r"(\w+)=(?:\"([^\"]*)\"|'([^']*)'|\{([^}]*)\}|([^\s/>]+))")

# Page parameters of the templated pages and where their values come from.
PARAMETERS = {
    "territoire": "SELECT code_territoire FROM referentiel.territoires ORDER BY 1",
    "epci": "SELECT code_epci FROM referentiel.epci ORDER BY 1",
}
# What source queries may read: the diffusion layer, the reference tables, the freshness summary.
SOURCE_RELATIONS = re.compile(r"^(diffusion\.\w+|referentiel\.\w+|publication\.fraicheur_sources|duckdb_columns)$")
# Component attributes naming a column of their `data`.
COLUMN_ATTRIBUTES = {"x", "y", "y2", "series", "value", "column", "comparison", "sparkline", "link", "id"}
# Queries that may legitimately return no rows (page, query).
MAY_BE_EMPTY = {
    ("territoires/[territoire].md", "masquees"),  # nothing masked for this zone and year
    ("epci/[epci].md", "masquees"),
}


def source_queries() -> dict[str, dict[str, str]]:
    """{source name: {query name: sql}} as Evidence reads them (the name comes from connection.yaml)."""
    sources = {}
    for connection in sorted(SOURCES.glob("*/connection.yaml")):
        name = yaml.safe_load(connection.read_text(encoding="utf-8"))["name"]
        sources[name] = {f.stem: f.read_text(encoding="utf-8").strip().rstrip(";")
                         for f in sorted(connection.parent.glob("*.sql"))}
    return sources


def pages() -> list[Path]:
    return sorted(PAGES.rglob("*.md"))


def page_id(page: Path) -> str:
    return page.relative_to(PAGES).as_posix()


def page_queries(page: Path) -> dict[str, str]:
    text = page.read_text(encoding="utf-8")
    queries = {name: sql.strip() for name, sql in SQL_BLOCK.findall(text)}
    assert len(queries) == len(SQL_BLOCK.findall(text)), f"{page_id(page)} : deux requêtes portent le même nom"
    # Evidence runs any other fenced block (``` without a language) as a query named "untitled"
    fences = len(re.findall(r"^```", text, re.MULTILINE))
    assert fences == 2 * len(queries), f"{page_id(page)} : bloc de code qui n'est pas une requête ```sql <nom>"
    return queries


def page_parameters(page: Path) -> list[str]:
    return re.findall(r"\[(\w+)\]", page_id(page))


def compile_query(name: str, queries: dict[str, str], params: dict[str, str]) -> str:
    """Evidence's compilation: `${query}` → `(query sql)`, repeatedly; `${params.x}` → the page's value."""
    sql = queries[name]
    for _ in range(16):
        def replace(match: re.Match) -> str:
            expression = match.group(1)
            if expression in queries:
                return f"({queries[expression]})"
            if expression.startswith("params.") and expression[len("params."):] in params:
                return params[expression[len("params."):]]
            raise AssertionError(f"expression ${{{expression}}} inconnue dans la requête « {name} »")
        compiled = INTERPOLATION.sub(replace, sql)
        if compiled == sql:
            return sql
        sql = compiled
    raise AssertionError(f"requête « {name} » : références circulaires")


def evidence_type(duckdb_type: str) -> str:
    """The type a column keeps in Evidence's parquet cache (see @evidence-dev/duckdb and universal-sql)."""
    t = duckdb_type.upper()
    if t == "BOOLEAN":
        return "BOOLEAN"
    if t == "DATE" or t.startswith("TIMESTAMP"):
        return "TIMESTAMP"
    if t == "VARCHAR":
        return "VARCHAR"
    if t.startswith("DECIMAL") or t in {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT",
                                        "USMALLINT", "UINTEGER", "UBIGINT", "FLOAT", "DOUBLE"}:
        return "DOUBLE"
    raise AssertionError(f"type {duckdb_type} non conservé par Evidence (le convertir en texte dans la requête)")


@pytest.fixture(scope="module")
def evidence(demo) -> duckdb.DuckDBPyConnection:
    """An in-memory database holding the source tables, as Evidence's browser database does."""
    con = duckdb.connect()
    con.execute(f"ATTACH '{demo.diffusion}' AS entrepot (READ_ONLY)")
    for source, queries in source_queries().items():
        con.execute(f'CREATE SCHEMA memory."{source}"')
        con.execute("USE entrepot")  # source queries run in the warehouse itself
        for name, sql in queries.items():
            relation = con.sql(sql)
            casts = ", ".join(f'CAST("{c}" AS {evidence_type(str(t))}) AS "{c}"'
                              for c, t in zip(relation.columns, relation.types, strict=True))
            con.execute(f'CREATE TABLE memory."{source}"."{name}" AS SELECT {casts} FROM ({sql})')
        con.execute("USE memory")
    con.execute("DETACH entrepot")
    # Settings of Evidence's DuckDB-Wasm (universal-sql)
    con.execute("SET ieee_floating_point_ops = false")
    con.execute("SET old_implicit_casting = true")
    yield con
    con.close()


@pytest.fixture(scope="module")
def parameter_values(demo) -> dict[str, list[str]]:
    with duckdb.connect(str(demo.diffusion), read_only=True) as con:
        return {name: [r[0] for r in con.execute(sql).fetchall()] for name, sql in PARAMETERS.items()}


def test_sources_read_only_diffusion_and_reference_tables():
    sources = source_queries()
    assert sources, "aucune source Evidence dans reports/sources/"
    for source, queries in sources.items():
        for name, sql in queries.items():
            assert "\n" not in sql, f"source {source}.{name} : une requête source tient sur une ligne"
            relations = RELATION.findall(sql)
            assert relations, f"source {source}.{name} : aucune table lue"
            refused = [r for r in relations if not SOURCE_RELATIONS.match(r.lower())]
            assert not refused, f"source {source}.{name} : lit {refused} (seulement diffusion et referentiel)"


def test_source_tables(evidence):
    for source, queries in source_queries().items():
        for name in queries:
            n = evidence.execute(f'SELECT count(*) FROM "{source}"."{name}"').fetchone()[0]
            assert n > 0, f"source {source}.{name} : aucune ligne sur l'entrepôt de démonstration"


@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_page_queries_run_for_every_parameter(page, evidence, parameter_values):
    queries = page_queries(page)
    names = page_parameters(page)
    unknown = [n for n in names if n not in PARAMETERS]
    assert not unknown, f"{page_id(page)} : paramètre sans liste de valeurs dans PARAMETERS : {unknown}"
    parameter_sets = [{}]
    for name in names:
        parameter_sets = [{**p, name: v} for p in parameter_sets for v in parameter_values[name]]
    failures = []
    for params in parameter_sets:
        for name in queries:
            try:
                rows = evidence.execute(compile_query(name, queries, params)).fetchall()
            except (duckdb.Error, AssertionError) as error:
                failures.append(f"{name} {params} : {error}")
                continue
            if not rows and (page_id(page), name) not in MAY_BE_EMPTY:
                failures.append(f"{name} {params} : aucune ligne")
    assert not failures, f"{page_id(page)} :\n" + "\n".join(failures)


@pytest.mark.parametrize("page", pages(), ids=page_id)
def test_components_read_existing_queries_and_columns(page, evidence, parameter_values):
    text = page.read_text(encoding="utf-8")
    queries = page_queries(page)
    params = {name: parameter_values[name][0] for name in page_parameters(page)}
    columns = {}
    for name in queries:
        try:
            described = evidence.execute(f"DESCRIBE {compile_query(name, queries, params)}").fetchall()
            columns[name] = [d[0] for d in described]
        except duckdb.Error:  # reported by test_page_queries_run_for_every_parameter
            columns[name] = None
    for query, _alias, _body in EACH.findall(text):
        assert query in queries, f"{page_id(page)} : boucle sur une requête inconnue « {query} »"
    problems = []
    data = None
    for tag, attributes in TAG.findall(text):
        values = {k: next(v for v in vs if v) if any(vs) else "" for k, *vs in ATTRIBUTE.findall(attributes)}
        if "data" in values:
            data = values["data"]
            if data not in queries:
                problems.append(f"<{tag}> : requête inconnue « {data} »")
                continue
        elif tag != "Column":
            continue
        if columns.get(data) is None:
            continue
        for attribute in COLUMN_ATTRIBUTES & values.keys():
            if attribute == "id" and tag != "Column":
                continue
            for column in re.findall(r"\w+", values[attribute]):
                if column not in columns[data]:
                    problems.append(f"<{tag} {attribute}={values[attribute]}> : colonne absente de « {data} »")
    assert not problems, f"{page_id(page)} :\n" + "\n".join(problems)


@pytest.mark.parametrize("parameter", sorted(PARAMETERS))
def test_every_code_gets_a_templated_page(parameter, evidence, parameter_values):
    """Evidence builds a templated page only when a crawled page links to it: check the {#each} links."""
    templates = [p for p in pages() if page_parameters(p) == [parameter]]
    assert templates, f"aucune page paramétrée par « {parameter} »"
    folder = templates[0].parent.relative_to(PAGES).as_posix()
    linked = set()
    for page in pages():
        text, queries = page.read_text(encoding="utf-8"), page_queries(page)
        for query, alias, body in EACH.findall(text):
            for column in re.findall(rf"\]\(/{re.escape(folder)}/\{{{alias}\.(\w+)\}}\)", body):
                sql = compile_query(query, queries, {})
                linked |= {r[0] for r in evidence.execute(f"SELECT {column} FROM ({sql})").fetchall()}
    expected = set(parameter_values[parameter])
    assert linked == expected, (f"pages /{folder}/ : sans lien {sorted(expected - linked)}, "
                                f"liens sans code du référentiel {sorted(linked - expected)}")


def test_freshness_cadences_match_expectations(evidence):
    """The freshness page restates expectations/fraicheur.yml: both must say the same."""
    queries = page_queries(PAGES / "fraicheur-qualite.md")
    rows = evidence.execute(compile_query("cadences", queries, {})).fetchall()
    shown = {r[0]: (r[2], r[3], r[4], r[5]) for r in rows}
    config = yaml.safe_load((PROJECT_DIR / "expectations" / "fraicheur.yml").read_text(encoding="utf-8"))["sources"]
    expected = {s: (c["cadence"], c["cadence_jours"], c["grace_jours"], c["seuil_erreur_jours"])
                for s, c in config.items()}
    assert shown == expected


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_extension_repository_fails_fast_in_french():
    start = time.monotonic()
    message = evidence_site.check_extension_repository(f"http://127.0.0.1:{_closed_port()}", delai=2)
    assert time.monotonic() - start < 5
    assert message and "injoignable" in message and "make reports-site" in message


def test_silent_extension_repository_times_out(monkeypatch):
    """A server that never answers (or a DNS that never replies) must not hold the build."""
    def never(*args, **kwargs):
        time.sleep(30)
        raise TimeoutError("timed out")  # what a real socket ends with (the thread outlives the test)
    monkeypatch.setattr(evidence_site.urllib.request, "urlopen", never)
    start = time.monotonic()
    message = evidence_site.check_extension_repository("https://extensions.duckdb.org", delai=1)
    assert time.monotonic() - start < 3
    assert "pas de réponse en 1 s" in message


def test_reports_site_stops_before_npm_when_unreachable(tmp_path, monkeypatch, capsys):
    publie = tmp_path / "observatoire.duckdb"
    publie.write_bytes(b"")
    monkeypatch.setattr(evidence_site, "check_extension_repository", lambda *a, **k: "dépôt injoignable")
    monkeypatch.setattr(evidence_site.subprocess, "run", lambda *a, **k: pytest.fail("npm lancé quand même"))
    monkeypatch.setattr(evidence_site.shutil, "which", lambda name: "/usr/bin/npm")
    assert evidence_site.build(publie) == 1
    assert "dépôt injoignable" in capsys.readouterr().err


def test_diffusion_path_given_relative_to_the_source_folder(tmp_path):
    """Evidence's DuckDB connector joins `filename` to the source folder: the path must lead back to the file."""
    publie = tmp_path / "publie" / "observatoire_diffusion.duckdb"
    env = evidence_site.evidence_environment(publie)
    relative = env["EVIDENCE_SOURCE__observatoire__filename"]
    assert (SOURCES / "observatoire" / relative).resolve() == publie.resolve()
    assert env["SEND_ANONYMOUS_USAGE_STATS"] == "no"
