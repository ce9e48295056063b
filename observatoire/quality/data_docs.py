"""GX Data Docs (static HTML) of validation results: of given results (``publish_data_docs``), or of the run
recorded by observatoire/quality/suites.py's ``record_results`` (``publish_run_data_docs``, once a refresh is over)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from pathlib import Path

import great_expectations as gx
from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResultSchema
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from observatoire.quality.suites import Resultat, _context, _locked
from observatoire.settings import DATA_DOCS_DIR, VALIDATION_RESULTS

DATA_DOCS_SITE = "observatoire"


def publish_data_docs(resultats: Iterable[Resultat], dossier: Path | str) -> Path:
    """Write GX Data Docs (static HTML) of these results, and only these, into ``dossier``; return index.html."""
    dossier = Path(dossier)
    if dossier.exists():
        shutil.rmtree(dossier)
    dossier.mkdir(parents=True)
    context = _context()
    context.add_data_docs_site(site_name=DATA_DOCS_SITE, site_config={
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(dossier)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    })
    schema = ExpectationSuiteValidationResultSchema()
    batches: dict[str, int] = {}  # suite name -> batches stored (a row frame is validated by batches of files)
    for resultat in resultats:
        for item in resultat.gx:
            suite = item["suite"]
            if suite["name"] not in batches:
                context.suites.add(gx.ExpectationSuite(
                    name=suite["name"], expectations=suite.get("expectations", []), meta=suite.get("meta")))
            batches[suite["name"]] = batches.get(suite["name"], 0) + 1
            result = schema.load(item["resultat"])
            run_time = (item["resultat"].get("meta", {}).get("run_id") or {}).get("run_time")
            suite_id = ExpectationSuiteIdentifier(name=suite["name"])
            result_id = ValidationResultIdentifier(
                expectation_suite_identifier=suite_id,
                run_id=RunIdentifier(run_name=resultat.suite, run_time=run_time),
                batch_identifier=f"lot_{batches[suite['name']]}")
            context.validation_results_store.store_validation_results(result, result_id, suite_id)
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    return dossier / "index.html"


def publish_run_data_docs(rapports: Path | str) -> Path:
    """GX Data Docs of the run recorded in ``rapports/qualite/derniere_validation.json``, into ``rapports/gx/``.

    Built once, at the end of a refresh: rebuilt after each of its 15 checks, they cost 0.5 s per check."""
    rapports = Path(rapports)
    path = rapports / VALIDATION_RESULTS
    with _locked(path.with_name(".derniere_validation.lock")):
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"controles": {}}
        every = [Resultat.from_dict(r) for c in data["controles"].values() for r in c["resultats"]]
        return publish_data_docs(every, rapports / DATA_DOCS_DIR)
