"""The Dagster definitions the UI (`make dev`) and `observatoire actualiser` share."""

from __future__ import annotations

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
