"""Ingestion: the working copy of the warehouse, then one asset per source loading its dépôt folder."""

from pathlib import Path

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    Config,
    MaterializeResult,
    MetadataValue,
    asset,
    asset_check,
)

from observatoire.extracts import SOURCES, Source
from observatoire.ingestion.loader import Loader
from observatoire.publication.permissions import exposed_to_others
from observatoire.warehouse import reset_working_copy
from orchestration.resources import WarehouseResource


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
