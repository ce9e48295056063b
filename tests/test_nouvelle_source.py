"""Adding a source is one declaration (docs/architecture.md, « Ajouter une source »): in a copy of the project,
a small fake source is declared in extracts.py, given its suite, freshness thresholds and staging model, and its
generated files are written; one refresh then loads it, stages it, checks it and lists it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from observatoire.settings import PROJECT_DIR
from tests.conftest import Demo, demo_environment
from tests.test_corpus import SMALL_DEMO, SMALL_DEMO_REFERENCE

DECLARATION = '''

ESSAI = Source(
    name="essai",
    short_label="Essai – dossiers",
    producer="Producteur d'essai",
    label="Source d'essai",
    grain="une ligne par dossier",
    cadence="mensuelle",
    staging="stg_essai__dossiers",
    key=("numero_dossier",),
    columns=(
        Column("N° dossier", "numero_dossier", "identifiant", required=True, description="Numéro du dossier"),
        Column("Nom", "nom", "personnel", description="Identifiant direct, supprimé à l'ingestion"),
        Column("Code commune", "code_commune", "commune", required=True, description="Commune du dossier"),
        Column("Date de dépôt", "date_depot", "date", required=True, description="Date de dépôt"),
        Column("Montant", "montant", "decimal", description="Montant en euros"),
    ),
)
SOURCES[ESSAI.name] = ESSAI
'''

SUITE = '''"""Suite of the fake source: the rules of its specification only."""

from observatoire.extracts import SOURCES

from .commun import rows_sql, source_suite

SUITE = source_suite(SOURCES["essai"], rows_sql(SOURCES["essai"]), [])
'''

FRESHNESS = '''  essai:
    cadence: mensuelle
    cadence_jours: 31
    grace_jours: 15
    seuil_erreur_jours: 92
'''

STAGING = '''{{ config(materialized='table') }}

select
    numero_dossier,
    code_commune,
    formats.date_fr(date_depot) as date_depot,
    formats.decimal_fr(montant) as montant,
    _fichier as fichier_source
from ({{ latest_versions('essai', 'numero_dossier') }})
'''

EXTRACT = ("N° dossier;Nom;Code commune;Date de dépôt;Montant\n"
           "E-1;Dupont;62041;02/12/2019;12,50\n"
           "E-2;Durand;62193;15/12/2019;100\n"
           "E-3;Martin;62041;31/12/2019;pas un montant\n")


def _copy_project(target: Path) -> None:
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=PROJECT_DIR, capture_output=True, check=True)
    for name in tracked.stdout.decode().split("\0"):
        if name and (PROJECT_DIR / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(PROJECT_DIR / name, target / name)


def _declare(project: Path) -> None:
    with open(project / "observatoire" / "extracts.py", "a", encoding="utf-8") as f:
        f.write(DECLARATION)
    (project / "expectations" / "essai.py").write_text(SUITE, encoding="utf-8")
    freshness = project / "expectations" / "fraicheur.yml"
    freshness.write_text(freshness.read_text(encoding="utf-8").replace("sources:\n", "sources:\n" + FRESHNESS),
                         encoding="utf-8")
    (project / "models" / "staging" / "essai").mkdir()
    (project / "models" / "staging" / "essai" / "stg_essai__dossiers.sql").write_text(STAGING, encoding="utf-8")


def test_a_source_declared_once_is_loaded_staged_checked_and_listed(tmp_path):
    from observatoire.demo import generate

    project = tmp_path / "projet"
    _copy_project(project)
    _declare(project)

    def run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", *args], cwd=project, env=env, capture_output=True, text=True,
                              timeout=900)

    # The generated files: stale until written, then up to date.
    env = demo_environment(tmp_path / "data") | {"PYTHONPATH": str(project),
                                                 "OBSERVATOIRE_DATE_REFERENCE": SMALL_DEMO_REFERENCE}
    assert run("observatoire.generators.dbt_sources", "--check", env=env).returncode == 1
    assert run("observatoire.generators.dbt_sources", env=env).returncode == 0
    assert run("observatoire.generators.dbt_sources", "--check", env=env).returncode == 0
    assert (project / "models" / "staging" / "essai" / "_essai__sources.yml").exists()

    data = tmp_path / "data"
    generate(data / "depot", progress=False, **SMALL_DEMO)
    (data / "depot" / "essai").mkdir()
    (data / "depot" / "essai" / "essai_2019-12_extrait_2020-01-06.csv").write_text(EXTRACT, encoding="utf-8")
    demo = Demo(data, env, {})
    result = run("observatoire.cli", "actualiser", env=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "essai" in result.stdout  # listed in the quality report

    con = duckdb.connect(str(demo.published), read_only=True)
    try:
        # Loaded: the good rows, the bad amount quarantined, the name never stored.
        assert con.execute("SELECT count(*) FROM raw.essai").fetchone() == (2,)
        assert "nom" not in [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = 'essai'").fetchall()]
        assert con.execute("SELECT ligne, colonne FROM raw.rejets WHERE source = 'essai'").fetchall() == \
            [(4, "Montant")]
        # Staged: typed, identifiers pseudonymised.
        rows = con.execute("SELECT code_commune, montant FROM staging.stg_essai__dossiers ORDER BY 1").fetchall()
        assert [(c, float(m)) for c, m in rows] == [("62041", 12.5), ("62193", 100.0)]
        assert not con.execute("SELECT count(*) FROM staging.stg_essai__dossiers WHERE numero_dossier LIKE 'E-%'")\
            .fetchone()[0]
    finally:
        con.close()
    # Listed: the freshness summary of the diffusion file.
    with duckdb.connect(str(demo.diffusion), read_only=True) as diffusion:
        assert diffusion.execute("SELECT nb_fichiers_charges FROM publication.fraicheur_sources "
                                 "WHERE source = 'essai'").fetchone() == (1,)
    # Checked: its GX validity suite ran and its results were written.
    reports = (data / "rapports" / "qualite").glob("*.json")
    assert any("essai" in p.read_text(encoding="utf-8") for p in reports)
