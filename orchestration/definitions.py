"""Dagster definitions: ingestion assets (one per source) -> dbt build -> publication, in one job.

The dbt manifest must exist before this module is imported (`observatoire actualiser` and `make dev`
prepare it); nothing here runs `dbt parse` at import time.
"""


import graphlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
from functools import cached_property
from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSelection,
    Config,
    ConfigurableResource,
    Definitions,
    MaterializeResult,
    MetadataValue,
    Output,
    asset,
    asset_check,
    define_asset_job,
    in_process_executor,
)
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from packaging import version

from observatoire.extracts import SOURCES, Source
from observatoire.ingestion import raw_schema
from observatoire.ingestion.loader import Loader
from observatoire.ingestion.raw_schema import BUILD_JOURNAL
from observatoire.publication.permissions import exposed_to_others
from observatoire.settings import PROJECT_DIR, Settings, dbt_input_files, settings
from observatoire.warehouse import connect, encryption_key, latest_recorded, publish, reset_working_copy
from orchestration.checks import ASSET_CHECKS

DBT_PROJECT = DbtProject(project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR)
DBT_PROJECT.prepare_if_dev()  # only under `dagster dev`


class WarehouseResource(ConfigurableResource):
    """Where the extracts are, the working warehouse, the published copies and the pseudonymisation key."""

    depot_dir: str
    warehouse: str
    published: str
    reports_dir: str
    diffusion: str = ""
    key_file: str = ""

    @classmethod
    def from_settings(cls, s: Settings) -> "WarehouseResource":
        return cls(depot_dir=str(s.depot_dir), warehouse=str(s.warehouse), published=str(s.published),
                   reports_dir=str(s.reports_dir), diffusion=str(s.diffusion), key_file=str(s.key_file))

    def connect(self):
        """The working warehouse, read-write (created from the published one if
        a single asset is materialised outside the job, e.g. from the Dagster UI)."""
        working, published = Path(self.warehouse), Path(self.published)
        if not working.exists():
            reset_working_copy(working, published)
        return connect(working)

    def pseudonymisation_key(self) -> bytes:
        key = os.environ.get("OBSERVATOIRE_CLE_PSEUDO", "")
        if not key:
            raise RuntimeError("Clé de pseudonymisation absente : définir OBSERVATOIRE_CLE_PSEUDO.")
        return key.encode("utf-8")


class DepartTravail(Config):
    """Where a refresh starts: the published warehouse, or nothing (``observatoire changer-cle`` reloads every
    extract of the dépôt under the new pseudonymisation key)."""

    depuis_zero: bool = False


@asset(
    key=AssetKey(["entrepot_de_travail"]),
    group_name="ingestion",
    kinds={"duckdb"},
    description="Copie de travail de l'entrepôt publié : chaque actualisation part du dernier état publié "
                "(écrire, contrôler, publier) ; ce qu'une actualisation bloquée ou interrompue a laissé est écarté.",
)
def entrepot_de_travail(config: DepartTravail, entrepot: WarehouseResource) -> MaterializeResult:
    published = None if config.depuis_zero else Path(entrepot.published)
    reset_working_copy(Path(entrepot.warehouse), published)
    working = Path(entrepot.warehouse)
    return MaterializeResult(metadata={"chemin": str(working),
                                       "depuis_publie": published is not None and published.exists()})


EXAMPLES_SHOWN = 3


@asset_check(asset=entrepot_de_travail, name="acces_extractions", blocking=False,
             description="Avertit quand d'autres utilisateurs de la machine peuvent lire le dossier des extractions, "
                         "une extraction ou la clé de pseudonymisation (n'empêche pas la publication).")
def acces_extractions(entrepot: WarehouseResource) -> AssetCheckResult:
    exposed = exposed_to_others(Path(entrepot.depot_dir), Path(entrepot.key_file))
    if not exposed:
        return AssetCheckResult(passed=True, metadata={"resume": "extractions et clé lisibles par l'équipe seule"})
    shown = " ; ".join(exposed[:EXAMPLES_SHOWN]) + (f" ; et {len(exposed) - EXAMPLES_SHOWN} autre(s)"
                                                   if len(exposed) > EXAMPLES_SHOWN else "")
    return AssetCheckResult(passed=False, severity=AssetCheckSeverity.WARN, metadata={"resume": (
        f"{len(exposed)} élément(s) lisible(s) par les autres utilisateurs de la machine : {shown}. "
        f"Les restreindre, par exemple « chmod -R o-rwx {entrepot.depot_dir} » et « chmod 600 <clé> ».")})


def _ingestion_asset(source: Source):
    @asset(
        key=AssetKey(["raw", source.name]),
        deps=[entrepot_de_travail],
        group_name="ingestion",
        kinds={"duckdb"},
        description=f"{source.label} : chargement des fichiers de depot/{source.name}/ dans raw.{source.name} "
                    f"({source.grain}).",
    )
    def _load(context: AssetExecutionContext, entrepot: WarehouseResource) -> MaterializeResult:
        con = entrepot.connect()
        try:
            loader = Loader(con, entrepot.pseudonymisation_key())
            if loader.key_note:
                context.log.warning(loader.key_note)
            results = loader.load_source(source, Path(entrepot.depot_dir) / source.name)
            total = con.execute(f"SELECT count(*) FROM raw.{source.name}").fetchone()[0]
        finally:
            con.close()
        for r in results:
            log = context.log.warning if r.statut in ("REFUSE", "EN_ATTENTE") else context.log.info
            log(r.message + (f" Avertissements : {' ; '.join(r.avertissements)}" if r.avertissements else ""))
        refused = [r.message for r in results if r.statut == "REFUSE"]
        return MaterializeResult(metadata={
            "fichiers_charges": sum(r.statut == "CHARGE" for r in results),
            "fichiers_refuses": len(refused),
            "fichiers_en_attente": sum(r.statut == "EN_ATTENTE" for r in results),
            "lignes_chargees": sum(r.nb_lignes_chargees for r in results),
            "lignes_rejetees": sum(r.nb_lignes_rejetees for r in results),
            "lignes_en_base": total,
            "refus": MetadataValue.md("\n".join(f"- {m}" for m in refused) or "aucun"),
        })

    _load.__name__ = f"raw_{source.name}"
    return _load


INGESTION_ASSETS = [_ingestion_asset(s) for s in SOURCES.values()]


def dbt_project_fingerprint() -> str:
    """sha256 of the dbt project's files (models, macros, seeds, tests...)."""
    digest = hashlib.sha256()
    for path in dbt_input_files():
        digest.update(str(path.relative_to(PROJECT_DIR)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def last_build_fingerprint(con) -> str | None:
    """The dbt project's fingerprint at the warehouse's latest dbt build (None before the first one)."""
    return latest_recorded(con, BUILD_JOURNAL, "empreinte_projet", "construit_le")


def _record_build(con, fingerprint: str, mode: str) -> None:
    raw_schema.ensure_build_journal(con)
    con.execute(f"INSERT INTO {BUILD_JOURNAL} VALUES (current_localtimestamp(), ?, ?)", [fingerprint, mode])


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


def unchanged_nodes(manifest: dict, new_sources: set[str], calendar_moved: bool) -> list[str]:
    """The models, seeds and data tests an incremental build can skip: those whose inputs did not change.

    What changes is known before dbt runs: the staging models of the sources that received files, and,
    when the latest extraction date moved, the calendar (the stock date of the current year) -- then
    everything downstream of them. A data test runs when one of the nodes it reads is rebuilt (a
    relationship test of a rebuilt model towards a seed included)."""
    nodes = manifest["nodes"]
    roots = [uid for uid, n in nodes.items() if n["resource_type"] == "model" and (
        any(dep.startswith("source.") and dep.rsplit(".", 1)[1] in new_sources for dep in n["depends_on"]["nodes"])
        or (calendar_moved and n["name"] == "int_calendrier__annees"))]
    rebuilt, todo = set(), list(roots)
    while todo:
        uid = todo.pop()
        if uid not in rebuilt:
            rebuilt.add(uid)
            todo.extend(c for c in manifest["child_map"].get(uid, []) if c.startswith("model."))
    tested = {uid for uid, n in nodes.items() if n["resource_type"] == "test"
              and rebuilt.intersection(n["depends_on"]["nodes"])}
    return sorted(uid for uid, n in nodes.items()
                  if n["resource_type"] in ("model", "seed", "test") and uid not in rebuilt | tested)


def _what_changed(con, manifest: dict) -> tuple[set[str], bool]:
    """Sources with files loaded since the last dbt build; whether the latest extraction date moved."""
    new_sources = {r[0] for r in con.execute(
        f"SELECT DISTINCT source FROM raw.journal_chargements WHERE statut = 'CHARGE' "
        f"AND charge_le > (SELECT max(construit_le) FROM {BUILD_JOURNAL})").fetchall()}
    calendar = next(f'"{n["schema"]}"."{n["alias"]}"' for n in manifest["nodes"].values()
                    if n["name"] == "int_calendrier__annees")
    moved = con.execute(
        "SELECT (SELECT max(date_extraction) FROM raw.journal_chargements WHERE statut = 'CHARGE') "
        f"IS DISTINCT FROM (SELECT max(date_stock) FROM {calendar})").fetchone()[0]
    return new_sources, moved


def _redelivered(con) -> set[str]:
    """Sources with a file delivered again under its name since the last dbt build. The new delivery replaces
    the earlier copy as a whole: keys found only in that copy must leave staging, which an incremental build
    (delete+insert on the keys it outputs) cannot do, so those staging models are rebuilt in full."""
    return {r[0] for r in con.execute(f"""
        SELECT DISTINCT nouveau.source FROM raw.journal_chargements AS nouveau
        SEMI JOIN raw.journal_chargements AS ancien
            ON ancien.source = nouveau.source AND ancien.fichier = nouveau.fichier
               AND ancien.statut = 'CHARGE' AND ancien.charge_le < nouveau.charge_le
        WHERE nouveau.statut = 'CHARGE'
          AND nouveau.charge_le > (SELECT max(construit_le) FROM {BUILD_JOURNAL})""").fetchall()}


@dbt_assets(manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT)
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
            new_sources, calendar_moved = _what_changed(con, manifest)
            redelivered = _redelivered(con)
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
    translator, tables = DagsterDbtTranslator(), {uid for uid in skipped if not uid.startswith("test.")}
    order = graphlib.TopologicalSorter({uid: tables.intersection(manifest["parent_map"][uid]) for uid in tables})
    for uid in order.static_order():
        key = translator.get_asset_key(manifest["nodes"][uid])
        yield Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key),
                     metadata={"reconstruit": False,
                               "motif": "entrées inchangées depuis la construction précédente : table conservée"})
    if skipped and len(skipped) == sum(n["resource_type"] in ("model", "seed", "test")
                                       for n in manifest["nodes"].values()):
        context.log.info("Rien à reconstruire : dbt n'est pas lancé.")
        return
    invocation = dbt.cli(args, context=context)
    yield from invocation.stream()
    _keep_partial_parse(invocation.target_path)
    con = entrepot.connect()
    try:
        _record_build(con, fingerprint, "incrementale" if incremental else "complete")
    finally:
        con.close()


def _keep_partial_parse(run_target: Path) -> None:
    """Make this run's parse state the one the next run starts from. dagster-dbt copies target/'s
    partial_parse.msgpack into each run's own target folder, but dbt discards it when the profile differs
    (the warehouse path is in the profile), so every refresh re-parsed the whole project (4 s)."""
    produced = PROJECT_DIR / run_target / "partial_parse.msgpack"  # run_target is relative to the project
    if produced.exists():
        kept = PROJECT_DIR / "target" / "partial_parse.msgpack"
        staged = kept.with_suffix(f".{os.getpid()}.tmp")
        shutil.copyfile(produced, staged)
        os.replace(staged, kept)  # atomic: a concurrent dbt call reads the old state or the new one


@asset(
    key=AssetKey(["entrepot_publie"]),
    deps=[observatoire_dbt],
    group_name="publication",
    kinds={"duckdb"},
    description="Entrepôt interne (data/publie/observatoire.duckdb, équipe de l'observatoire seule) et fichier de "
                "diffusion (data/publie/observatoire_diffusion.duckdb : diffusion, référentiel, fraîcheur ; pour les "
                "partenaires, le site et le dossier), remplacés atomiquement.",
)
def entrepot_publie(entrepot: WarehouseResource) -> MaterializeResult:
    path = publish(Path(entrepot.warehouse), Path(entrepot.published), Path(entrepot.diffusion))
    return MaterializeResult(metadata={"chemin": str(path), "taille_octets": path.stat().st_size,
                                       "fichier_diffusion": entrepot.diffusion,
                                       "taille_diffusion_octets": Path(entrepot.diffusion).stat().st_size})


@asset(
    key=AssetKey(["dossier_cotech"]),
    deps=[entrepot_publie],
    group_name="publication",
    kinds={"pdf", "html"},
    description="Dossier du COTECH (PDF et site HTML) construit depuis le fichier de diffusion.",
)
def dossier_cotech(entrepot: WarehouseResource) -> MaterializeResult:
    from observatoire.dossier import build

    built = build(Path(entrepot.diffusion), Path(entrepot.reports_dir))
    return MaterializeResult(metadata={"pdf": str(built["pdf"]), "html": str(built["html"]),
                                       "duree_s": round(built["duree_s"], 1)})


actualisation = define_asset_job(
    "actualisation",
    selection=AssetSelection.all(),
    description="Ingestion des extractions, dbt build, contrôles, publication de l'entrepôt et dossier du COTECH.",
    executor_def=in_process_executor,  # one DuckDB writer at a time
)


def build_definitions() -> Definitions:
    s = settings()
    os.environ.setdefault("OBSERVATOIRE_ENTREPOT", str(s.warehouse))
    return Definitions(
        assets=[entrepot_de_travail, *INGESTION_ASSETS, observatoire_dbt, entrepot_publie, dossier_cotech],
        asset_checks=[*ASSET_CHECKS, acces_extractions],
        jobs=[actualisation],
        resources={
            "entrepot": WarehouseResource.from_settings(s),
            "dbt": DbtCli(project_dir=DBT_PROJECT, profiles_dir=str(PROJECT_DIR),
                                  dbt_executable=str(Path(sys.executable).parent / "dbt"),
                                  target="chiffre" if encryption_key() else None),  # profiles.yml
        },
        executor=in_process_executor,
    )


defs = build_definitions()
