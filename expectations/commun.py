"""Shared building blocks of the GX suites: what a suite and a frame are, the severities, the code lists read
from the seeds, and the rules every source gets from its specification (observatoire/extracts.py).

A suite validates one or more *frames*. A frame is a small pandas DataFrame built by DuckDB (read-only) with
the frame's SQL, then validated by GX: the rows of the files being validated (``lignes``), per-file counts
against the previous extract (``volumes``), the rows breaking a whole-table rule computed in DuckDB
(``cles``), the raw table's columns (``schema``), aggregated differences of the marts... never a whole large
table.

SQL parameters: ``$fichiers`` (the files being validated, VARCHAR[]), ``$source`` (the source name) and
``$reference`` (the freshness reference date). A frame's SQL may also be a function of the open connection
(for marts whose columns are discovered in DuckDB).

Severity is GX's own ``severity`` field of each expectation: ``critical`` (ERREUR: blocks publication) or
``warning`` (AVERTISSEMENT: reported). Every expectation carries a French ``description``.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import great_expectations.expectations as gxe
import yaml
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.metadata_types import FailureSeverity
from great_expectations.expectations.row_conditions import Column as RowColumn

from observatoire import formats
from observatoire.extracts import LINEAGE_COLUMNS, SOURCES, Source, code_list, code_list_file
from observatoire.formats import FORMATS
from observatoire.settings import GEOGRAPHY_DIR

EXPECTATIONS_DIR = Path(__file__).resolve().parent
FRESHNESS_FILE = EXPECTATIONS_DIR / "fraicheur.yml"

ERROR = FailureSeverity.CRITICAL  # blocks the publication (Dagster AssetCheckSeverity.ERROR)
WARN = FailureSeverity.WARNING  # reported, never blocks (AssetCheckSeverity.WARN)

# Files whose row count moves by more than this share against the previous extract are reported.
VOLUME_CHANGE_MAX = 0.5
# Files with more than this share of their lines quarantined (raw.rejets) are reported.
REJECTED_SHARE_MAX = 0.05
# Household size beyond which a value is implausible (reported).
HOUSEHOLD_MAX = 20

col = RowColumn  # row conditions: row_condition=col("volet") == "MAINTIEN"

Sql = str | Callable[..., str]


@dataclass(frozen=True)
class Frame:
    """A frame GX validates: the DuckDB SQL that builds it and the expectations about it."""

    name: str  # lignes, cles, volumes, schema, fraicheur, reconciliation, ratios...
    description: str  # French: what one row is
    sql: Sql  # DuckDB SQL (or a function of the connection returning it)
    expectations: tuple[Expectation, ...]
    index: tuple[str, ...] = ()  # columns naming an unexpected row in the results (file, line, indicator)
    # One row per loaded row: DuckDB keeps the rows that may break an expectation and GX validates those
    # (observatoire/quality/precheck.py); counts are over every row of the files.
    data_rows: bool = False


@dataclass(frozen=True)
class Suite:
    """The suite of one source or one mart: its frames, with a French label."""

    name: str
    label: str
    frames: tuple[Frame, ...]
    source: Source | None = None
    needs_files: bool = field(default=False)  # frames use $fichiers (the files of the run)


# --- reference lists -----------------------------------------------------------------------------------
@functools.cache
def seed_rows(seed: str) -> tuple[dict[str, str], ...]:
    with open(code_list_file(seed)[0], encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


@functools.cache
def known_communes() -> tuple[str, ...]:
    """Commune codes accepted in an extract: the COG 2026 communes and the older codes of merged communes,
    as listed by the documented merger table seeds/geographie/correspondance_communes.csv."""
    with open(GEOGRAPHY_DIR / "correspondance_communes.csv", encoding="utf-8", newline="") as f:
        return tuple(sorted({r["code_commune_origine"] for r in csv.DictReader(f)}))


@functools.cache
def freshness_rules() -> dict[str, dict[str, int | str]]:
    """Cadence, grace and error threshold (days) per source, from expectations/fraicheur.yml."""
    with open(FRESHNESS_FILE, encoding="utf-8") as f:
        config = yaml.safe_load(f) or {}
    rules = config.get("sources") or {}
    missing = sorted(set(SOURCES) - set(rules))
    if missing:
        raise ValueError(f"{FRESHNESS_FILE.name} : cadence absente pour {', '.join(missing)}.")
    for name, r in rules.items():
        for key in ("cadence_jours", "grace_jours", "seuil_erreur_jours"):
            if not isinstance(r.get(key), int) or r[key] < 0:
                raise ValueError(f"{FRESHNESS_FILE.name} : « {key} » de {name} doit être un entier positif.")
        declared = SOURCES[name].cadence if name in SOURCES else None
        if r.get("cadence") != declared:  # restated for the team; the declaration is extracts.py's
            raise ValueError(f"{FRESHNESS_FILE.name} : cadence « {r.get('cadence')} » de {name} différente de celle "
                             f"déclarée dans observatoire/extracts.py (« {declared} »).")
        if r["seuil_erreur_jours"] < r["cadence_jours"] + r["grace_jours"]:
            raise ValueError(f"{FRESHNESS_FILE.name} : pour {name}, le seuil d'erreur doit être au moins égal à "
                             "la cadence augmentée du délai de grâce.")
    return rules


def percent(share: float) -> str:
    return f"{share * 100:.0f} %"


# --- SQL -------------------------------------------------------------------------------------------------
RUN_FILES = "(SELECT unnest($fichiers::VARCHAR[]))"


def current_deliveries(source: str = "$source") -> str:
    """(file, load time) of the latest delivery of each loaded file name, the only one staging reads
    (macros/extract_values.sql, file_versions): a file delivered again under its name replaces its earlier copy."""
    source = source if source.startswith("$") else f"'{source}'"
    return f"""(SELECT fichier, max(charge_le) FROM raw.journal_chargements
                WHERE source = {source} AND statut = 'CHARGE' GROUP BY fichier)"""


def _q(name: str) -> str:
    return f'"{name}"'


def typed(column: str, kind: str) -> str:
    """The staging cast of a column (the warehouse macro of its kind, observatoire/formats.py): NULL when
    invalid. Decimals become DOUBLE, which GX compares with its bounds."""
    cast = FORMATS[kind](f"r.{_q(column)}")
    return f"{cast}::DOUBLE" if kind == "decimal" else cast


TYPED_KINDS = ("date", "decimal", "entier", "mesure")  # typed in the frame, their text kept beside


def raw_name(column: str) -> str:
    """Frame column holding the text as delivered, beside the typed value of a date or number column."""
    return f"{column}__brut"


def rows_sql(source: Source, *extra: str, joins: str = "", already_delivered: bool = False) -> str:
    """SQL of the ``lignes`` frame: the rows of the files being validated, with every stored column (text as
    delivered; dates and numbers typed like staging, plus their text in ``<colonne>__brut``), the lineage
    columns, the source's ``extra`` expressions (alias ``r`` is raw.<source>) and, for sources whose keys are
    delivered once, ``deja_livre_le``: the extraction date of an earlier delivery of the same key."""
    select = []
    for c in source.stored_columns:
        name = c.stored_name
        if c.kind in TYPED_KINDS:
            select += [f"{typed(name, c.kind)} AS {_q(name)}", f"r.{_q(name)} AS {_q(raw_name(name))}"]
        if c.kind == "mesure":  # NULL without a number: delivered empty, or a secret marker
            select.append(f"r.{_q(name)} IS NULL OR {formats.SECRET}(r.{_q(name)}) AS {_q(name + '__secret')}")
        else:
            select.append(f"r.{_q(name)}")
    select += ["r._fichier", "r._ligne", "r._date_extraction", *extra]
    if already_delivered:
        key = ", ".join(_q(k) for k in source.key)
        # First delivery of the keys of the files being validated only: a semi join on those keys, then the
        # aggregate (never a GROUP BY of the whole table).
        joins += f"""
        LEFT JOIN (SELECT {key}, min(o._date_extraction) AS premiere_livraison
                   FROM raw.{source.name} AS o
                   SEMI JOIN (SELECT {key} FROM raw.{source.name} WHERE _fichier IN {RUN_FILES}) AS k USING ({key})
                   GROUP BY ALL) AS p USING ({key})"""
        select.append("CASE WHEN p.premiere_livraison < r._date_extraction THEN p.premiere_livraison END "
                      "AS deja_livre_le")
    return (f"SELECT {', '.join(select)}\nFROM raw.{source.name} AS r {joins}\n"
            f"WHERE r._fichier IN {RUN_FILES} AND (r._fichier, r._charge_le) IN {current_deliveries(source.name)}")


def duplicate_keys_sql(source: Source) -> str:
    """SQL of the ``cles`` frame: computed in DuckDB over the whole raw table, the rows sharing their key with
    another row of the same extraction date (staging keeps one row per key, the latest extraction: two rows
    of one extraction make that choice arbitrary), for the extraction dates of the files being validated."""
    key = ", ".join(_q(k) for k in source.key)
    dates = f"""_date_extraction IN (SELECT date_extraction FROM raw.journal_chargements
                                   WHERE source = $source AND statut = 'CHARGE' AND fichier IN {RUN_FILES})"""
    # An aggregate, not a window over every row: DuckDB spills it to disk at national scale.
    dates += f" AND (_fichier, _charge_le) IN {current_deliveries()}"
    return f"""
        SELECT {key}, _date_extraction, _fichier, _ligne
        FROM raw.{source.name}
        SEMI JOIN (SELECT {key}, _date_extraction FROM raw.{source.name} WHERE {dates}
                   GROUP BY ALL HAVING count(*) > 1) AS repetees USING ({key}, _date_extraction)
        WHERE {dates}"""


VOLUMES_SQL = f"""
    WITH fichiers AS (
        SELECT fichier, date_extraction, nb_lignes_lues, nb_lignes_chargees, nb_lignes_rejetees,
               lag(fichier) OVER (ORDER BY date_extraction, fichier) AS fichier_precedent,
               lag(nb_lignes_chargees) OVER (ORDER BY date_extraction, fichier) AS nb_lignes_precedent
        FROM raw.journal_chargements
        WHERE source = $source AND statut = 'CHARGE' AND (fichier, charge_le) IN {current_deliveries()}
    )
    SELECT *,
           nb_lignes_chargees / nullif(nb_lignes_precedent, 0) AS rapport_extraction_precedente,
           nb_lignes_rejetees / nullif(nb_lignes_lues, 0) AS part_lignes_rejetees
    FROM fichiers
    WHERE fichier IN {RUN_FILES}"""

SCHEMA_SQL = """
    SELECT column_name AS colonne, data_type AS type
    FROM duckdb_columns()
    WHERE database_name = current_database() AND schema_name = 'raw' AND table_name = $source"""

FRESHNESS_SQL = """
    SELECT $source AS source, max(date_extraction) AS derniere_extraction,
           date_diff('day', max(date_extraction), $reference::DATE) AS age_jours
    FROM raw.journal_chargements
    WHERE source = $source AND statut = 'CHARGE'"""

LINEAGE_TYPES = {name: kind for name, kind, _ in LINEAGE_COLUMNS}


# --- rules every source gets from its specification ---------------------------------------------------
def column_rules(source: Source) -> list[Expectation]:
    """Validity of every stored column, from the specification: pseudonymised identifiers, required values,
    values castable like staging, O/N, code lists (seeds), communes (COG and merged communes), no date after
    the file's extraction date."""
    rules: list[Expectation] = []
    for c in source.stored_columns:
        name, label = c.stored_name, f"« {c.header} »"
        delivered = raw_name(name) if c.kind in TYPED_KINDS else name
        if c.kind == "identifiant":
            rules.append(gxe.ExpectColumnValuesToMatchRegex(
                column=name, regex=r"^[0-9a-f]{64}$", severity=ERROR,
                description=f"{label} pseudonymisé (empreinte HMAC-SHA256 de 64 caractères, jamais en clair)"))
        if c.required:
            rules.append(gxe.ExpectColumnValuesToNotBeNull(
                column=delivered, severity=ERROR, description=f"{label} renseigné (colonne obligatoire)"))
        if c.kind in ("date", "decimal", "entier"):
            expected = {"date": "une date JJ/MM/AAAA", "decimal": "un nombre décimal (virgule décimale)",
                        "entier": "un nombre entier"}[c.kind]
            rules.append(gxe.ExpectColumnValuesToNotBeNull(
                column=name, row_condition=col(delivered).is_not_null(), severity=ERROR,
                description=f"{label} : {expected}, lisible par staging"))
        if c.kind == "mesure":  # a publisher's secret marker is no number, and is valid
            rules.append(gxe.ExpectColumnValuesToNotBeNull(
                column=name, row_condition=col(f"{name}__secret") == False, severity=ERROR,  # noqa: E712
                description=f"{label} : un nombre lisible par staging, ou une marque de secret du producteur"))
            rules.append(gxe.ExpectColumnValuesToBeBetween(
                column=name, min_value=0, severity=ERROR, description=f"{label} positif ou nul"))
        if c.kind == "booleen":
            rules.append(gxe.ExpectColumnValuesToBeInSet(
                column=name, value_set=["O", "N"], severity=ERROR, description=f"{label} vaut O ou N"))
        if c.kind == "code":
            rules.append(gxe.ExpectColumnValuesToBeInSet(
                column=name, value_set=list(code_list(c.codes)), severity=ERROR,
                description=f"{label} : code de la liste {c.codes} (seeds)"))
        if c.kind == "naissance":
            rules.append(gxe.ExpectColumnValuesToBeInSet(
                column=name, value_set=list(code_list("tranches_age")), severity=ERROR,
                description="Tranche d'âge : code de la liste tranches_age"))
        if c.kind == "commune":
            rules.append(gxe.ExpectColumnValuesToBeInSet(
                column=name, value_set=list(known_communes()), severity=ERROR,
                description=f"{label} : commune du COG 2026 du Pas-de-Calais ou ancienne commune du tableau des "
                            "fusions (correspondance_communes)"))
        if c.kind == "date" and not c.planned:
            rules.append(gxe.ExpectColumnPairValuesAToBeGreaterThanB(
                column_A="_date_extraction", column_B=name, or_equal=True, ignore_row_if="either_value_is_missing",
                severity=ERROR,
                description=f"{label} pas dans le futur : au plus tard la date d'extraction du fichier"))
    return rules


def after(later: str, earlier: str, description: str, severity: FailureSeverity = ERROR) -> Expectation:
    """A date not before another one of the same row (ignored when one of them is missing)."""
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later, column_B=earlier, or_equal=True, ignore_row_if="either_value_is_missing",
        severity=severity, description=description)


def household_size(column: str) -> Expectation:
    return gxe.ExpectColumnValuesToBeBetween(
        column=column, min_value=1, max_value=HOUSEHOLD_MAX, severity=WARN,
        description=f"Taille du ménage plausible (de 1 à {HOUSEHOLD_MAX} personnes)")


def delivered_once(source: Source) -> Expectation:
    key = " + ".join(f"« {source.column(k).header} »" for k in source.key)
    return gxe.ExpectColumnValuesToBeNull(
        column="deja_livre_le", severity=WARN,
        description=f"Clé {key} livrée pour la première fois (une clé déjà livrée dans une extraction antérieure "
                    "remplace l'ancienne ligne dans staging : correction à confirmer avec le producteur)")


# --- suites --------------------------------------------------------------------------------------------
def source_suite(source: Source, rows: str, rules: Iterable[Expectation], volumes: bool = True) -> Suite:
    """The suite of a source: its schema, the rows of the files being validated (rules of the specification
    plus the source's own ``rules``), unique keys per extraction and, unless ``volumes`` is false (files that
    are not successive extracts of one table), volumes against the previous extract."""
    expected_types = {c.stored_name: "VARCHAR" for c in source.stored_columns} | LINEAGE_TYPES
    key = " + ".join(f"« {source.column(k).header} »" for k in source.key)
    volume_frames = (
        Frame(
            name="volumes",
            description="une ligne par fichier validé, avec l'extraction précédente de la source",
            sql=VOLUMES_SQL,
            expectations=(
                gxe.ExpectColumnValuesToBeBetween(
                    column="rapport_extraction_precedente", min_value=1 - VOLUME_CHANGE_MAX,
                    max_value=1 + VOLUME_CHANGE_MAX, severity=WARN,
                    description=f"Nombre de lignes dans une fourchette de ±{percent(VOLUME_CHANGE_MAX)} autour de "
                                "l'extraction précédente (baisse ou hausse plus forte signalée)"),
                gxe.ExpectColumnValuesToBeBetween(
                    column="part_lignes_rejetees", max_value=REJECTED_SHARE_MAX, severity=WARN,
                    description=f"Au plus {percent(REJECTED_SHARE_MAX)} des lignes du fichier mises en quarantaine "
                                "(raw.rejets)"),
            ),
            index=("fichier",),
        ),
    ) if volumes else ()
    return Suite(
        name=source.name,
        label=source.label,
        source=source,
        needs_files=True,
        frames=(
            Frame(
                name="schema",
                description=f"une ligne par colonne de raw.{source.name}",
                sql=SCHEMA_SQL,
                expectations=(
                    gxe.ExpectColumnDistinctValuesToContainSet(
                        column="colonne", value_set=sorted(expected_types), severity=ERROR,
                        description=f"Toutes les colonnes de la spécification présentes dans raw.{source.name}"),
                    gxe.ExpectColumnPairValuesToBeInSet(
                        column_A="colonne", column_B="type", value_pairs_set=sorted(expected_types.items()),
                        row_condition=col("colonne").is_in(sorted(expected_types)), severity=ERROR,
                        description="Types des colonnes : texte tel que livré (VARCHAR), lignage typé"),
                ),
            ),
            Frame(
                name="lignes",
                description="une ligne par ligne chargée des fichiers validés",
                sql=rows,
                expectations=(*column_rules(source), *rules),
                index=("_fichier", "_ligne"),
                data_rows=True,
            ),
            Frame(
                name="cles",
                description="les lignes dont la clé se répète dans une même extraction (calculées dans DuckDB)",
                sql=duplicate_keys_sql(source),
                expectations=(
                    gxe.ExpectCompoundColumnsToBeUnique(
                        column_list=[*source.key, "_date_extraction"], severity=ERROR,
                        description=f"Clé {key} unique dans une extraction (une seule version par clé en staging)"),
                ),
                index=("_fichier", "_ligne"),
            ),
            *volume_frames,
        ),
    )


def freshness_suite(source: str) -> Suite:
    """Freshness of a source at the reference date, with the thresholds of expectations/fraicheur.yml."""
    r = freshness_rules()[source]
    warn_after = int(r["cadence_jours"]) + int(r["grace_jours"])
    # A source fed by people (the pilots' workbooks) warns when late; it never blocks the other sources.
    late = ERROR if r.get("bloquante", True) else WARN
    return Suite(
        name=f"fraicheur_{source}",
        label=f"Fraîcheur de {SOURCES[source].label}",
        source=SOURCES[source],
        frames=(
            Frame(
                name="fraicheur",
                description="une ligne : la date de la dernière extraction chargée et son âge en jours",
                sql=FRESHNESS_SQL,
                expectations=(
                    gxe.ExpectColumnValuesToNotBeNull(
                        column="derniere_extraction", severity=late,
                        description="Au moins une extraction chargée pour la source"),
                    gxe.ExpectColumnValuesToBeBetween(
                        column="age_jours", max_value=warn_after, severity=WARN,
                        description=f"Dernière extraction de moins de {warn_after} jours (cadence "
                                    f"{r['cadence_jours']} j + délai de grâce {r['grace_jours']} j)"),
                    gxe.ExpectColumnValuesToBeBetween(
                        column="age_jours", max_value=int(r["seuil_erreur_jours"]), severity=late,
                        description=f"Dernière extraction de moins de {r['seuil_erreur_jours']} jours "
                                    "(seuil d'erreur : publication bloquée au-delà)"),
                ),
            ),
        ),
    )
