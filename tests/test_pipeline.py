"""End to end on a small demo: generated extracts -> Dagster job -> published warehouse."""

from __future__ import annotations

import csv

import duckdb
import openpyxl
import pytest

from observatoire.extracts import SOURCES
from observatoire.ingestion.reading import detect_encoding


def published(demo):
    """A read-only connection, to open with ``with``: one left open by a failed assertion would refuse the
    other tests' connections to the same file (another configuration)."""
    return duckdb.connect(str(demo.published), read_only=True)


def extract_rows(demo, source):
    """Rows of every generated file of a source, as dicts by French header (a FINESS file: by the publisher's
    positional fields, its first line being a comment)."""
    fields = SOURCES[source].publication.fields if SOURCES[source].publication else ()
    for path in sorted((demo.depot / source).iterdir()):
        if fields:
            with open(path, encoding="utf-8" if detect_encoding(path) == "utf-8" else "cp1252", newline="") as f:
                yield from (dict(zip(fields, r, strict=False)) for r in list(csv.reader(f, delimiter=";"))[1:])
            continue
        if path.suffix == ".xlsx":
            sheet = openpyxl.load_workbook(path, read_only=True).active
            rows = [["" if v is None else str(v) for v in r] for r in sheet.iter_rows(values_only=True)]
        else:
            encoding = "utf-8-sig" if detect_encoding(path) == "utf-8" else "cp1252"
            with open(path, encoding=encoding, newline="") as f:
                rows = list(csv.reader(f, delimiter=";"))
        yield from (dict(zip(rows[0], r, strict=True)) for r in rows[1:])


def test_every_source_is_loaded_with_the_expected_row_counts(demo):
    with published(demo) as con:
        _assert_row_counts(demo, con)


def _assert_row_counts(demo, con):
    # The follow-up workbooks carry one bad cell on purpose (tests/test_suivi.py reads them).
    followup = con.execute("SELECT count(*) FROM raw.suivi_plan").fetchone()[0]
    assert followup == demo.rows_written["suivi_plan"] - 1
    assert con.execute("SELECT source, count(*) FROM raw.rejets GROUP BY ALL").fetchall() == [("suivi_plan", 1)]
    for name, source in SOURCES.items():
        if source.reader != "tableau":
            continue
        if source.publication:  # national files: the demo counts the rows of the Pas-de-Calais it wrote
            expected = demo.rows_written[name]
            assert expected > 0 and con.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0] == expected, name
            continue
        expected = sum(1 for _ in extract_rows(demo, name))
        assert expected > 0, name
        assert expected == demo.rows_written[name]
        assert con.execute(f"SELECT count(*) FROM raw.{name}").fetchone()[0] == expected, name
        distinct = con.execute(f"SELECT count(*) FROM (SELECT DISTINCT {', '.join(source.key)} "
                               f"FROM raw.{name})").fetchone()[0]
        assert con.execute(f"SELECT count(*) FROM staging.{source.staging}").fetchone()[0] == distinct, name
    assert con.execute("SELECT count(*) FROM raw.journal_chargements WHERE statut <> 'CHARGE'").fetchone()[0] == 0


def test_summary_is_printed_in_french(demo):
    out = demo.refresh_output.stdout
    assert "Actualisation terminée" in out and "Entrepôt publié" in out and "Fichiers refusés : 0" in out


def test_published_file_is_for_the_team_only_and_opens_read_only(demo):
    assert not demo.published.stat().st_mode & 0o027  # 0640: the team reads it, nobody else does
    with published(demo) as con:
        schemas = {r[0] for r in con.execute("SELECT DISTINCT schema_name FROM duckdb_tables()").fetchall()}
    assert {"raw", "referentiel"} <= schemas


def test_refreshing_again_changes_nothing(demo):
    def snapshot(c):
        return ([c.execute(f"SELECT count(*) FROM raw.{n}").fetchone()[0] for n in SOURCES],
                c.execute("SELECT fichier, statut, nb_lignes_chargees FROM raw.journal_chargements "
                          "ORDER BY fichier").fetchall(),
                c.execute("SELECT sum(hash(p)) FROM diffusion.portrait_territoire p").fetchone())
    with published(demo) as con:
        before = snapshot(con)
    demo.observatoire("actualiser")
    with published(demo) as con:
        assert snapshot(con) == before
    log = max((demo.data_dir / "journaux").glob("actualisation_*.log"), key=lambda p: p.stat().st_mtime)
    assert "Rien à reconstruire" in log.read_text(encoding="utf-8")  # no new file: dbt is not even started


@pytest.fixture(scope="module")
def personal_values(demo):
    """Every direct identifier written in the generated files, and the clear case numbers."""
    values = set()
    for name, source in SOURCES.items():
        if source.publication:  # open data holds no person (FINESS's establishment phones: test_sources_ouvertes)
            continue
        watched = [c.header for c in source.columns if c.kind in ("personnel", "identifiant")]
        for row in extract_rows(demo, name):
            values.update(row[h] for h in watched if row.get(h))
    return values


def test_no_direct_identifier_reaches_duckdb(demo, personal_values):
    assert len(personal_values) > 1000
    with published(demo) as con:
        _assert_no_personal_value(demo, con, personal_values)


def _assert_no_personal_value(demo, con, personal_values):
    con.execute("CREATE TEMP TABLE pii AS SELECT unnest(?::VARCHAR[]) AS v", [sorted(personal_values)])
    # A surname that is also a commune's name (RIVIÈRE) is found in every open-data table naming that commune:
    # such a value proves nothing either way.
    con.execute("DELETE FROM pii WHERE upper(v) IN (SELECT upper(nom_commune) FROM referentiel.communes)")
    columns = con.execute("SELECT schema_name, table_name, column_name FROM duckdb_columns() "
                          "WHERE data_type = 'VARCHAR' AND NOT internal AND database_name <> 'temp'").fetchall()
    assert columns
    for schema, table, column in columns:
        hits = con.execute(f'SELECT count(*) FROM "{schema}"."{table}" t JOIN pii ON t."{column}" = pii.v')\
            .fetchone()[0]
        assert hits == 0, f"{schema}.{table}.{column} contient des identifiants directs"
    names = {r[0] for r in con.execute("SELECT column_name FROM duckdb_columns()").fetchall()}
    assert not names & {"nom", "prenom", "nir", "adresse", "telephone", "courriel", "date_naissance"}
    # And not even in the file's bytes: long identifiers (phones, NIR, e-mails, addresses).
    data = demo.published.read_bytes()
    sample = sorted(v for v in personal_values if len(v) >= 10)[:2000]
    assert not [v for v in sample if v.encode() in data]
