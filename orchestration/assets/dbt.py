"""The dbt build as Dagster assets: seeds, models and their data tests, grouped by layer."""

import graphlib
import json
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, Output
from dagster_dbt import DagsterDbtTranslator, dbt_assets

from observatoire.dbt_selection import (
    dbt_project_fingerprint,
    keep_partial_parse,
    last_build_fingerprint,
    record_build,
    redelivered_sources,
    unchanged_nodes,
    what_changed,
)
from orchestration.project import DBT_PROJECT
from orchestration.resources import DbtCli, WarehouseResource

# Dagster groups of the dbt nodes, by the project folder they come from (the warehouse's layers).
LAYER_GROUPS = {"staging": "preparation", "intermediate": "intermediaire", "marts": "indicateurs",
                "diffusion": "diffusion"}
SEED_GROUP = "referentiels"


class LayerTranslator(DagsterDbtTranslator):
    """Keys as dagster-dbt gives them (schema / name, which the dbt sources map onto the ingestion assets);
    groups named in French after the layer of the model, seeds in « referentiels »."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return SEED_GROUP
        folder = dbt_resource_props["original_file_path"].split("/")[1]  # models/<layer>/...
        return LAYER_GROUPS.get(folder, "autres_modeles")


TRANSLATOR = LayerTranslator()


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=TRANSLATOR)
def observatoire_dbt(context: AssetExecutionContext, dbt: DbtCli, entrepot: WarehouseResource):
    """Seeds, models and their data tests, in one `dbt build` (the unit tests of the formulas run in `make test`).

    When the dbt project changed since the last build, or on the first one, everything is rebuilt
    (`--full-refresh`). Otherwise the build is incremental: only what depends on the newly loaded files is
    rebuilt and tested (`unchanged_nodes`), and staging models read again only the keys of those files."""
    fingerprint = dbt_project_fingerprint()
    redelivered: set[str] = set()
    con = entrepot.connect()  # dbt must build on the working copy, never on an empty new file
    try:
        incremental = last_build_fingerprint(con) == fingerprint
        if incremental:
            manifest = json.loads(DBT_PROJECT.manifest_path.read_text(encoding="utf-8"))
            new_sources, calendar_moved = what_changed(con, manifest)
            redelivered = redelivered_sources(con)
    finally:
        con.close()
    args, skipped = ["build", "--exclude", "test_type:unit"], []
    if incremental and not context.is_subset:  # a subset chosen in the Dagster UI is built as chosen
        skipped = unchanged_nodes(manifest, new_sources, calendar_moved)
        # indirect selection "empty": excluding a node must not take away the tests of rebuilt models reading it
        names = [manifest["nodes"][uid]["name"] for uid in skipped]
        args = ["build", "--exclude", " ".join(["test_type:unit", *names]), "--indirect-selection", "empty"]
        context.log.info(
            "Construction dbt incrémentale (projet inchangé depuis la dernière construction) : sources ayant "
            f"reçu des fichiers : {', '.join(sorted(new_sources)) or 'aucune'} ; date de la dernière extraction "
            f"{'déplacée' if calendar_moved else 'inchangée'} ; {len(skipped)} modèles, seeds et tests inchangés "
            "non reconstruits.")
    if not incremental or redelivered:
        args.append("--full-refresh")
        context.log.info("Construction dbt complète (--full-refresh)" + (
            f" des modèles reconstruits : fichier(s) relivré(s) sous le même nom ({', '.join(sorted(redelivered))})"
            if incremental else ""))
    # Unchanged tables are current: reported as such (before the rebuilt ones, which may read them: Dagster
    # wants a multi-asset's outputs in dependency order), so that publication and the checks downstream run.
    tables = {uid for uid in skipped if not uid.startswith("test.")}
    order = graphlib.TopologicalSorter({uid: tables.intersection(manifest["parent_map"][uid]) for uid in tables})
    for uid in order.static_order():
        key = TRANSLATOR.get_asset_key(manifest["nodes"][uid])
        yield Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key),
                     metadata={"reconstruit": False,
                               "motif": "entrées inchangées depuis la construction précédente : table conservée"})
    if skipped and len(skipped) == sum(n["resource_type"] in ("model", "seed", "test")
                                       for n in manifest["nodes"].values()):
        context.log.info("Rien à reconstruire : dbt n'est pas lancé.")
        return
    invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    keep_partial_parse(invocation.target_path)
    con = entrepot.connect()
    try:
        record_build(con, fingerprint, "incrementale" if incremental else "complete")
    finally:
        con.close()
