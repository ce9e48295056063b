"""The follow-up workbook's layout: its sheets, their columns and letters, and where its identity is written.
Written by prepare.py, read back by the intake (workbook.py) and declared as the source ``suivi_plan`` in
observatoire/extracts.py: one layout, so that what is sent and what is read cannot drift apart."""

from __future__ import annotations

from dataclasses import dataclass

README_SHEET = "Lisez-moi"
PROGRESS_SHEET = "Avancement"
FICHE_SHEET = "Fiche {fiche}"  # one sheet per fiche action: "Fiche 2-5"
HEADER_ROW = 5  # rows 1 to 4: title, pilot, COTECH, instructions
# The workbook's identity, on the README sheet (column B): read first, refused when unknown.
IDENTITY = {"pilote": "B3", "date_cotech": "B4", "periode_cotech": "B5", "feuilles": "B6"}
IDENTITY_LABELS = {"pilote": "Pilote (code)", "date_cotech": "Date du COTECH", "periode_cotech": "Trimestre",
                   "feuilles": "Feuilles de fiches"}


@dataclass(frozen=True)
class SheetColumn:
    header: str
    name: str  # warehouse column; "" for context shown to the pilot and not read back
    width: int
    entered: bool = False  # filled by the pilot (unlocked); the others are locked context


# A fiche sheet: one row per indicator × zone × period due.
INDICATOR_COLUMNS = (
    SheetColumn("Fiche", "fiche", 8),
    SheetColumn("Code indicateur", "code_indicateur", 24),
    SheetColumn("Indicateur", "", 60),
    SheetColumn("Nature", "nature", 11),
    SheetColumn("Unité", "", 12),
    SheetColumn("Niveau", "niveau", 14),
    SheetColumn("Code zone", "code_zone", 10),
    SheetColumn("Zone", "", 22),
    SheetColumn("Période", "periode", 10),
    SheetColumn("Valeur précédente", "", 14),
    SheetColumn("Valeur calculée (entrepôt)", "", 14),
    SheetColumn("Valeur", "valeur", 14, entered=True),
    SheetColumn("Commentaire", "commentaire", 40, entered=True),
)
# The progress sheet: one row per fiche the pilot leads.
PROGRESS_COLUMNS = (
    SheetColumn("Fiche", "fiche", 8),
    SheetColumn("Intitulé", "", 60),
    SheetColumn("Statut précédent", "", 16),
    SheetColumn("Statut", "statut", 16, entered=True),
    SheetColumn("Commentaire sur l'avancement", "commentaire_avancement", 40, entered=True),
    SheetColumn("Prochain jalon", "prochain_jalon", 30, entered=True),
    SheetColumn("Date du prochain jalon", "date_prochain_jalon", 14, entered=True),
)


def letter(index: int) -> str:
    """Column letter of a 0-based index (A to Z is enough for these sheets)."""
    return chr(ord("A") + index)


def letters() -> dict[str, str]:
    """Column letter of every column read back, by warehouse name (each is on one sheet kind only, except
    ``fiche``, column A on both)."""
    found: dict[str, str] = {}
    for columns in (INDICATOR_COLUMNS, PROGRESS_COLUMNS):
        for i, c in enumerate(columns):
            if c.name:
                assert found.get(c.name, letter(i)) == letter(i), c.name
                found[c.name] = letter(i)
    return found
