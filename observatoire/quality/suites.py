"""Runner of the Great Expectations suites of expectations/ (GX Core 1.x, ephemeral context, analytics off).

Each frame of a suite is built by DuckDB on a connection the caller opened (read-only in the pipeline) and
handed to GX as a pandas DataFrame: the rows of the files being validated that DuckDB finds suspect (see
``precheck``: GX's cost follows the anomalies, not the volume), and small aggregates (per-file counts, keys
breaking a whole-table rule, reconciliation differences, ratio bounds).
The GX results become French results (``Resultat``): per expectation its description, severity (ERROR blocks
the publication, WARN is reported), success, observed value or unexpected count and a few examples.

    validate(con, "fsl", fichiers)         -> Resultat of the FSL suite on those files
    freshness(con, date.today())           -> one Resultat per source: age of its latest extraction
    record_results(...)                    -> a run's results (its Data Docs: observatoire/quality/data_docs.py)

The DuckDB pre-check of the row frames is observatoire/quality/precheck.py.
"""

from __future__ import annotations

import fcntl
import json
import logging
import math
import os
import re
import time
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

os.environ["GX_ANALYTICS_ENABLED"] = "False"  # no GX analytics, ever (set before GX is imported)

import duckdb  # noqa: E402
import great_expectations as gx  # noqa: E402
from great_expectations.data_context.types.base import ProgressBarsConfig  # noqa: E402
from great_expectations.expectations.metadata_types import FailureSeverity  # noqa: E402
from great_expectations.util import convert_to_json_serializable  # noqa: E402

from expectations import SUITES, Frame, Suite, freshness_suite  # noqa: E402
from observatoire.extracts import SOURCES  # noqa: E402
from observatoire.quality.precheck import precheck  # noqa: E402
from observatoire.settings import VALIDATION_RESULTS, reference_date  # noqa: E402
from observatoire.warehouse import connect  # noqa: E402

logging.getLogger("great_expectations").setLevel(logging.WARNING)

BATCH_MAX_ROWS = 500_000  # rows of one GX batch of a row frame (whole files; a larger file is one batch)
EXAMPLES = 5  # unexpected values kept per expectation
SEVERITIES = {FailureSeverity.CRITICAL: "ERROR", FailureSeverity.WARNING: "WARN", FailureSeverity.INFO: "INFO"}
LABELS = {"ERROR": "ERREUR", "WARN": "AVERTISSEMENT", "INFO": "INFORMATION"}
NOTES = {"ERROR": "Sévérité : ERREUR (bloque la publication)", "WARN": "Sévérité : AVERTISSEMENT (signalé)",
         "INFO": "Sévérité : INFORMATION"}


# --- results ----------------------------------------------------------------------------------------------
@dataclass
class ResultatAttendu:
    """One expectation's outcome, in French."""

    cadre: str
    description: str
    severite: str  # ERROR (bloquant), WARN (signalé), INFO
    succes: bool
    type_gx: str
    colonne: str | None = None
    nb_elements: int | None = None
    nb_inattendus: int | None = None
    valeur_observee: Any = None
    exemples: list = field(default_factory=list)
    erreur: str | None = None  # exception raised while evaluating (missing column...)

    def ligne(self) -> str:
        """A French line: severity, description, what was found."""
        text = f"[{LABELS.get(self.severite, self.severite)}] {self.description}"
        if self.erreur:
            return f"{text} : évaluation impossible ({self.erreur})"
        if self.nb_inattendus is not None:
            text += f" : {self.nb_inattendus:,} sur {self.nb_elements or 0:,} non conformes".replace(",", " ")
        elif self.valeur_observee is not None:
            text += f" : valeur observée {_short(self.valeur_observee)}"
        if self.exemples:
            text += " (ex. " + " ; ".join(_example(e) for e in self.exemples[:3]) + ")"
        return text


@dataclass
class Resultat:
    """The outcome of one suite (a source, a mart, a source's freshness) on one run."""

    suite: str
    libelle: str
    horodatage: str
    attendus: list[ResultatAttendu]
    fichiers: list[str] = field(default_factory=list)
    lignes: dict[str, int] = field(default_factory=dict)  # rows validated per frame
    duree_s: float = 0.0
    gx: list[dict] = field(default_factory=list)  # GX suites and validation results (JSON), for Data Docs

    @property
    def succes(self) -> bool:
        return all(a.succes for a in self.attendus)

    def echecs(self, severite: str | None = None) -> list[ResultatAttendu]:
        return [a for a in self.attendus if not a.succes and (severite is None or a.severite == severite)]

    @property
    def severite(self) -> str | None:
        """ERROR if a blocking expectation failed, WARN if only warnings did, None when all passed."""
        if self.echecs("ERROR"):
            return "ERROR"
        return "WARN" if self.echecs("WARN") else None

    def resume(self) -> str:
        n_err, n_warn = len(self.echecs("ERROR")), len(self.echecs("WARN"))
        what = f"{len(self.attendus)} attendus évalués"
        if self.fichiers:
            what += f" sur {_count(self.lignes.get('lignes', 0))} lignes de {len(self.fichiers)} fichier(s)"
        elif "lignes" in self.lignes:
            what += ", aucun fichier nouveau à valider"
        if not n_err and not n_warn:
            return f"{self.libelle} : conforme ({what})."
        return (f"{self.libelle} : {n_err} erreur(s) bloquante(s), {n_warn} avertissement(s) ({what}).")

    def rapport(self) -> str:
        """Markdown: the summary, then every failed expectation (errors first)."""
        lines = [self.resume()]
        failed = sorted(self.echecs(), key=lambda a: a.severite != "ERROR")
        lines += [f"- {a.ligne()}" for a in failed]
        return "\n".join(lines)

    def to_dict(self) -> dict:
        data = asdict(self)
        data.update(succes=self.succes, severite=self.severite, resume=self.resume())
        return convert_to_json_serializable(data)

    @classmethod
    def from_dict(cls, data: dict) -> Resultat:
        fields_ = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        fields_["attendus"] = [ResultatAttendu(**a) for a in data.get("attendus", [])]
        return cls(**fields_)


def _count(n: int) -> str:
    return f"{n:,}".replace(",", " ")


def _short(value: Any, limit: int = 120) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _example(example: Any) -> str:
    if isinstance(example, dict):
        where = [str(example[k]) for k in ("_fichier", "fichier") if example.get(k)]
        if example.get("_ligne") is not None:
            where.append(f"ligne {example['_ligne']}")
        values = [f"{k} = {v}" for k, v in example.items() if k not in ("_fichier", "fichier", "_ligne")]
        return _short(" ".join(where) + (" : " if where and values else "") + ", ".join(values))
    return _short(example)


# --- GX ------------------------------------------------------------------------------------------------------
def _context():
    """An ephemeral GX context, without progress bars, analytics or its default Data Docs site."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    for site in list(context.list_data_docs_sites()):
        context.delete_data_docs_site(site)
    return context


class _Validator:
    """GX objects of one call: a pandas data source, one dataframe asset and suite per frame."""

    def __init__(self):
        self.context = _context()
        self.datasource = self.context.data_sources.add_pandas("observatoire")
        self.definitions: dict[str, Any] = {}

    def run(self, suite: Suite, frame: Frame, df, element_counts: Sequence[int] | None = None
            ) -> tuple[list[ResultatAttendu], dict]:
        """Validate ``df``; ``element_counts`` (one per expectation) replace GX's counts when ``df`` holds only
        the suspect rows of a larger frame."""
        name = f"{suite.name}.{frame.name}"
        if name not in self.definitions:
            batch = self.datasource.add_dataframe_asset(name.replace(".", "__")) \
                .add_batch_definition_whole_dataframe("lot")
            # Copies: GX gives each expectation of a suite an id; the suites' own objects stay untouched. In
            # the copies the description starts with the severity, so that the Data Docs show it.
            gx_suite = self.context.suites.add(gx.ExpectationSuite(
                name=name, meta={"cadre": frame.description},
                expectations=[e.copy(deep=True, update={
                    "id": None, "description": f"{LABELS[SEVERITIES[e.severity]]} — {e.description}",
                    "notes": NOTES[SEVERITIES[e.severity]]}) for e in frame.expectations]))
            self.definitions[name] = self.context.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=gx_suite))
        definition = self.definitions[name]
        # GX's BASIC results first: SUMMARY's extra metrics (unexpected rows by index, counts of unexpected
        # values) cost a quarter of the run and only serve a failure's examples; a frame with a failure is run
        # again in SUMMARY, so that its examples name their rows.
        result = definition.run(batch_parameters={"dataframe": df},
                                result_format={"result_format": "BASIC", "partial_unexpected_count": EXAMPLES})
        index = [c for c in frame.index if c in df.columns]
        if not result.success:
            result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
            if index:
                result_format["unexpected_index_column_names"] = index
            result = definition.run(batch_parameters={"dataframe": df}, result_format=result_format)
        order = {e.id: i for i, e in enumerate(definition.suite.expectations)}
        outcomes = sorted(result.results, key=lambda r: order[r.expectation_config.id])
        for r, n in zip(outcomes, element_counts or [], strict=False):
            if isinstance(r.result, dict) and "element_count" in r.result:
                r.result["element_count"] = n
                for key in ("unexpected_percent", "unexpected_percent_total"):
                    if key in r.result:
                        r.result[key] = 100 * (r.result.get("unexpected_count") or 0) / n if n else None
        return [_outcome(frame.name, r, e.description, bool(index))
                for e, r in zip(frame.expectations, outcomes, strict=True)], {
            "suite": definition.suite.to_json_dict(), "resultat": result.to_json_dict()}


def _outcome(frame: str, r, description: str, indexed: bool) -> ResultatAttendu:
    config = r.expectation_config
    result = r.result or {}
    error = _exception(r.exception_info)
    # With index columns, an example names its row (file and line, indicator...); else it is the value.
    examples = (indexed and result.get("partial_unexpected_index_list")) or result.get("partial_unexpected_list") or []
    return ResultatAttendu(
        cadre=frame,
        description=description or config.type,
        severite=SEVERITIES.get(FailureSeverity(config.severity), "ERROR"),
        succes=bool(r.success) and error is None,
        type_gx=config.type,
        colonne=config.kwargs.get("column") or config.kwargs.get("column_A") or None,
        nb_elements=result.get("element_count"),
        nb_inattendus=result.get("unexpected_count"),
        valeur_observee=_json(result.get("observed_value")),
        exemples=_json(list(examples[:EXAMPLES])),
        erreur=error,
    )


def _exception(info) -> str | None:
    if not info:
        return None
    if "raised_exception" in info:
        return info.get("exception_message") if info.get("raised_exception") else None
    for value in info.values():  # keyed by metric
        if isinstance(value, dict) and value.get("raised_exception"):
            return value.get("exception_message")
    return None


def _json(value: Any) -> Any:
    value = convert_to_json_serializable(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str) and value.endswith("T00:00:00") and len(value) == 19:
        return value[:10]  # a DATE read through pandas
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


def _merge(batches: list[list[ResultatAttendu]]) -> list[ResultatAttendu]:
    """One outcome per expectation from the outcomes of several batches of the same frame."""
    merged = []
    for outcomes in zip(*batches, strict=True):
        first = outcomes[0]
        counted = [o for o in outcomes if o.nb_inattendus is not None]
        merged.append(ResultatAttendu(
            cadre=first.cadre, description=first.description, severite=first.severite,
            succes=all(o.succes for o in outcomes), type_gx=first.type_gx, colonne=first.colonne,
            nb_elements=sum(o.nb_elements or 0 for o in counted) if counted else first.nb_elements,
            nb_inattendus=sum(o.nb_inattendus or 0 for o in counted) if counted else None,
            valeur_observee=next((o.valeur_observee for o in outcomes if not o.succes), outcomes[-1].valeur_observee),
            exemples=[e for o in outcomes for e in o.exemples][:EXAMPLES],
            erreur=next((o.erreur for o in outcomes if o.erreur), None),
        ))
    return merged


# --- files -------------------------------------------------------------------------------------------------
def files_of_latest_load(con, source: str) -> list[str]:
    """The files of the source's latest load (ledger rows CHARGE with the latest ``charge_le``)."""
    rows = con.execute("""
        SELECT fichier FROM raw.journal_chargements
        WHERE source = ? AND statut = 'CHARGE'
          AND charge_le = (SELECT max(charge_le) FROM raw.journal_chargements WHERE source = ? AND statut = 'CHARGE')
        ORDER BY date_extraction, fichier""", [source, source]).fetchall()
    return [r[0] for r in rows]


def files_to_validate(con, source: str, publie: Path | str | None) -> list[str]:
    """The files loaded (CHARGE) and not yet in the published warehouse: those of this run, plus those of an
    earlier run whose publication was blocked (a file that blocked stays validated, and blocking, until it is
    removed from raw.<source> and the ledger). Without a published warehouse, every loaded file."""
    loaded = con.execute("SELECT fichier, sha256 FROM raw.journal_chargements WHERE source = ? AND statut = 'CHARGE' "
                         "ORDER BY date_extraction, fichier", [source]).fetchall()
    published: set[tuple[str, str]] = set()
    if publie and Path(publie).exists():
        pub = connect(publie, read_only=True)  # decrypted when the warehouse is encrypted
        try:
            if pub.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' "
                           "AND table_name = 'journal_chargements'").fetchone()[0]:
                published = set(pub.execute("SELECT fichier, sha256 FROM raw.journal_chargements WHERE source = ? "
                                            "AND statut = 'CHARGE'", [source]).fetchall())
        finally:
            pub.close()
    return [f for f, sha in loaded if (f, sha) not in published]


def _batches(con, source: str, files: list[str]) -> list[list[str]]:
    """Whole files grouped so that a batch holds at most BATCH_MAX_ROWS rows (by the ledger's counts)."""
    if not files:
        return [files]
    counts = dict(con.execute("SELECT fichier, max(nb_lignes_chargees) FROM raw.journal_chargements "
                              "WHERE source = ? AND fichier IN (SELECT unnest(?::VARCHAR[])) GROUP BY 1",
                              [source, files]).fetchall())
    batches: list[list[str]] = [[]]
    rows = 0
    for f in files:
        n = counts.get(f) or 0
        if batches[-1] and rows + n > BATCH_MAX_ROWS:
            batches.append([])
            rows = 0
        batches[-1].append(f)
        rows += n
    return batches


# --- running suites ------------------------------------------------------------------------------------
def _suite(name: str) -> Suite:
    if name.startswith("fraicheur_") and name.removeprefix("fraicheur_") in SOURCES:
        return freshness_suite(name.removeprefix("fraicheur_"))
    try:
        return SUITES[name]
    except KeyError:
        raise ValueError(f"Suite inconnue « {name} » (connues : {', '.join(SUITES)}).") from None


def _params(sql: str, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if re.search(rf"\${k}\b", sql)}


def validate(con, nom: str, fichiers: Sequence[str] | None = None, *, reference: date | None = None,
            _validator: _Validator | None = None) -> Resultat:
    """Validate the suite ``nom`` (a source, a portrait mart or ``fraicheur_<source>``) with GX.

    For a source, ``fichiers`` are the files whose rows are validated (default: the source's latest load);
    whole-table rules are computed in DuckDB and only their violating rows reach GX."""
    started = time.perf_counter()
    suite = _suite(nom)
    source = suite.source.name if suite.source else None
    files = list(fichiers) if fichiers is not None else \
        (files_of_latest_load(con, source) if suite.needs_files else [])
    validator = _validator or _Validator()
    values = {"fichiers": files, "source": source, "reference": reference or reference_date()}
    outcomes: list[ResultatAttendu] = []
    rows: dict[str, int] = {}
    gx_results: list[dict] = []
    for frame in suite.frames:
        try:
            sql = frame.sql(con) if callable(frame.sql) else frame.sql
            check = precheck(sql, frame.expectations) if frame.data_rows else None
            batches, counts = [files], None
            if check:  # GX validates the suspect rows; the counts are those of every row of the files
                total, *counts = con.execute(check.counts, _params(check.counts, values)).fetchone()
                rows[frame.name] = total
                sql = check.suspects
            elif frame.data_rows:  # an expectation DuckDB cannot pre-check: GX sees every row, by batches
                batches = _batches(con, source, files)
            per_batch = []
            for batch in batches:
                df = con.execute(sql, _params(sql, values | {"fichiers": batch})).df()
                if not check:
                    rows[frame.name] = rows.get(frame.name, 0) + len(df)
                found, gx_result = validator.run(suite, frame, df, counts)
                per_batch.append(found)
                gx_results.append(gx_result)
                del df
            outcomes += per_batch[0] if len(per_batch) == 1 else _merge(per_batch)
        except duckdb.Error as e:  # a missing table or column: the frame cannot be built
            outcomes.append(ResultatAttendu(
                cadre=frame.name, description=f"Cadre « {frame.name} » ({frame.description}) construit dans DuckDB",
                severite="ERROR", succes=False, type_gx="construction_du_cadre",
                erreur=str(e).splitlines()[0]))
    return Resultat(suite=suite.name, libelle=suite.label, horodatage=datetime.now().isoformat(timespec="seconds"),
                    attendus=outcomes, fichiers=files, lignes=rows, duree_s=round(time.perf_counter() - started, 3),
                    gx=gx_results)


def freshness(con, today: date, sources: Iterable[str] | None = None) -> list[Resultat]:
    """Freshness of each source at ``today``: age of its latest extraction against expectations/fraicheur.yml
    (beyond cadence + grace: WARN; beyond the error threshold: ERROR)."""
    validator = _Validator()
    return [validate(con, f"fraicheur_{s}", reference=today, _validator=validator) for s in (sources or SOURCES)]


# --- the last run's results ------------------------------------------------------------------------------
@contextmanager
def _locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def record_results(rapports: Path | str, run_id: str, controle: str, resultats: Sequence[Resultat]) -> Path:
    """Record the results of one check of a run in ``rapports/qualite/derniere_validation.json`` (the file holds
    one run: a new run starts it again). The Data Docs are built once the run is over
    (observatoire/quality/data_docs.py, publish_run_data_docs)."""
    rapports = Path(rapports)
    path = rapports / VALIDATION_RESULTS
    now = datetime.now().isoformat(timespec="seconds")
    with _locked(path.with_name(".derniere_validation.lock")):
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        new_run = data.get("run_id") != run_id
        if new_run:
            data = {"run_id": run_id, "debut": now, "controles": {}}
        data["horodatage"] = now
        data["controles"][controle] = {
            "horodatage": now,
            "severite": _worst(r.severite for r in resultats),
            "resume": [r.resume() for r in resultats],
            "resultats": [r.to_dict() for r in resultats],
        }
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        os.replace(tmp, path)
    return path


def _worst(severities: Iterable[str | None]) -> str | None:
    found = set(severities)
    return "ERROR" if "ERROR" in found else "WARN" if "WARN" in found else None
