"""Hand-made extract files for the ingestion tests, built from the specification in extracts.py."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from observatoire.extracts import SOURCES

# One valid row per source, by French header (personal columns filled as real extracts are).
VALID_ROWS = {
    "fsl": {
        "N° dossier": "FSL-2024-000123", "Nom": "Lefebvre", "Prénom": "Éloïse", "N° allocataire CAF": "6212345",
        "Adresse": "12 rue des Tisserands 62000 Arras", "Téléphone": "0612345678", "Date de naissance": "15/03/1990",
        "Code commune": "62041", "Volet": "ACCES", "Logement identifié": "O", "Type de parc": "PUBLIC",
        "Date de dépôt": "01/03/2024", "Date de décision": "20/03/2024", "Décision": "ACCORD",
        "Motif de refus": "", "Forme de l'aide": "SUBVENTION", "Montant accordé": "712,50",
        "Garantie de loyer": "N", "Nombre de personnes": "3", "Procédure d'expulsion": "N",
    },
    "dalo": {
        "N° recours": "DALO-62-2024-0042", "Nom": "Bernard", "Prénom": "Kévin", "Adresse": "3 place Foch 62100 Calais",
        "Téléphone": "0711223344", "Courriel": "kevin.bernard@example.fr", "Date de naissance": "02/02/1985",
        "Code commune": "62193", "Type de recours": "LOGEMENT", "Date de dépôt": "10/01/2024",
        "Motif principal": "DELAI_ANORMAL", "Motif secondaire": "", "Typologie demandée": "T3",
        "Taille du ménage": "4", "Date de décision": "15/03/2024", "Décision": "PU", "Suite donnée": "EN_ATTENTE",
        "Date de relogement": "",
    },
}


def fsl_row(**changes: str) -> dict[str, str]:
    row = dict(VALID_ROWS["fsl"])
    row.update(changes)
    return row


def write_csv(path: Path, rows: list[dict[str, str]], source: str = "fsl", encoding: str = "utf-8",
              sep: str = ";", headers: list[str] | None = None) -> Path:
    headers = headers or [c.header for c in SOURCES[source].columns]
    lines = [sep.join(headers)] + [sep.join(r.get(h, "") for h in headers) for r in rows]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def write_xlsx(path: Path, rows: list[dict[str, str]], source: str, title_rows: int = 0) -> Path:
    headers = [c.header for c in SOURCES[source].columns]
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(title_rows):
        ws.append([f"Extraction {source} - titre {i + 1}"])
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h, "") for h in headers])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def workbook(sheets: dict[str, list[list[object]]]) -> openpyxl.Workbook:
    """A workbook holding these sheets (title -> rows), in order (not saved)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
    return wb
