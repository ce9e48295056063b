"""Dagster definitions of the observatory, assembled: ingestion -> dbt build -> checks -> publication, the
refresh job, its monthly schedule and the dépôt sensor. Each part lives in its own module."""

import os

from dagster import Definitions, in_process_executor

from observatoire.settings import WAREHOUSE_ENV, settings
from orchestration.assets.dbt import observatoire_dbt
from orchestration.assets.ingestion import INGESTION_ASSETS, acces_extractions, entrepot_de_travail
from orchestration.assets.publication import dossier_cotech, entrepot_publie
from orchestration.checks import ASSET_CHECKS
from orchestration.jobs import actualisation
from orchestration.resources import build_resources
from orchestration.schedules import actualisation_mensuelle
from orchestration.sensors import RUN_ARTEFACT_SENSORS, depot_extractions


def build_definitions() -> Definitions:
    s = settings()
    os.environ.setdefault(WAREHOUSE_ENV, str(s.warehouse))  # profiles.yml reads it
    return Definitions(
        assets=[entrepot_de_travail, *INGESTION_ASSETS, observatoire_dbt, entrepot_publie, dossier_cotech],
        asset_checks=[*ASSET_CHECKS, acces_extractions],
        jobs=[actualisation],
        schedules=[actualisation_mensuelle],
        sensors=[depot_extractions, *RUN_ARTEFACT_SENSORS],
        resources=build_resources(s),
        executor=in_process_executor,  # every job, ad hoc materialisations too: one DuckDB writer at a time
    )


defs = build_definitions()
