"""Progress of a refresh read from its Dagster events while it runs: files loaded per source, dbt nodes done out
of the total, checks, publication, dossier. On a terminal, one bar rewritten in place; elsewhere (a log, cron),
plain lines."""

import threading
import time
from typing import TextIO

from dagster import AssetKey, DagsterEventType, DagsterInstance

BAR_WIDTH = 30


class Progress(threading.Thread):
    """Follows the run `run_id` in the instance's event log until `stop()`; writes to `out`. `dbt_keys` are the
    asset keys of the dbt models and seeds (each is materialised once per run, rebuilt or kept)."""

    def __init__(self, instance: DagsterInstance, run_id: str, out: TextIO, dbt_keys: set[AssetKey],
                 interval: float = 0.5):
        super().__init__(daemon=True)
        self.instance, self.run_id, self.out, self.interval = instance, run_id, out, interval
        self.terminal = out.isatty()
        self.dbt_keys, self.dbt_done, self.checks, self.failed_checks = dbt_keys, 0, 0, 0
        self.cursor: str | None = None
        self.stage = ""
        self._finished = threading.Event()
        self._dbt_shown = -1

    def run(self) -> None:
        while not self._finished.is_set():
            self.poll()
            self._finished.wait(self.interval)
        self.poll()
        if self.terminal:
            self.out.write("\n")
            self.out.flush()

    def stop(self) -> None:
        self._finished.set()
        self.join()

    def poll(self) -> None:
        connection = self.instance.get_records_for_run(self.run_id, cursor=self.cursor)
        for record in connection.records:
            if record.event_log_entry.dagster_event:
                self.handle(record.event_log_entry.dagster_event)
        self.cursor = connection.cursor

    def handle(self, event) -> None:
        kind = event.event_type
        if kind == DagsterEventType.ASSET_MATERIALIZATION:
            path = event.asset_key.path
            materialization = event.event_specific_data.materialization
            metadata = {k: getattr(v, "value", v) for k, v in materialization.metadata.items()}
            if path[0] == "raw":
                self.line("ingestion", f"{path[1]} : {metadata.get('fichiers_charges', 0)} fichier(s) chargé(s), "
                                       f"{metadata.get('fichiers_refuses', 0)} refusé(s), "
                                       f"{_french(metadata.get('lignes_chargees', 0))} lignes chargées")
            elif event.asset_key in self.dbt_keys:
                self.dbt_done += 1
                self.dbt()
            elif path == ["entrepot_publie"]:
                self.line("publication", "entrepôt publié")
            elif path == ["dossier_cotech"]:
                self.line("dossier", "dossier du COTECH construit")
        elif kind == DagsterEventType.ASSET_CHECK_EVALUATION:
            self.checks += 1
            evaluation = event.event_specific_data
            if not evaluation.passed:
                self.failed_checks += 1
                level = "bloquant" if evaluation.severity.value == "ERROR" else "avertissement"
                self.line("contrôles", f"{'/'.join(evaluation.asset_key.path)} {evaluation.check_name} : en échec "
                                       f"({level})")
        elif kind == DagsterEventType.STEP_FAILURE:
            self.line("erreur", f"étape {event.step_key} en échec")
        elif kind == DagsterEventType.STEP_START and event.step_key.endswith(("_validite", "_fraicheur")) \
                and self.stage != "contrôles":
            self.line("contrôles", "contrôles de validité et de fraîcheur des sources")

    def dbt(self) -> None:
        total = max(len(self.dbt_keys), self.dbt_done)
        if self.terminal:
            filled = BAR_WIDTH * self.dbt_done // total if total else BAR_WIDTH
            self.out.write(f"\r  dbt [{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {self.dbt_done}/{total} "
                           "modèles et seeds")
            self.out.flush()
            self.stage = "dbt"
            return
        tenth = 10 * self.dbt_done // total if total else 10
        if tenth != self._dbt_shown:  # a plain line every tenth, not one per model
            self._dbt_shown = tenth
            self.line("dbt", f"{self.dbt_done}/{total} modèles et seeds construits")

    def line(self, stage: str, text: str) -> None:
        if self.terminal and self.stage == "dbt":
            self.out.write("\n")
        self.stage = stage
        self.out.write(f"  [{time.strftime('%H:%M:%S')}] {stage} : {text}\n")
        self.out.flush()


def _french(n: int) -> str:
    return f"{int(n or 0):,}".replace(",", "\u202f")
