"""The Dagster definitions the UI (`make dev`) and `observatoire actualiser` share."""

from __future__ import annotations

import json
import sys
from functools import cached_property
from pathlib import Path

from dagster import AssetKey

from observatoire.cli import ensure_dbt_manifest
from observatoire.extracts import SOURCES


def test_job_chains_ingestion_dbt_and_publication():
    ensure_dbt_manifest()
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    for source in SOURCES.values():
        raw = AssetKey(["raw", source.name])
        assert raw in keys
        staging = AssetKey(["staging", source.staging])
        assert staging in keys, staging
        assert raw in graph.get(staging).parent_keys  # dbt sources map onto the ingestion assets
    published = graph.get(AssetKey(["entrepot_publie"]))
    assert AssetKey(["staging", "stg_fsl__demandes_aide"]) in published.parent_keys
    job = defs.resolve_job_def("actualisation")
    assert job.executor_def.name == "in_process"  # one DuckDB writer at a time


def test_the_dbt_resource_skips_only_what_a_refresh_does_not_use():
    ensure_dbt_manifest()
    from dagster_dbt import DbtCliResource

    from observatoire.settings import PROJECT_DIR
    from orchestration.project import DBT_PROJECT
    from orchestration.resources import DbtCli

    # The private members DbtCli overrides still exist in the pinned dagster-dbt...
    assert isinstance(DbtCliResource.__dict__["_cli_version"], cached_property)
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])
    # ...and the version read from the package is the one `dbt --version` prints.
    options = {"project_dir": DBT_PROJECT, "profiles_dir": str(PROJECT_DIR),
               "dbt_executable": str(Path(sys.executable).parent / "dbt")}
    assert DbtCli(**options)._cli_version == DbtCliResource(**options)._cli_version
    assert DbtCli(**options)._initialize_dbt_core_adapter(["build"]) is None



def _manifest() -> dict:
    from orchestration.project import DBT_PROJECT

    ensure_dbt_manifest()
    return json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))


def _names(uids) -> set[str]:
    return {uid.split(".")[2] for uid in uids}  # model.observatoire.<name>, test.observatoire.<name>.<hash>


def _skipped(new_sources: set[str], calendar_moved: bool) -> set[str]:
    from observatoire.dbt_selection import unchanged_nodes

    return _names(unchanged_nodes(_manifest(), new_sources, calendar_moved))


def test_an_incremental_build_skips_what_does_not_depend_on_the_new_files():
    every = _names(_manifest()["nodes"])
    skipped = _skipped({"sne_demandes"}, calendar_moved=False)
    # what reads the new SNE file is rebuilt and tested, down to the portraits and their diffusion...
    for rebuilt in ("stg_sne__demandes", "int_sne__demandes_en_cours", "int_sne__attributions", "sne_indicateurs",
                    "portrait_territoire", "diffusion_portrait_epci", "indicateurs_plan",
                    "colonnes_renseignees_stg_sne__demandes_numero_unique__code_commune_souhaitee__typologies_souhaitees__date_depot__statut",
                    "relationships_stg_sne__demandes_code_commune_residence__code_commune__ref_communes_"):
        assert rebuilt in every and rebuilt not in skipped, rebuilt
    # ...the other sources, the geography and the seeds (unchanged project) are not, nor their tests
    for kept in ("stg_fsl__demandes_aide", "int_fsl__decisions", "fsl_indicateurs", "stg_sne__attributions",
                 "int_ccapex__procedures", "int_calendrier__annees", "int_geo__zones_annees", "communes",
                 "colonnes_renseignees_stg_fsl__demandes_aide_numero_dossier__code_commune__volet__date_depot",
                 "unique_communes_code_commune"):
        assert kept in skipped, kept


def test_a_moved_latest_extraction_date_rebuilds_every_theme_of_the_current_year():
    skipped = _skipped({"sne_demandes"}, calendar_moved=True)
    for rebuilt in ("int_calendrier__annees", "int_geo__zones_annees", "fsl_indicateurs", "ccapex_indicateurs",
                    "dalo_indicateurs"):
        assert rebuilt not in skipped, rebuilt
    assert {"int_fsl__decisions", "stg_fsl__demandes_aide", "communes"} <= skipped


def test_nothing_new_skips_every_model_seed_and_test():
    every = _names(uid for uid, n in _manifest()["nodes"].items() if n["resource_type"] in ("model", "seed", "test"))
    assert _skipped(set(), calendar_moved=False) == every
