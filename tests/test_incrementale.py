"""Incremental refresh: a new monthly extract after a published refresh gives the same warehouse as a full
build from scratch, and dbt rebuilds incrementally only while the project is unchanged."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import DEMO_SCALE, DEMO_SEED, DEMO_UNTIL, Demo, demo_environment

from observatoire.demo import generate
from observatoire.extracts import OPEN_SOURCES, SOURCES

NEXT_MONTH = "2024-07"
REFERENCE = "2024-08-20"  # freshness judged after the new month's extracts


def _copy(demo: Demo, folder: Path) -> Demo:
    """The demo's data folder (extracts, published warehouse, key) copied, to refresh it again."""
    shutil.copytree(demo.data_dir, folder, ignore=shutil.ignore_patterns("entrepot", "journaux", "rapports"))
    return Demo(folder, demo_environment(folder) | {"OBSERVATOIRE_DATE_REFERENCE": REFERENCE}, demo.rows_written)


@pytest.fixture(scope="module")
def next_month(demo, tmp_path_factory) -> list[Path]:
    """The extracts of the month after the demo's last one (the generator is prefix-stable)."""
    depot = tmp_path_factory.mktemp("mois_suivant")
    generate(depot, echelle=DEMO_SCALE, graine=DEMO_SEED, jusqua=NEXT_MONTH, progress=False)
    new = [p for p in depot.rglob("*") if p.is_file() and not (demo.depot / p.relative_to(depot)).exists()]
    # the month's extracts, and the open data its publishers released during it (Filosofi in July)
    assert new and all(NEXT_MONTH in p.name or p.parent.name in OPEN_SOURCES for p in new), new
    assert any(NEXT_MONTH in p.name for p in new)
    assert DEMO_UNTIL < NEXT_MONTH
    return [p.relative_to(depot) for p in new], depot


@pytest.fixture(scope="module")
def refreshed(demo, next_month, tmp_path_factory) -> tuple[Demo, Demo]:
    """The new month dropped on a copy of the published demo (incremental), and the same extracts refreshed
    from an empty warehouse (full)."""
    new, depot = next_month
    incremental = _copy(demo, tmp_path_factory.mktemp("incrementale") / "data")
    full = _copy(demo, tmp_path_factory.mktemp("complete") / "data")
    shutil.rmtree(full.data_dir / "publie")
    for d in (incremental, full):
        for rel in new:
            shutil.copy(depot / rel, d.depot / rel)
        d.refresh_output = d.observatoire("actualiser")
    return incremental, full


def _builds(d: Demo) -> list[str]:
    con = duckdb.connect(str(d.published), read_only=True)
    try:
        rows = con.execute("SELECT mode FROM raw.journal_constructions ORDER BY construit_le").fetchall()
        return [r[0] for r in rows]
    finally:
        con.close()


def test_a_new_month_is_built_incrementally_and_a_first_build_fully(refreshed):
    incremental, full = refreshed
    assert _builds(incremental)[-1] == "incrementale"
    assert _builds(full) == ["complete"]


def _differences(con, schema: str, table: str) -> int:
    """Rows of one table that differ between the two warehouses (floating sums compared to 1e-6)."""
    columns = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = 'inc' "
                          "AND schema_name = ? AND table_name = ?", [schema, table]).fetchall()
    select = ", ".join(f'round("{c}", 6)' if t in ("DOUBLE", "FLOAT") else f'"{c}"' for c, t in columns)
    return con.execute(f"""SELECT count(*) FROM (
        (SELECT {select} FROM inc.{schema}.{table} EXCEPT ALL SELECT {select} FROM complete.{schema}.{table})
        UNION ALL
        (SELECT {select} FROM complete.{schema}.{table} EXCEPT ALL SELECT {select} FROM inc.{schema}.{table}))
        """).fetchone()[0]


def test_incremental_refresh_gives_the_same_warehouse_as_a_full_build(refreshed):
    incremental, full = refreshed
    con = duckdb.connect()
    con.execute(f"ATTACH '{incremental.published}' AS inc (READ_ONLY)")
    con.execute(f"ATTACH '{full.published}' AS complete (READ_ONLY)")
    tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'inc' "
                         "AND schema_name IN ('staging', 'intermediate', 'marts', 'diffusion')").fetchall()
    assert {SOURCES[s].staging for s in SOURCES} <= {t for _, t in tables}
    different = {f"{s}.{t}": n for s, t in tables if (n := _differences(con, s, t))}
    assert not different, different
    new_rows = con.execute("SELECT count(*) FROM inc.raw.sne_demandes WHERE _fichier LIKE ?",
                           [f"%{NEXT_MONTH}%"]).fetchone()[0]
    assert new_rows > 0


def test_the_last_build_records_the_project_fingerprint_which_follows_every_project_file(refreshed, tmp_path,
                                                                                          monkeypatch):
    import observatoire.dbt_selection as selection

    incremental, _ = refreshed
    con = duckdb.connect(str(incremental.published), read_only=True)
    try:
        assert selection.last_build_fingerprint(con) == selection.dbt_project_fingerprint()
    finally:
        con.close()
    model = tmp_path / "models" / "m.sql"
    model.parent.mkdir()
    model.write_text("select 1", encoding="utf-8")
    monkeypatch.setattr(selection, "PROJECT_DIR", tmp_path)
    monkeypatch.setattr(selection, "dbt_input_files", lambda: [model])
    before = selection.dbt_project_fingerprint()
    model.write_text("select 2", encoding="utf-8")
    assert selection.dbt_project_fingerprint() != before  # a changed model: the next build is a full one
