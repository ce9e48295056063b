"""The checks of every value of a file read into ``_fichier``, and its quarantine: required values, formats
(observatoire/formats.py), code lists and communes, dates after the extraction, negative amounts, the source's
own rules and duplicate keys within the file. Each failure is one row (line, column, value, reason) of
``_erreurs``; the loader moves those lines to ``raw.rejets``. A column failing on most rows refuses the file.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from observatoire import formats
from observatoire.extracts import SOURCES, Column, Source, code_list
from observatoire.formats import FORMATS
from observatoire.ingestion.reading import ExtractError, french_integer, inexact_flag
from observatoire.settings import GEOGRAPHY_DIR
from observatoire.warehouse import literal

# A column whose values are mostly invalid means the file's format is wrong, not a few rows.
STRUCTURAL_INVALID_SHARE = 0.5


# A quarantined value is copied into raw.rejets (and a refusal's message) up to this length, never beyond.
MAX_COPIED_VALUE = 200


def copied(value: str) -> str:
    """SQL: the value as copied into raw.rejets (NULL when longer than MAX_COPIED_VALUE)."""
    return f"CASE WHEN length({value}) <= {MAX_COPIED_VALUE} THEN {value} END"


def not_copied(value: str) -> str:
    """SQL: what a reason adds when its value is too long to be copied."""
    return (f"CASE WHEN length({value}) > {MAX_COPIED_VALUE} THEN ' (valeur de ' || length({value}) "
            "|| ' caractères, non recopiée)' ELSE '' END")


def load_reference_codes(con) -> None:
    """The TEMP table ``_codes`` (liste, code): every code list the sources use, and the commune codes."""
    specs = sorted({c.codes for s in SOURCES.values() for c in s.columns if c.codes})
    rows = [(spec, code) for spec in specs for code in code_list(spec)]
    with open(GEOGRAPHY_DIR / "correspondance_communes.csv", encoding="utf-8") as f:
        rows += [("communes", r["code_commune_origine"]) for r in csv.DictReader(f)]
    with open(GEOGRAPHY_DIR / "epci.csv", encoding="utf-8") as f:  # the EPCI an open-data file's rows keep
        rows += [("epci", r["code_epci"]) for r in csv.DictReader(f)]
    con.execute("CREATE OR REPLACE TEMP TABLE _codes AS SELECT unnest(?::VARCHAR[]) AS liste, "
                     "unnest(?::VARCHAR[]) AS code", [[r[0] for r in rows], [r[1] for r in rows]])


def _label(source: Source, column: Column, extracted: date) -> str:
    """SQL: how a quarantined value's column is named: its header (an open-data header as the file of its
    millésime writes it: P{aa}_POP is P21_POP in 2021), and for a workbook its sheet and cell."""
    cells = dict(source.cells)
    if column.name not in cells:
        return literal(column.header_in(extracted.year))
    return (f"{literal(column.header + ' (feuille « ')} || feuille || "
            f"{literal(' », cellule ' + cells[column.name])} || ligne_feuille || ')'")


def errors_sql(source: Source, mapping: dict[int, Column], extracted: date) -> str:
    """One row per (line, column) error: value checks, then duplicate keys within the file."""
    checks = []
    for c in mapping.values():
        if not c.stored or c.kind == "naissance":
            continue
        col = f'"{c.stored_name}"'
        label = _label(source, c, extracted)
        if c.required:
            checks.append((col, label, f"{col} IS NULL", "'valeur obligatoire manquante'"))
        kind = FORMATS.get(c.kind)
        if c.kind == "identifiant":  # the clear value is never copied into raw.rejets
            checks.append(("NULL", label, f'"{inexact_flag(c)}"', literal(kind.invalid)))
        elif c.kind == "mesure":  # a publisher's secret marker is valid: the value stays secret
            checks.append((col, label, f"{col} IS NOT NULL AND {kind(col)} IS NULL AND NOT {formats.SECRET}({col})",
                           literal(kind.invalid)))
        elif kind is not None:
            checks.append((col, label, f"{col} IS NOT NULL AND {kind(col)} IS NULL", literal(kind.invalid)))
        listed = {"code": (c.codes, f"code inconnu de la liste {c.codes}"),
                  "commune": ("communes", "code commune inconnu du COG (ni actuel ni ancien) du Pas-de-Calais")}
        if c.kind in listed:  # a number that lost its digits is reported as such, not as an unknown code
            liste, reason = listed[c.kind]
            checks.append((col, label, f"{kind(col)} NOT IN (SELECT code FROM _codes WHERE liste = '{liste}')",
                           literal(reason)))
        if c.kind == "date" and not c.planned:
            checks.append((col, label, f"{kind(col)} > DATE '{extracted.isoformat()}'",
                           "'date postérieure à la date d''extraction'"))
        if c.kind == "decimal":
            checks.append((col, label, f"{kind(col)} < 0", "'montant négatif'"))
    for rule in source.rules:
        if rule.column in {c.name for c in mapping.values()}:
            column = source.column(rule.column)
            checks.append((f'"{column.stored_name}"', _label(source, column, extracted),
                           f"coalesce({rule.invalid}, false)", literal(rule.reason)))
    parts = [f"SELECT _ligne AS ligne, {label} AS colonne, CAST({col} AS VARCHAR) AS valeur, {motif} AS motif "
             f"FROM _fichier WHERE {cond}" for col, label, cond, motif in checks]
    key = ", ".join(f'"{source.column(k).stored_name}"' for k in source.key)
    # Identifiers that lost digits are quarantined as such: rounding made them equal, not duplicates.
    inexact = [f'"{inexact_flag(c)}"' for c in mapping.values() if c.kind == "identifiant" and c.name in source.key]
    exact_keys = f"WHERE NOT ({' OR '.join(inexact)})" if inexact else ""
    parts.append(f"""
        SELECT _ligne, {literal(' + '.join(source.column(k).header for k in source.key))}, NULL,
               'doublon de la ligne ' || premiere || ' (même clé dans le fichier)'
        FROM (SELECT _ligne, min(_ligne) OVER (PARTITION BY {key}) AS premiere FROM _fichier {exact_keys})
        WHERE _ligne > premiere""")
    return " UNION ALL ".join(parts)


def refuse_if_structural(con, source: Source, path: Path, mapping: dict[int, Column], n_read: int) -> None:
    if n_read == 0:
        return
    worst = con.execute(f"""
        SELECT colonne, count(DISTINCT ligne) AS n, min(ligne) AS premiere,
               arg_min(valeur, ligne) AS valeur, arg_min(motif, ligne) AS motif
        FROM _erreurs WHERE motif NOT LIKE 'doublon%'
        GROUP BY colonne HAVING count(DISTINCT ligne) > {STRUCTURAL_INVALID_SHARE} * {n_read}
        ORDER BY premiere LIMIT 1""").fetchone()
    if worst:
        colonne, n, premiere, valeur, motif = worst
        raise ExtractError(
            f"{path.name} : colonne « {colonne} » non conforme sur {n} lignes sur {n_read} ; "
            f"première erreur ligne {premiere}, colonne « {colonne} » : {motif}"
            + (f" (valeur de {french_integer(len(valeur))} caractères, non recopiée)" if valeur and len(valeur) >
               MAX_COPIED_VALUE else f" (valeur « {valeur} »)" if valeur is not None else "")
            + ". Fichier refusé en entier.")
