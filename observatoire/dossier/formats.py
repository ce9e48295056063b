"""French formatting of the figures shown in the COTECH dossier.

Numbers use a non-breaking space as thousands separator and a decimal comma (``1 234,5``), percentages a
non-breaking space before the sign (``12,3 %``), dates ``JJ/MM/AAAA``. A value masked by the secret
statistique is shown as ``s`` (see ``NOTE_SECRET``); a value that cannot be computed as an en dash.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

NBSP = "\u00a0"
MASQUE = "s"
NON_DISPONIBLE = "–"
NOTE_SECRET = ("s : secret statistique (effectif trop faible pour être diffusé, ou masqué pour empêcher de le "
               "retrouver).")
NOTE_NON_DISPONIBLE = "– : non calculable ou non disponible."


def nombre(valeur, decimales: int = 0) -> str:
    """``1234.5`` → ``1 234,5`` (``decimales`` digits after the comma); ``None`` → ``–``."""
    if valeur is None:
        return NON_DISPONIBLE
    if isinstance(valeur, Decimal):
        valeur = float(valeur)
    if isinstance(valeur, float) and (math.isnan(valeur) or math.isinf(valeur)):
        return NON_DISPONIBLE
    texte = f"{valeur:,.{decimales}f}"
    if texte.startswith("-") and float(texte.replace(",", "")) == 0:
        texte = texte[1:]
    return texte.replace(",", "\x00").replace(".", ",").replace("\x00", NBSP).replace("-", "−")


def pourcentage(proportion, decimales: int = 1) -> str:
    """A proportion (0.123) as a French percentage: ``12,3 %``."""
    if proportion is None:
        return NON_DISPONIBLE
    return f"{nombre(float(proportion) * 100, decimales)}{NBSP}%"


def euros(valeur) -> str:
    if valeur is None:
        return NON_DISPONIBLE
    return f"{nombre(valeur, 0)}{NBSP}€"


def date_fr(jour: dt.date | dt.datetime | None) -> str:
    """``2024-12-31`` → ``31/12/2024``."""
    if jour is None:
        return NON_DISPONIBLE
    return jour.strftime("%d/%m/%Y")


def date_longue(jour: dt.date) -> str:
    mois = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre",
            "novembre", "décembre"]
    premier = "1er" if jour.day == 1 else str(jour.day)
    return f"{premier} {mois[jour.month - 1]} {jour.year}"


FORMATEURS = {
    "nombre": lambda v: nombre(v, 0),
    "decimal1": lambda v: nombre(v, 1),
    "decimal2": lambda v: nombre(v, 2),
    "pct": pourcentage,
    "euros": euros,
}


def cellule(ligne: dict, colonne: str, genre: str = "nombre") -> str:
    """Formatted value of ``colonne`` in a diffusion row: ``s`` when listed in ``colonnes_masquees``."""
    if colonne in (ligne.get("colonnes_masquees") or []):
        return MASQUE
    return FORMATEURS[genre](ligne.get(colonne))


def est_masque(ligne: dict, *colonnes: str) -> bool:
    masquees = ligne.get("colonnes_masquees") or []
    return any(c in masquees for c in colonnes)
