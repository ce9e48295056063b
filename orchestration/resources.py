"""The resources of the observatory's Dagster code: the warehouse (paths and key, from the settings read once)
and the dbt command line."""

import importlib.metadata
import sys
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

from dagster import ConfigurableResource, EnvVar, Failure, InitResourceContext
from dagster_dbt import DbtCliResource
from packaging import version

from observatoire.settings import PROJECT_DIR, PSEUDONYMISATION_KEY_ENV, Settings
from observatoire.warehouse import RefreshInProgress, connect, encryption_key, refresh_lock, reset_working_copy
from orchestration.jobs import ORIGIN_TAG
from orchestration.project import DBT_PROJECT


class WarehouseResource(ConfigurableResource):
    """Where the extracts are, the working warehouse, the published copies and the pseudonymisation key."""

    depot_dir: str
    warehouse: str
    published: str
    reports_dir: str
    diffusion: str = ""
    key_file: str = ""
    # A secret: Dagster reads it from the environment when a run starts and shows only the variable's name.
    cle_pseudonymisation: str = ""

    @classmethod
    def from_settings(cls, s: Settings) -> "WarehouseResource":
        return cls(depot_dir=str(s.depot_dir), warehouse=str(s.warehouse), published=str(s.published),
                   reports_dir=str(s.reports_dir), diffusion=str(s.diffusion), key_file=str(s.key_file),
                   cle_pseudonymisation=EnvVar(PSEUDONYMISATION_KEY_ENV))

    def connect(self):
        """The working warehouse, read-write (created from the published one if
        a single asset is materialised outside the job, e.g. from the Dagster UI)."""
        working, published = Path(self.warehouse), Path(self.published)
        if not working.exists():
            reset_working_copy(working, published)
        return connect(working)

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext):
        """Each run holds the warehouse's refresh lock from its first step to its last; the command line's runs
        hold it already (observatoire/cli.py takes it before its checks of the key)."""
        run = context.run
        if run is not None and run.tags.get(ORIGIN_TAG) == "cli":
            yield self
            return
        try:
            with refresh_lock(Path(self.warehouse)):
                yield self
        except RefreshInProgress as e:
            raise Failure(description=f"Actualisation refusée : {e}") from None

    def pseudonymisation_key(self) -> bytes:
        if not self.cle_pseudonymisation:
            raise RuntimeError(f"Clé de pseudonymisation vide : définir {PSEUDONYMISATION_KEY_ENV}.")
        return self.cle_pseudonymisation.encode("utf-8")


class DbtCli(DbtCliResource):
    """dagster-dbt's resource without two start-up costs a refresh does not need (4 s per refresh, profiled):
    it ran `dbt --version` in a subprocess to learn the version of the dbt installed beside it, and built a dbt
    adapter in this process, used only to fetch row counts and column metadata, which this project does not
    fetch. Both are private members of the pinned dagster-dbt (tests/test_definitions.py checks they exist)."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


def build_resources(s: Settings) -> dict:
    """The resources of every run, from the settings (observatoire/settings.py, the one place they are read)."""
    return {
        "entrepot": WarehouseResource.from_settings(s),
        "dbt": DbtCli(project_dir=DBT_PROJECT, profiles_dir=str(PROJECT_DIR),
                      dbt_executable=str(Path(sys.executable).parent / "dbt"),
                      target="chiffre" if encryption_key() else None),  # profiles.yml
    }
