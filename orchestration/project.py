"""The dbt project Dagster runs (its manifest must exist before the assets are defined: `observatoire actualiser`
and `make dev` prepare it; nothing here runs `dbt parse` at import time)."""

from dagster_dbt import DbtProject

from observatoire.settings import PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
DBT_PROJECT.prepare_if_dev()  # only under `dagster dev`
