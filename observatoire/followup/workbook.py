"""The follow-up workbook on disk: written for a pilot before a COTECH (``write``), read back when returned to
the dépôt (``read_returned``, called by the intake for the source ``suivi_plan``). Layout in layout.py.

Reading flattens the sheets into the TEMP table ``_fichier`` the loader expects: one row per indicator row of a
fiche sheet and per fiche of the sheet Avancement, every value as text in the producers' formats (decimal
comma, JJ/MM/AAAA), so that the row checks and staging read it with the same ``formats.*`` macros as any
extract. A workbook whose identity or structure was changed is refused whole, naming sheet and cell.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.worksheet.datavalidation import DataValidation

from observatoire.extracts import Source, code_list
from observatoire.followup import layout
from observatoire.followup.layout import (
    HEADER_ROW,
    IDENTITY,
    IDENTITY_LABELS,
    INDICATOR_COLUMNS,
    PROGRESS_COLUMNS,
    PROGRESS_SHEET,
    README_SHEET,
)
from observatoire.ingestion.reading import ExtractError

NO_SHEET = "aucune"  # the identity's list of fiche sheets, for a pilot that only reports progress
ENTERED_FILL = PatternFill("solid", fgColor="FFF2CC")  # the cells a pilot fills
EXCEL_EPOCH_2000 = "36526"  # 01/01/2000 as an Excel date serial: the earliest accepted date
# Excel's data validation of the input cell, by nature: (type, operator, formula1, formula2, message).
VALIDATION = {
    "nombre": ("whole", "greaterThanOrEqual", "0", None, "un nombre entier positif ou nul"),
    "part": ("decimal", "between", "0", "100", "une part en pourcentage, de 0 à 100"),
    "montant": ("decimal", "greaterThanOrEqual", "0", None, "un montant en euros positif ou nul"),
    "delai": ("decimal", "greaterThanOrEqual", "0", None, "un délai en jours positif ou nul"),
    "jalon": ("date", "greaterThan", EXCEL_EPOCH_2000, None, "la date à laquelle le jalon est atteint"),
    "qualitatif": ("list", None, '"1,2,3,4,5"', None, "une appréciation de 1 (insuffisant) à 5 (très satisfaisant)"),
}


# --- writing ------------------------------------------------------------------------------------------------
def write(path: Path, pilot: str, pilot_label: str, cotech: date, period: str, fiche_rows: dict[str, list[dict]],
          progress_rows: list[dict]) -> Path:
    """Write a pilot's workbook. ``fiche_rows``: per fiche sheet, its rows (warehouse names of
    INDICATOR_COLUMNS, plus ``libelle``, ``unite``, ``zone``, ``precedente``, ``calculee`` for the context);
    ``progress_rows``: per fiche led, ``fiche``, ``titre``, ``statut_precedent`` (and, in the demo, the
    values a pilot enters)."""
    wb = openpyxl.Workbook()
    readme = wb.active
    readme.title = README_SHEET
    _readme(readme, pilot, pilot_label, cotech, period, list(fiche_rows))
    progress = wb.create_sheet(PROGRESS_SHEET)
    _header(progress, PROGRESS_COLUMNS, f"Avancement des fiches actions pilotées — COTECH du {cotech:%d/%m/%Y}")
    progress_context = {"Intitulé": "titre", "Statut précédent": "statut_precedent"}
    for i, row in enumerate(progress_rows, start=HEADER_ROW + 1):
        _row(progress, PROGRESS_COLUMNS, i,
             [row.get(c.name) if c.name else row.get(progress_context[c.header]) for c in PROGRESS_COLUMNS])
    _validate(progress, "list", None, '"' + ",".join(code_list("suivi_statuts_action")) + '"', None,
              "un statut de la liste", _cells(PROGRESS_COLUMNS, "statut", HEADER_ROW + 1, len(progress_rows)))
    _validate(progress, "date", "greaterThan", EXCEL_EPOCH_2000, None, "une date",
              _cells(PROGRESS_COLUMNS, "date_prochain_jalon", HEADER_ROW + 1, len(progress_rows)))
    for sheet_name, rows in fiche_rows.items():
        ws = wb.create_sheet(sheet_name)
        _header(ws, INDICATOR_COLUMNS, f"{sheet_name} — indicateurs dus au COTECH du {cotech:%d/%m/%Y}")
        context = {"Indicateur": "libelle", "Unité": "unite", "Zone": "zone", "Valeur précédente": "precedente",
                   "Valeur calculée (entrepôt)": "calculee"}
        by_nature: dict[str, list[str]] = {}
        for i, row in enumerate(rows, start=HEADER_ROW + 1):
            _row(ws, INDICATOR_COLUMNS, i,
                 [row.get(c.name) if c.name else row.get(context[c.header]) for c in INDICATOR_COLUMNS])
            by_nature.setdefault(row["nature"], []).append(f"{_letter(INDICATOR_COLUMNS, 'valeur')}{i}")
        for nature, cells in by_nature.items():
            _validate(ws, *VALIDATION[nature], *cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.properties.creator = "Observatoire PDALHPD 62"
    buffer = io.BytesIO()
    wb.save(buffer)
    path.write_bytes(stamped_workbook(buffer.getvalue(), datetime(cotech.year, cotech.month, cotech.day)))
    return path


def stamped_workbook(package: bytes, stamp: datetime) -> bytes:
    """The workbook with every date openpyxl writes (zip entries, creation and modification) set to ``stamp``:
    the same workbook gives the same bytes (the demo is deterministic)."""
    out = io.BytesIO()
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(io.BytesIO(package)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", lambda m: m.group(1) + iso.encode(), data)
            info = zipfile.ZipInfo(item.filename, date_time=stamp.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)
    return out.getvalue()


def _readme(ws, pilot: str, pilot_label: str, cotech: date, period: str, fiche_sheets: list[str]) -> None:
    ws["A1"] = f"Suivi partagé des fiches actions du PDALHPD (fiche 6-3) — {pilot_label}"
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = ("Renseigner les cellules jaunes des feuilles « Avancement » et « Fiche … », puis renvoyer ce "
                "classeur à l'observatoire sans renommer ni supprimer de feuille ou de colonne.")
    values = {"pilote": pilot, "date_cotech": cotech.isoformat(), "periode_cotech": period,
              "feuilles": ", ".join(fiche_sheets) or NO_SHEET}
    for key, cell in IDENTITY.items():
        ws[f"A{cell[1:]}"] = IDENTITY_LABELS[key]
        ws[cell] = values[key]
    ws["A8"] = ("Valeur précédente : celle du COTECH précédent ; valeur calculée : ce que l'entrepôt calcule "
                "quand une source le permet (pour information). Une valeur hors de sa nature (nombre, part de 0 à "
                "100, date…) est signalée au chargement avec sa feuille et sa cellule, et n'est pas retenue.")
    ws.column_dimensions["A"].width = 24
    ws.column_dimensions["B"].width = 60
    ws.protection.sheet = True


def _header(ws, columns, title: str) -> None:
    ws["A1"] = title
    ws["A1"].font = Font(bold=True, size=12)
    ws["A2"] = "Cellules jaunes : à renseigner. Les autres colonnes sont protégées (contexte)."
    for i, c in enumerate(columns):
        cell = ws.cell(HEADER_ROW, i + 1, c.header)
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[layout.letter(i)].width = c.width
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    ws.protection.sheet = True  # no password: it only keeps the context columns from being typed over


def _row(ws, columns, row: int, values: list) -> None:
    for i, (c, value) in enumerate(zip(columns, values, strict=True)):
        cell = ws.cell(row, i + 1, value)
        if c.entered:
            cell.protection = Protection(locked=False)
            cell.fill = ENTERED_FILL
            if c.name.startswith("date"):
                cell.number_format = "DD/MM/YYYY"


def _letter(columns, name: str) -> str:
    return layout.letter(next(i for i, c in enumerate(columns) if c.name == name))


def _cells(columns, name: str, first: int, n: int) -> str:
    return f"{_letter(columns, name)}{first}:{_letter(columns, name)}{first + max(n, 1) - 1}"


def _validate(ws, kind: str, operator: str | None, formula1: str, formula2: str | None, what: str,
              *cells: str) -> None:
    dv = DataValidation(type=kind, operator=operator, formula1=formula1, formula2=formula2, allow_blank=True,
                        showErrorMessage=True, errorTitle="Valeur non conforme",
                        error=f"Saisir {what}.", promptTitle="Saisie", prompt=f"Saisir {what}.")
    ws.add_data_validation(dv)
    for cell in cells:
        dv.add(cell)


# --- reading ------------------------------------------------------------------------------------------------
def read_returned(con, source: Source, path: Path) -> tuple[dict, list[str]]:
    """Flatten a returned workbook into ``_fichier`` (empty ``_rejets_structure`` and ``_entetes``): the
    loader's interface of observatoire/ingestion/reading.py. Returns (mapping of the source's columns,
    warnings)."""
    from observatoire.followup import referential  # the seeds are read only when a workbook is

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception:  # not a zip, encrypted, truncated...
        raise ExtractError(f"{path.name} : classeur Excel illisible (fichier tronqué, protégé par un mot de passe "
                           "ou d'un autre format) ; renvoyer le classeur reçu, enregistré au format .xlsx.") from None
    try:
        identity = _identity(wb, path.name)
        pilot = identity["pilote"]
        if pilot not in referential.pilots():
            raise ExtractError(
                f"{path.name} : pilote inconnu « {pilot} » (feuille « {README_SHEET} », cellule {IDENTITY['pilote']}) "
                "; classeur refusé. Seuls les classeurs préparés par « observatoire suivi preparer » sont lus, "
                "feuille Lisez-moi non modifiée.")
        try:
            cotech = date.fromisoformat(identity["date_cotech"])
            referential.cotech_period(cotech)
        except ValueError as e:
            raise ExtractError(f"{path.name} : date de COTECH « {identity['date_cotech']} » invalide (feuille "
                               f"« {README_SHEET} », cellule {IDENTITY['date_cotech']}) : {e}") from None
        expected = [PROGRESS_SHEET, *(s.strip() for s in identity["feuilles"].split(",")
                                      if s.strip() and s.strip() != NO_SHEET)]
        missing = [s for s in expected if s not in wb.sheetnames]
        if missing:
            raise ExtractError(f"{path.name} : feuille{'s' if len(missing) > 1 else ''} "
                               f"{', '.join(f'« {s} »' for s in missing)} absente{'s' if len(missing) > 1 else ''} "
                               "(structure du classeur modifiée) ; classeur refusé : renvoyer le classeur reçu "
                               "sans supprimer ni renommer de feuille.")
        records = []
        for sheet in expected:
            columns = PROGRESS_COLUMNS if sheet == PROGRESS_SHEET else INDICATOR_COLUMNS
            records += _sheet_records(wb[sheet], sheet, columns, path.name)
    finally:
        wb.close()
    warnings = []
    if not path.name.lower().startswith(f"{source.name}_{identity['periode_cotech'].lower()}_"):
        warnings.append(f"nom du fichier différent du trimestre du COTECH ({identity['periode_cotech']})")
    names = [c.stored_name for c in source.stored_columns]
    base = {"pilote": pilot, "date_cotech": cotech.strftime("%d/%m/%Y")}
    columns = {n: [(base | r).get(n) for r in records] for n in names}
    select = ", ".join(f'unnest(?::VARCHAR[]) AS "{n}"' for n in names)
    con.execute(f"CREATE OR REPLACE TEMP TABLE _fichier AS SELECT {select}, unnest(?::BIGINT[]) AS _ligne",
                [*columns.values(), list(range(1, len(records) + 1))])
    con.execute("CREATE OR REPLACE TEMP TABLE _rejets_structure (ligne BIGINT, position VARCHAR, motif VARCHAR, "
                "valeur VARCHAR)")
    con.execute("CREATE OR REPLACE TEMP TABLE _entetes (position VARCHAR, entete VARCHAR)")
    return dict(enumerate(source.columns)), warnings


def _identity(wb, file_name: str) -> dict[str, str]:
    if README_SHEET not in wb.sheetnames:
        raise ExtractError(f"{file_name} : feuille « {README_SHEET} » absente : ce n'est pas un classeur de suivi "
                           "préparé par l'observatoire ; classeur refusé.")
    ws = wb[README_SHEET]
    found = {}
    for key, cell in IDENTITY.items():
        value = ws[cell].value
        if value is None or not str(value).strip():
            raise ExtractError(f"{file_name} : « {IDENTITY_LABELS[key]} » absent (feuille « {README_SHEET} », "
                               f"cellule {cell}) ; classeur refusé.")
        found[key] = value.isoformat()[:10] if isinstance(value, date | datetime) else str(value).strip()
    return found


def _sheet_records(ws, sheet: str, columns, file_name: str) -> list[dict]:
    rows = ws.iter_rows(min_row=HEADER_ROW, values_only=True)
    header = [str(v).strip() if v is not None else "" for v in next(rows, ())]
    for i, c in enumerate(columns):
        if c.name and (header[i] if i < len(header) else "") != c.header:
            raise ExtractError(f"{file_name} : feuille « {sheet} », cellule {layout.letter(i)}{HEADER_ROW} : "
                               f"colonne « {c.header} » attendue (structure du classeur modifiée) ; classeur refusé "
                               ": renvoyer le classeur reçu sans supprimer, déplacer ni renommer de colonne.")
    records = []
    for number, values in enumerate(rows, start=HEADER_ROW + 1):
        record = {c.name: _text(values[i] if i < len(values) else None) for i, c in enumerate(columns) if c.name}
        if any(v is not None for v in record.values()):
            records.append({**record, "feuille": sheet, "ligne_feuille": str(number)})
    return records


def _text(value) -> str | None:
    """A cell as the producers' text: decimal comma, JJ/MM/AAAA dates, None for an empty cell."""
    if value is None:
        return None
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, bool):
        return "O" if value else "N"
    if isinstance(value, int | float):
        return str(int(value)) if float(value).is_integer() else repr(float(value)).replace(".", ",")
    text = str(value).strip()
    return text or None

