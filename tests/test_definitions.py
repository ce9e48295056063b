"""The Dagster definitions the UI (`make dev`) and `observatoire actualiser` share."""

from __future__ import annotations

import sys
from functools import cached_property
from pathlib import Path

from dagster import AssetKey

from orchestration.cli import ensure_dbt_manifest
from orchestration.extracts import SOURCES


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

    from orchestration.definitions import DBT_PROJECT, DbtCli
    from orchestration.settings import PROJECT_DIR

    # The private members DbtCli overrides still exist in the pinned dagster-dbt...
    assert isinstance(DbtCliResource.__dict__["_cli_version"], cached_property)
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])
    # ...and the version read from the package is the one `dbt --version` prints.
    options = {"project_dir": DBT_PROJECT, "profiles_dir": str(PROJECT_DIR),
               "dbt_executable": str(Path(sys.executable).parent / "dbt")}
    assert DbtCli(**options)._cli_version == DbtCliResource(**options)._cli_version
    assert DbtCli(**options)._initialize_dbt_core_adapter(["build"]) is None
