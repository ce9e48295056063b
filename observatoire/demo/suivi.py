"""Demo follow-up workbooks (fiche 6-3): the pilots' returns for the last four COTECH of the calendar before
the end of the demo, written with the very writer and referential of ``observatoire suivi preparer``. The cycle
is shown whole: most pilots return their workbook, some late (no return for a COTECH), one workbook carries a
bad cell (text in a number: quarantined, named by sheet and cell), and one pilot returns twice (after a
reminder, a workbook prepared again: the latest one wins, the ledger keeps both)."""

from __future__ import annotations

import random
from datetime import date, timedelta
from pathlib import Path

from observatoire.extracts import code_list
from observatoire.followup import referential, workbook
from observatoire.followup.layout import FICHE_SHEET
from observatoire.followup.prepare import file_name

COTECH_COUNT = 4
PREPARED_BEFORE = 21  # days: workbooks are sent three weeks before the COTECH
REMINDED_AFTER = 10  # days after the first sending: a reminder with a workbook prepared again
LATE = {-1: ("urh", "caf"), -3: ("ars",)}  # by COTECH rank from the last: pilots that returned nothing
BAD_CELL = (-2, "departement")  # a number typed as text
RETURNED_TWICE = (-1, "siao")
FILLED = 0.9  # share of the values due a pilot fills in


def cotechs(last_day: date, today: date) -> list[tuple[date, str]]:
    """The last COTECH_COUNT COTECH of the calendar held by the end of the demo, whose workbooks were sent by
    ``today``."""
    held = [(d, p) for d, p in referential.calendar()
            if d <= last_day and d - timedelta(days=PREPARED_BEFORE) <= today]
    return held[-COTECH_COUNT:]


def _value(rng: random.Random, nature: str, level: str, period: str, previous: float | None):
    if nature == "nombre":
        base = previous if previous is not None else rng.uniform(3, 60) * (1 if level != "departement" else 6)
        return max(0, round(base * rng.uniform(0.8, 1.25)))
    if nature == "part":
        return round(min(100.0, max(0.0, (previous or rng.uniform(45, 90)) + rng.uniform(-6, 6))), 1)
    if nature == "montant":
        return round(rng.uniform(5_000, 80_000), 2)
    if nature == "delai":
        return round(rng.uniform(15, 120))
    if nature == "jalon":
        year, quarter = int(period[:4]), int(period[-1])
        return date(year, 3 * quarter, 1) - timedelta(days=rng.randint(1, 60)) if rng.random() < 0.5 else None
    return rng.randint(2, 5)  # qualitatif


def write_returns(folder: Path, last_day: date, graine: int, today: date) -> int:
    """Write the returned workbooks into the dépôt folder ``folder``; returns the number of rows the ingestion
    reads from them (one per indicator row of a fiche sheet and per fiche of the sheet Avancement)."""
    statuses = code_list("suivi_statuts_action")
    previous: dict[tuple[str, str], float] = {}
    status: dict[str, str] = {}
    written = 0
    held = cotechs(last_day, today)
    for rank, (cotech, period) in enumerate(held, start=-len(held)):
        prepared = cotech - timedelta(days=PREPARED_BEFORE)
        due = referential.due(cotech)
        for pilot in referential.workbook_pilots(cotech):
            if pilot in LATE.get(rank, ()):
                continue
            rng = random.Random(f"{graine}-{pilot}-{cotech}")
            rows: dict[str, list[dict]] = {}
            for d in (d for d in due if d.pilote == pilot):
                value = _value(rng, d.nature, d.niveau, d.periode, previous.get((d.code_indicateur, d.code_zone)))
                if rng.random() > FILLED:
                    value = None
                if isinstance(value, int | float) and d.nature in ("nombre", "part", "montant"):
                    previous[(d.code_indicateur, d.code_zone)] = value
                rows.setdefault(FICHE_SHEET.format(fiche=d.fiche), []).append({
                    "fiche": d.fiche, "code_indicateur": d.code_indicateur, "libelle": d.libelle,
                    "nature": d.nature, "unite": d.unite, "niveau": d.niveau, "code_zone": d.code_zone,
                    "zone": d.zone, "periode": d.periode, "valeur": value,
                    "commentaire": "appréciation du comité de pilotage" if d.nature == "qualitatif" else None})
            if (rank, pilot) == BAD_CELL and rows:
                first = next(r for sheet in rows.values() for r in sheet if r["nature"] == "nombre")
                first["valeur"] = f"env. {first['valeur'] or 40}"
            led = []
            for fiche in referential.led_fiches(pilot):
                now = statuses[min(statuses.index(status.get(fiche, statuses[0])) + rng.randint(0, 1), 2)]
                led.append({"fiche": fiche, "titre": referential.fiches()[fiche]["titre"],
                            "statut_precedent": status.get(fiche), "statut": now,
                            "commentaire_avancement": f"Point d'étape au COTECH du {cotech:%d/%m/%Y}",
                            "prochain_jalon": "Bilan présenté au prochain COTECH",
                            "date_prochain_jalon": cotech + timedelta(days=rng.randint(30, 120))})
                status[fiche] = now
            versions = [prepared]
            if (rank, pilot) == RETURNED_TWICE:  # a first return, partly filled, then the complete one
                versions = [prepared, prepared + timedelta(days=REMINDED_AFTER)]
            for i, day in enumerate(versions):
                sheets = rows if i == len(versions) - 1 else {
                    s: [{**r, "valeur": None} for r in sheet] for s, sheet in rows.items()}
                workbook.write(folder / file_name(period, pilot, day), pilot, referential.pilots()[pilot], cotech,
                               period, sheets, led)
                written += sum(len(sheet) for sheet in sheets.values()) + len(led)
    return written
