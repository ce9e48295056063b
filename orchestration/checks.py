"""Dagster asset checks running the GX suites of expectations/ through observatoire/quality/suites.py.

- ``validite`` on each raw asset (``raw/<source>``): the source's suite on the files loaded and not yet
  published (this run's files, plus those of a run whose publication was blocked);
- ``fraicheur`` on each raw asset: the age of the source's latest extraction at the reference date;
- ``coherence`` on the portrait marts (``marts/portrait_departement|territoire|epci``).

All checks are blocking. A failed ERROR expectation gives ``AssetCheckSeverity.ERROR``: Dagster then fails the
check's step and skips every asset downstream (dbt after a raw check, the publication after a mart check).
Failures of WARN expectations only give ``passed=False`` with ``AssetCheckSeverity.WARN``: reported, never
blocking (Dagster 1.13 gates downstream steps on blocking checks that fail with severity ERROR only).

The checks need a resource ``entrepot`` with ``warehouse`` (working DuckDB file, opened read-only),
``published`` (published copy, whose ledger says which files were already published) and ``reports_dir``
(results go to its ``VALIDATION_RESULTS``; the GX Data Docs of the run, its ``DATA_DOCS_DIR``, are built from
them once the run is over: observatoire/settings.py).
"""

from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    AssetKey,
    Failure,
    MetadataValue,
    asset_check,
)

from observatoire.extracts import SOURCES
from observatoire.quality.suites import Resultat, files_to_validate, record_results, reference_date, validate
from observatoire.settings import DATA_DOCS_DIR, SECRET_AUDIT_REPORT
from observatoire.warehouse import connect

RESOURCE = "entrepot"
PORTRAITS = ("portrait_departement", "portrait_territoire", "portrait_epci")
# Attributions refer to known demands: their check runs after the demands are loaded (and checked: an
# additional dependency on an asset waits for that asset's blocking checks). The portrait checks read each
# other's tables but need no such dependency: the three marts come out of the same dbt step, and
# dependencies between their blocking checks would make a cycle.
EXTRA_DEPS = {"sne_attributions": [AssetKey(["raw", "sne_demandes"])]}


def _run_id(context: AssetCheckExecutionContext) -> str:
    try:
        return str(context.op_execution_context.run_id)
    except Exception:  # a context built outside a run
        return "hors-run"


def _open(entrepot):
    try:
        return connect(entrepot.warehouse, read_only=True)
    except duckdb.Error as e:
        raise Failure(description=f"Entrepôt {entrepot.warehouse} illisible pour les contrôles de qualité : "
                                  f"{str(e).splitlines()[0]}") from None


def conclude(context: AssetCheckExecutionContext, controle: str, resultats: Sequence[Resultat],
             **metadata) -> AssetCheckResult:
    """Record the results and turn the worst severity into the check's result."""
    entrepot = getattr(context.resources, RESOURCE)
    rapports = Path(entrepot.reports_dir)
    path = record_results(rapports, _run_id(context), controle, resultats)
    errors = sum(len(r.echecs("ERROR")) for r in resultats)
    warnings = sum(len(r.echecs("WARN")) for r in resultats)
    report = "\n\n".join(r.rapport() for r in resultats)
    for r in resultats:
        log = context.log.error if r.severite == "ERROR" else context.log.warning if r.severite else context.log.info
        log(r.rapport())
    return AssetCheckResult(
        passed=not errors and not warnings,
        severity=AssetCheckSeverity.WARN if warnings and not errors else AssetCheckSeverity.ERROR,
        description=" ".join(r.resume() for r in resultats),
        metadata={
            "resume": MetadataValue.md(report),
            "erreurs_bloquantes": errors,
            "avertissements": warnings,
            "attendus_evalues": sum(len(r.attendus) for r in resultats),
            "duree_s": round(sum(r.duree_s for r in resultats), 2),
            "resultats_json": MetadataValue.path(str(path)),
            "data_docs": MetadataValue.path(str(rapports / DATA_DOCS_DIR / "index.html")),
            **metadata,
        },
    )


def _validite(source: str) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey(["raw", source]),
        name="validite",
        blocking=True,
        required_resource_keys={RESOURCE},
        additional_deps=EXTRA_DEPS.get(source),
        description=f"Validité de raw.{source} (Great Expectations, expectations/{source}.py) : colonnes, "
                    "formats, listes de codes, communes, dates, montants, clés, volumes des fichiers non publiés.",
    )
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        entrepot = getattr(context.resources, RESOURCE)
        con = _open(entrepot)
        try:
            files = files_to_validate(con, source, entrepot.published)
            if not files:  # its published files were validated before their publication
                return AssetCheckResult(passed=True, description=f"Aucune extraction nouvelle de {source} : rien à "
                                        "valider (les fichiers publiés l'ont été avant leur publication).",
                                        metadata={"resume": "aucune extraction nouvelle", "fichiers_valides": 0})
            resultat = validate(con, source, files)
        finally:
            con.close()
        return conclude(context, f"raw/{source}:validite", [resultat],
                        fichiers_valides=len(files), lignes_validees=resultat.lignes.get("lignes", 0),
                        fichiers=MetadataValue.md("\n".join(f"- {f}" for f in files[:50]) or "aucun"))

    return _check


def _fraicheur(source: str) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey(["raw", source]),
        name="fraicheur",
        blocking=True,
        required_resource_keys={RESOURCE},
        description=f"Fraîcheur de la dernière extraction de {source} (cadence, délai de grâce et seuil d'erreur "
                    "de expectations/fraicheur.yml).",
    )
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        entrepot = getattr(context.resources, RESOURCE)
        reference = reference_date()
        con = _open(entrepot)
        try:
            resultat = validate(con, f"fraicheur_{source}", reference=reference)
            latest = con.execute("SELECT max(date_extraction) FROM raw.journal_chargements "
                                 "WHERE source = ? AND statut = 'CHARGE'", [source]).fetchone()[0]
        except duckdb.Error:
            latest = None
        finally:
            con.close()
        return conclude(context, f"raw/{source}:fraicheur", [resultat], date_reference=reference.isoformat(),
                        derniere_extraction=latest.isoformat() if latest else "aucune")

    return _check


def _coherence(mart: str) -> AssetChecksDefinition:
    @asset_check(
        asset=AssetKey(["marts", mart]),
        name="coherence",
        blocking=True,
        required_resource_keys={RESOURCE},
        description=f"Cohérence de marts.{mart} (Great Expectations, expectations/portraits.py) : une ligne par "
                    "zone et année, sommes réconciliées entre niveaux, ratios dans leurs bornes.",
    )
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        entrepot = getattr(context.resources, RESOURCE)
        con = _open(entrepot)
        try:
            resultat = validate(con, mart)
        finally:
            con.close()
        return conclude(context, f"marts/{mart}:coherence", [resultat])

    return _check


# --- secret statistique: an attacker's audit of the diffusion layer (observatoire/quality/secret_audit.py) ----------
SECRET_ASSET = AssetKey(["diffusion", "diffusion_portrait_epci"])


@asset_check(
    asset=SECRET_ASSET,
    name="secret_statistique",
    blocking=True,
    required_resource_keys={RESOURCE},
    description="Audit du secret statistique de toute la couche diffusion : pour chaque cellule masquée, intervalle "
                "qu'un attaquant déduit de tout ce qui est publié (programmation linéaire) ; bloque la publication si "
                "une cellule est retrouvée exactement ou si une cellule sous le seuil est encadrée plus étroitement "
                "que le niveau de protection.",
)
def secret_statistique(context: AssetCheckExecutionContext) -> AssetCheckResult:
    from observatoire.quality.secret_audit import audit_diffusion, secret_thresholds

    entrepot = getattr(context.resources, RESOURCE)
    con = _open(entrepot)
    try:
        audit = audit_diffusion(con, **secret_thresholds())
    finally:
        con.close()
    path = Path(entrepot.reports_dir) / SECRET_AUDIT_REPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(audit.json(_run_id(context)), encoding="utf-8")
    failles = "\n".join(f"- {f.phrase()}" for f in audit.failles[:30])
    (context.log.error if audit.failles else context.log.info)(audit.resume() + ("\n" + failles if failles else ""))
    return AssetCheckResult(
        passed=not audit.failles,
        severity=AssetCheckSeverity.ERROR,
        description=audit.resume(),
        metadata={"cellules_masquees": audit.masquees, "retrouvees_exactement": audit.exactes,
                  "intervalles_trop_etroits": audit.etroites, "publiees_sous_le_seuil": audit.publiees,
                  "relations": audit.relations, "programmes_lineaires": audit.programmes, "duree_s": audit.duree_s,
                  "failles": MetadataValue.md(failles or "aucune"), "rapport_json": MetadataValue.path(str(path))},
    )


_FACTORIES: list[tuple[Callable[[str], AssetChecksDefinition], Sequence[str]]] = [
    (_validite, list(SOURCES)), (_fraicheur, list(SOURCES)), (_coherence, PORTRAITS)]
ASSET_CHECKS: list[AssetChecksDefinition] = [factory(name) for factory, names in _FACTORIES for name in names]
ASSET_CHECKS.append(secret_statistique)
