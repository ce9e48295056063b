"""The refresh job: every asset."""

from dagster import AssetSelection, define_asset_job

ORIGIN_TAG = "observatoire/origine"  # "cli" on the command line's runs: they hold the lock and write their reports

actualisation = define_asset_job(
    "actualisation",
    selection=AssetSelection.all(),
    description="Ingestion des extractions, dbt build, contrôles, publication de l'entrepôt et dossier du COTECH.",
)  # its executor is the definitions' (orchestration/definitions.py): one step at a time
