"""Publication: the warehouse replaced atomically once every blocking check passed, then the COTECH dossier."""

from pathlib import Path

from dagster import AssetKey, MaterializeResult, asset

from observatoire.warehouse import publish
from orchestration.assets.dbt import observatoire_dbt
from orchestration.resources import WarehouseResource


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
