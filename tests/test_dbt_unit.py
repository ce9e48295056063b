"""The dbt unit tests of the formulas (tension, délais, taux, aides moyennes, secret statistique).

dbt unit tests need the upstream relations built (for types and for the diffusion macro's introspection): they
run against a writable copy of the demo warehouse, which keeps the name observatoire.duckdb because its views
name that catalog.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from observatoire.settings import PROJECT_DIR


def _dbt(demo, tmp_path, *args: str) -> tuple[subprocess.CompletedProcess, Path]:
    """Runs dbt against a writable copy of the demo warehouse; returns the run and the copy."""
    copy = tmp_path / "observatoire.duckdb"
    if not copy.exists():
        shutil.copyfile(demo.published, copy)
        copy.chmod(0o644)
    env = {**demo.env, "OBSERVATOIRE_ENTREPOT": str(copy)}
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), *args, "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=600, cwd=os.fspath(tmp_path))
    return result, copy


def test_dbt_unit_tests_pass(demo, tmp_path):
    result, _ = _dbt(demo, tmp_path, "test", "--select", "test_type:unit")
    assert result.returncode == 0, result.stdout[-6000:]
    assert "PASS=" in result.stdout and " ERROR=0" in result.stdout


def test_emptied_cells_fail_the_filled_columns_test_naming_each_column(demo, tmp_path):
    # one test per model covers its mandatory columns: it must still see each emptied column and count its rows
    result, copy = _dbt(demo, tmp_path, "test", "--select", "int_geo__communes,test_name:colonnes_renseignees")
    assert result.returncode == 0, result.stdout[-6000:]
    with duckdb.connect(str(copy)) as con:
        con.execute("""update intermediate.int_geo__communes set code_epci = null
                       where code_commune in (select code_commune from intermediate.int_geo__communes
                                              order by code_commune limit 3)""")
        con.execute("""update intermediate.int_geo__communes set code_territoire = null
                       where code_commune = (select max(code_commune) from intermediate.int_geo__communes)""")
    result, _ = _dbt(demo, tmp_path, "test", "--select", "int_geo__communes,test_name:colonnes_renseignees",
                     "--store-failures")
    assert result.returncode == 1 and "Got 2 results" in result.stdout, result.stdout[-6000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        failures = con.sql("""select table_schema, table_name from information_schema.tables
                              where table_name like 'colonnes_renseignees%'""").fetchall()
        assert len(failures) == 1, failures
        schema, table = failures[0]
        rows = set(con.sql(f'select colonne, nb_lignes_vides from "{schema}"."{table}"').fetchall())
    assert rows == {("code_epci", 3), ("code_territoire", 1)}


def test_a_duplicated_or_emptied_key_fails_the_key_test_naming_each_defect(demo, tmp_path):
    # cle_primaire replaces two tests on a model's key: it must still see an emptied key column and a key twice
    select = ("test", "--select", "fsl_indicateurs,test_name:cle_primaire")
    result, copy = _dbt(demo, tmp_path, *select)
    assert result.returncode == 0, result.stdout[-6000:]
    with duckdb.connect(str(copy)) as con:
        con.execute("""insert into marts.fsl_indicateurs select * from marts.fsl_indicateurs
                       where niveau = 'epci' order by code_zone, annee limit 2""")
        con.execute("""update marts.fsl_indicateurs set annee = null
                       where niveau = 'territoire' and code_zone = (select min(code_zone) from marts.fsl_indicateurs
                                                                    where niveau = 'territoire')""")
        doubled = con.execute("""select code_zone, annee from marts.fsl_indicateurs where niveau = 'epci'
                                 group by all having count(*) > 1""").fetchall()
        (territory, emptied), = con.execute("select code_zone, count(*) from marts.fsl_indicateurs "
                                            "where annee is null group by all").fetchall()
    result, _ = _dbt(demo, tmp_path, *select, "--store-failures")
    assert result.returncode == 1, result.stdout[-6000:]
    with duckdb.connect(str(copy), read_only=True) as con:
        (schema, table), = con.sql("""select table_schema, table_name from information_schema.tables
                                       where table_name like 'cle_primaire%'""").fetchall()
        rows = set(con.sql(f'select defaut, detail, nb_lignes from "{schema}"."{table}"').fetchall())
    assert len(doubled) == 2 and emptied > 1
    # the emptied years are also one key several times (NULL groups with NULL): named without the empty part
    assert rows == {("valeur vide", "annee", emptied), ("clé en double", f"territoire | {territory}", emptied)} | {
        ("clé en double", f"epci | {z} | {a}", 2) for z, a in doubled}
