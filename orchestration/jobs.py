"""The refresh job: every asset, one step at a time."""

from dagster import AssetSelection, define_asset_job, in_process_executor

ORIGIN_TAG = "observatoire/origine"  # "cli" on the command line's runs: they hold the lock and write their reports

actualisation = define_asset_job(
    "actualisation",
    selection=AssetSelection.all(),
    description="Ingestion des extractions, dbt build, contrôles, publication de l'entrepôt et dossier du COTECH.",
    executor_def=in_process_executor,  # one DuckDB writer at a time
)
