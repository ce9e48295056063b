"""One artefact per audience: the diffusion file (partners, Evidence, dossier) and the internal warehouse (the team).

Unit tests publish small hand-made warehouses; the demo tests read what the demo's refresh published. The
content of the diffusion file is enumerated here from DuckDB's catalog and compared with what the warehouse
holds, without using the list that builds it.
"""

from __future__ import annotations

import grp
import hashlib
import os
import stat
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from observatoire import warehouse
from observatoire.publication import diffusion_file, permissions
from observatoire.quality import report as quality_report
from observatoire.settings import SEEDS_DIR
from observatoire.warehouse import publish, reset_working_copy

FILE_NAME = "fsl_2024-05_extrait_2024-06-05.csv"
ALLOWED_SCHEMAS = {"diffusion", "referentiel", "publication"}


def make_warehouse(path: Path, extra_sql: str = "") -> Path:
    """A small warehouse with every layer: row-level raw with lineage, staging, intermediate, marts, diffusion."""
    con = duckdb.connect(str(path))
    con.execute(f"""
        CREATE SCHEMA raw; CREATE SCHEMA staging; CREATE SCHEMA intermediate; CREATE SCHEMA marts;
        CREATE SCHEMA diffusion; CREATE SCHEMA referentiel;
        CREATE TABLE raw.journal_chargements AS SELECT * FROM (VALUES
            ('fsl', '{FILE_NAME}', DATE '2024-06-05', 'CHARGE', 10, 9, 1, TIMESTAMP '2024-06-06 08:00:00'),
            ('fsl', 'fsl_casse.csv', DATE '2024-06-06', 'REFUSE', 0, 0, 0, TIMESTAMP '2024-06-06 08:01:00'),
            ('dalo', 'dalo_2024-T1_extrait_2024-04-10.csv', DATE '2024-04-10', 'CHARGE', 5, 5, 0,
             TIMESTAMP '2024-04-11 08:00:00'))
            AS t(source, fichier, date_extraction, statut, nb_lignes_lues, nb_lignes_chargees, nb_lignes_rejetees,
                 charge_le);
        CREATE TABLE raw.rejets AS SELECT 'fsl' AS source, '{FILE_NAME}' AS fichier, 7 AS ligne;
        CREATE TABLE raw.fsl AS SELECT 'a1b2' AS id_dossier, '62041' AS code_commune, '{FILE_NAME}' AS _fichier,
            3 AS _ligne;
        CREATE TABLE staging.stg_fsl__demandes AS SELECT * FROM raw.fsl;
        CREATE TABLE intermediate.int_geo__zones AS SELECT 'epci' AS niveau, '200018083' AS code_zone,
            'CC de Desvres-Samer' AS libelle_zone, 'BOU' AS code_territoire, 1000 AS population;
        CREATE TABLE intermediate.int_fsl__demandes AS SELECT * FROM raw.fsl;
        CREATE TABLE marts.fsl_indicateurs AS SELECT 'epci' AS niveau, '200018083' AS code_zone, 3 AS nb_demandes;
        CREATE TABLE diffusion.fsl_indicateurs AS SELECT 'epci' AS niveau, '200018083' AS code_zone,
            NULL::INTEGER AS nb_demandes, ['nb_demandes'] AS colonnes_masquees;
        COMMENT ON TABLE diffusion.fsl_indicateurs IS 'Indicateurs FSL, secret statistique appliqué';
        COMMENT ON COLUMN diffusion.fsl_indicateurs.nb_demandes IS 'Nombre de demandes';
        CREATE TABLE referentiel.territoires AS SELECT 'BOU' AS code_territoire, 'Boulonnais' AS nom_territoire;
        {extra_sql}
    """)
    con.close()
    return path


def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def catalog(path: Path) -> dict:
    """Every schema, table, view and column of a DuckDB file, read from its catalog."""
    with duckdb.connect(str(path), read_only=True) as con:
        db = con.execute("SELECT current_database()").fetchone()[0]
        tables = set(con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = ?",
                                 [db]).fetchall())
        views = con.execute("SELECT schema_name, view_name FROM duckdb_views() WHERE database_name = ? "
                            "AND NOT internal", [db]).fetchall()
        columns = con.execute("SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
                              "WHERE database_name = ?", [db]).fetchall()
        texts = []
        for schema, table, column, data_type in columns:
            if data_type == "VARCHAR":
                texts += [v for (v,) in con.execute(f'SELECT DISTINCT "{column}" FROM "{schema}"."{table}" '
                                                    f'WHERE "{column}" IS NOT NULL').fetchall()]
    return {"tables": tables, "views": views, "columns": columns, "texts": texts}


def assert_only_what_partners_may_get(diffusion: Path, internal: Path) -> None:
    """The diffusion file holds the warehouse's diffusion tables, the seeds, the zones and the freshness summary:
    no other schema, no view, no lineage column, no file name of the ledger anywhere in its text."""
    got = catalog(diffusion)
    with warehouse.connect(internal, read_only=True) as con:
        db = con.execute("SELECT current_database()").fetchone()[0]
        diffusion_tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
                                                      "AND schema_name = 'diffusion'", [db]).fetchall()}
        reference_tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = ? "
                                                      "AND schema_name = 'referentiel'", [db]).fetchall()}
        files = {f for (f,) in con.execute("SELECT DISTINCT fichier FROM raw.journal_chargements").fetchall()}
    assert {s for s, _ in got["tables"]} <= ALLOWED_SCHEMAS
    assert not got["views"]
    assert {t for s, t in got["tables"] if s == "diffusion"} == diffusion_tables
    assert {t for s, t in got["tables"] if s == "referentiel"} == reference_tables | {"zones"}
    assert {t for s, t in got["tables"] if s == "publication"} == {"fraicheur_sources"}
    names = {c for _, _, c, _ in got["columns"]}
    assert not {c for c in names if c.startswith("_") or c in {"fichier", "ligne", "sha256", "message"}}
    assert files and not [t for t in got["texts"] if any(f in t for f in files)]


# --- unit: publication of two artefacts -----------------------------------------------------------------------


@pytest.fixture
def layout(tmp_path, monkeypatch):
    monkeypatch.delenv(permissions.GROUP_ENV, raising=False)
    monkeypatch.delenv(warehouse.ENCRYPTION_KEY_ENV, raising=False)
    data = tmp_path / "data"
    return {"working": data / "entrepot" / "observatoire.duckdb", "published": data / "publie" / "observatoire.duckdb",
            "diffusion": data / "publie" / "observatoire_diffusion.duckdb"}


def first_publication(layout) -> None:
    layout["working"].parent.mkdir(parents=True)
    make_warehouse(layout["working"])
    publish(layout["working"], layout["published"], layout["diffusion"])


def test_publication_writes_the_internal_warehouse_and_the_diffusion_file(layout):
    first_publication(layout)
    assert_only_what_partners_may_get(layout["diffusion"], layout["published"])
    with duckdb.connect(str(layout["diffusion"]), read_only=True) as con:
        assert con.execute("SELECT source, derniere_extraction::VARCHAR, nb_fichiers_charges, nb_fichiers_refuses "
                           "FROM publication.fraicheur_sources ORDER BY source").fetchall() == [
            ("dalo", "2024-04-10", 1, 0), ("fsl", "2024-06-05", 1, 1)]
        assert con.execute("SELECT comment FROM duckdb_columns() WHERE table_name = 'fsl_indicateurs' "
                           "AND column_name = 'nb_demandes'").fetchone()[0] == "Nombre de demandes"
    with duckdb.connect(str(layout["published"]), read_only=True) as con:  # the team's copy keeps everything
        assert con.execute("SELECT _fichier FROM raw.fsl").fetchone()[0] == FILE_NAME


def test_freshness_summary_counts_each_file_name_once(layout):
    """A name delivered again, waiting at each refresh, or refused after a delivery in force counts once."""
    layout["working"].parent.mkdir(parents=True)
    make_warehouse(layout["working"], extra_sql="""
        INSERT INTO raw.journal_chargements VALUES
            ('pppi', 'pppi_2021_extrait_2023-10-15.csv', DATE '2023-10-15', 'CHARGE', 8, 8, 0, TIMESTAMP '2024-01-01'),
            ('pppi', 'pppi_2021_extrait_2023-10-15.csv', DATE '2023-10-15', 'CHARGE', 6, 5, 1, TIMESTAMP '2024-02-01'),
            ('pppi', 'pppi_2023_extrait_2025-10-15.csv', DATE '2025-10-15', 'EN_ATTENTE', 0, 0, 0,
             TIMESTAMP '2024-01-01'),
            ('pppi', 'pppi_2023_extrait_2025-10-15.csv', DATE '2025-10-15', 'EN_ATTENTE', 0, 0, 0,
             TIMESTAMP '2024-02-01'),
            ('pppi', 'pppi_2019_extrait_2021-10-15.csv', DATE '2021-10-15', 'CHARGE', 4, 4, 0, TIMESTAMP '2024-01-01'),
            ('pppi', 'pppi_2019_extrait_2021-10-15.csv', DATE '2021-10-15', 'REFUSE', 0, 0, 0, TIMESTAMP '2024-02-01');
    """)
    publish(layout["working"], layout["published"], layout["diffusion"])
    with duckdb.connect(str(layout["diffusion"]), read_only=True) as con:
        assert con.execute(
            "SELECT derniere_extraction::VARCHAR, nb_fichiers_charges, nb_fichiers_refuses, nb_fichiers_en_attente, "
            "nb_lignes_lues, nb_lignes_chargees, nb_lignes_rejetees FROM publication.fraicheur_sources "
            "WHERE source = 'pppi'").fetchall() == [("2023-10-15", 2, 1, 1, 6 + 4, 5 + 4, 1)]


def test_modes_of_both_artefacts_and_their_folders(layout):
    first_publication(layout)
    assert mode(layout["published"]) == 0o640
    assert mode(layout["published"].parent) == 0o750
    assert mode(layout["diffusion"]) == 0o644  # handed to partners as it is
    reset_working_copy(layout["working"], layout["published"])
    assert mode(layout["working"]) == 0o640 and mode(layout["working"].parent) == 0o750
    assert not mode(layout["published"]) & 0o007 and not mode(layout["working"]) & 0o007


@pytest.mark.parametrize("breakage", ["missing_ledger", "lineage_column"])
def test_a_failed_diffusion_build_leaves_both_published_files_intact(layout, breakage):
    first_publication(layout)
    before = checksum(layout["published"]), checksum(layout["diffusion"])
    reset_working_copy(layout["working"], layout["published"])
    con = duckdb.connect(str(layout["working"]))
    con.execute({"missing_ledger": "DROP TABLE raw.journal_chargements",
                 "lineage_column": "ALTER TABLE diffusion.fsl_indicateurs ADD COLUMN _ligne INTEGER"}[breakage])
    con.close()
    with pytest.raises((duckdb.Error, diffusion_file.DiffusionFileError)) as error:
        publish(layout["working"], layout["published"], layout["diffusion"])
    if breakage == "lineage_column":
        assert "diffusion.fsl_indicateurs._ligne" in str(error.value) and "publication refusée" in str(error.value)
    assert (checksum(layout["published"]), checksum(layout["diffusion"])) == before
    assert not layout["diffusion"].with_name(layout["diffusion"].name + ".nouveau").exists()


def test_a_diffusion_file_named_like_its_schemas_is_refused(layout):
    layout["working"].parent.mkdir(parents=True)
    make_warehouse(layout["working"])
    with pytest.raises(diffusion_file.DiffusionFileError, match="diffusion.duckdb"):
        publish(layout["working"], layout["published"], layout["published"].with_name("diffusion.duckdb"))
    assert not layout["published"].exists()


def test_the_team_group_owns_the_internal_warehouse(layout, monkeypatch):
    group = next(g for g in grp.getgrall() if g.gr_gid != os.getgid())  # root may give files to any group
    monkeypatch.setenv(permissions.GROUP_ENV, group.gr_name)
    first_publication(layout)
    for path in (layout["published"], layout["published"].parent, layout["working"].parent):
        assert os.stat(path).st_gid == group.gr_gid, path


def test_an_unknown_group_is_a_clear_french_error(layout, monkeypatch):
    monkeypatch.setenv(permissions.GROUP_ENV, "groupe-inexistant-62")
    with pytest.raises(permissions.PermissionsError, match="« groupe-inexistant-62 » .*n'existe pas"):
        first_publication(layout)


def test_the_refresh_stops_at_once_on_an_unknown_group(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVATOIRE_")}
    env.update(OBSERVATOIRE_DATA=str(tmp_path), OBSERVATOIRE_CLE_PSEUDO="cle", OBSERVATOIRE_GROUPE="pas-un-groupe")
    result = subprocess.run([sys.executable, "-m", "observatoire.cli", "actualiser"], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 2
    assert "Le groupe « pas-un-groupe » (variable OBSERVATOIRE_GROUPE) n'existe pas" in result.stderr


# --- unit: warnings on extracts and key readable by other users -----------------------------------------------


def test_extracts_and_key_readable_by_others_are_reported(tmp_path):
    depot, key = tmp_path / "depot", tmp_path / "cle_pseudonymisation.txt"
    extract = depot / "fsl" / FILE_NAME
    extract.parent.mkdir(parents=True)
    extract.write_text("x")
    key.write_text("k")
    for path, m in ((depot, 0o750), (depot / "fsl", 0o750), (extract, 0o640), (key, 0o600)):
        path.chmod(m)
    assert permissions.exposed_to_others(depot, key) == []
    (depot / "fsl").chmod(0o751)  # others may open a file whose name they guess
    extract.chmod(0o644)
    key.chmod(0o604)
    found = permissions.exposed_to_others(depot, key)
    assert len(found) == 3
    assert any(str(depot / "fsl") in f and f.startswith("dossier") for f in found)
    assert any(str(extract) in f and f.startswith("extraction") for f in found)
    assert any(str(key) in f and f.startswith("clé") for f in found)


def test_the_access_warning_is_a_warning_of_the_quality_report(tmp_path):
    warning = quality_report.Controle(cible=quality_report.CIBLE_ACCES, nom="acces_extractions", reussi=False,
                                       severite="WARN", resume="1 élément(s) lisible(s) par les autres utilisateurs")
    report = quality_report.build(tmp_path / "absent.duckdb", datetime(2024, 7, 1), True,
                                        tmp_path / "publie.duckdb", [warning])
    assert report.bilan() == (0, 1, 0)
    assert "Protection des fichiers (avertissement) : 1 élément(s) lisible(s)" in quality_report.texte(report)
    html = quality_report.write_html(report, tmp_path / "qualite.html").read_text(encoding="utf-8")
    assert "Protection des fichiers" in html and "Entrepôt publié" in html


# --- demo: what the refresh published ---------------------------------------------------------------------------


def test_demo_diffusion_file_holds_only_what_partners_may_get(demo):
    assert_only_what_partners_may_get(demo.diffusion, demo.published)
    seeds = {p.stem for p in SEEDS_DIR.rglob("*.csv")}
    assert {t for s, t in catalog(demo.diffusion)["tables"] if s == "referentiel"} == seeds | {"zones"}


def test_demo_internal_warehouse_is_not_world_readable(demo):
    assert mode(demo.published) == 0o640
    for folder in (demo.published.parent, demo.data_dir / "entrepot"):
        assert mode(folder) == 0o750, folder
    assert mode(demo.diffusion) == 0o644


def test_demo_refresh_warns_about_world_readable_extracts(demo):
    """The fixture writes the demo's extracts with the default umask: readable by everyone."""
    if not demo.refresh_output.args:
        pytest.skip("dossier de démonstration réutilisé (OBSERVATOIRE_TEST_DEMO) : pas de sortie d'actualisation")
    assert permissions.exposed_to_others(demo.depot, demo.data_dir / "cle_pseudonymisation.txt")
    out = demo.refresh_output.stdout
    assert "Protection des fichiers (avertissement)" in out and "lisible(s) par les autres utilisateurs" in out
    assert "Entrepôt publié" in out


# --- encryption at rest of the internal warehouse (OBSERVATOIRE_CLE_CHIFFREMENT) --------------------------------


def test_an_encrypted_warehouse_cannot_be_read_without_its_key(layout, monkeypatch):
    first_publication(layout)  # plain: encryption is off by default
    assert FILE_NAME.encode() in layout["published"].read_bytes()
    monkeypatch.setenv(warehouse.ENCRYPTION_KEY_ENV, "cle-de-chiffrement-de-test")
    reset_working_copy(layout["working"], layout["published"])  # turning it on encrypts the working copy
    con = warehouse.connect(layout["working"])
    worker = warehouse.cursor(con)  # the ingestion's workers: their own connection, the same warehouse
    worker.execute("INSERT INTO raw.fsl VALUES ('c3d4', '62193', 'fsl_2024-06_extrait_2024-07-05.csv', 1)")
    worker.close()
    assert con.execute("SELECT count(*) FROM raw.fsl").fetchone()[0] == 2
    con.close()
    publish(layout["working"], layout["published"], layout["diffusion"])

    content = layout["published"].read_bytes()
    assert FILE_NAME.encode() not in content and b"journal_chargements" not in content
    with pytest.raises(duckdb.CatalogException, match="without a key"):
        duckdb.connect(str(layout["published"]), read_only=True)
    monkeypatch.setenv(warehouse.ENCRYPTION_KEY_ENV, "une-autre-cle")
    with pytest.raises(warehouse.WarehouseError, match="Clé de chiffrement incorrecte"):
        warehouse.connect(layout["published"], read_only=True)
    monkeypatch.delenv(warehouse.ENCRYPTION_KEY_ENV)
    with pytest.raises(warehouse.WarehouseError, match="est chiffré : définir la variable OBSERVATOIRE_CLE_"):
        reset_working_copy(layout["working"], layout["published"])
    # the diffusion file is for partners: never encrypted, and still holds only what they may get
    monkeypatch.setenv(warehouse.ENCRYPTION_KEY_ENV, "cle-de-chiffrement-de-test")
    assert_only_what_partners_may_get(layout["diffusion"], layout["published"])
    with duckdb.connect(str(layout["diffusion"]), read_only=True) as con:
        assert con.execute("SELECT nb_fichiers_charges FROM publication.fraicheur_sources "
                           "WHERE source = 'fsl'").fetchone()[0] == 1
