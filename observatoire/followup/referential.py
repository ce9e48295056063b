"""What each pilot owes before a COTECH, from the reviewed seeds of seeds/plan/ (fiches, indicators, pilots,
COTECH calendar) and the geography seeds. The one definition of "due": the workbooks are written from it
(prepare.py, the demo), and the marts count completeness against its copy, the generated seed
seeds/plan/suivi_attendus.csv (observatoire/generators/followup_due.py, checked by ``make test``).

When an indicator is due at a COTECH, by its periodicity:
- ``trimestrielle`` and ``ponctuelle`` (a milestone): at every COTECH, for the last quarter complete before it;
- ``annuelle``: at the first COTECH of a year, for the year before.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from datetime import date

from observatoire.followup.layout import FICHE_SHEET, PROGRESS_SHEET
from observatoire.settings import GEOGRAPHY_DIR, SEEDS_DIR

PLAN_DIR = SEEDS_DIR / "plan"
DEPARTEMENT = ("62", "Pas-de-Calais")


def _rows(path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@functools.cache
def calendar() -> tuple[tuple[date, str], ...]:
    """The COTECH meetings (date, quarter AAAA-Tn), in order."""
    return tuple((date.fromisoformat(r["date_cotech"]), r["periode_cotech"])
                 for r in _rows(PLAN_DIR / "calendrier_cotech.csv"))


def cotech_period(cotech: date) -> str:
    """The quarter (AAAA-Tn) of a COTECH of the calendar; ValueError naming the calendar otherwise."""
    for day, period in calendar():
        if day == cotech:
            return period
    known = ", ".join(d.strftime("%d/%m/%Y") for d, _ in calendar() if abs((d - cotech).days) < 200)
    raise ValueError(f"{cotech:%d/%m/%Y} n'est pas une date de COTECH de seeds/plan/calendrier_cotech.csv"
                     + (f" (dates proches : {known})" if known else "") + ".")


@functools.cache
def fiches() -> dict[str, dict[str, str]]:
    return {r["fiche"]: r for r in _rows(PLAN_DIR / "fiches_actions.csv")}


@functools.cache
def indicators() -> tuple[dict[str, str], ...]:
    return tuple(_rows(PLAN_DIR / "indicateurs_plan_referentiel.csv"))


@functools.cache
def pilots() -> dict[str, str]:
    """Pilot code -> institution's name."""
    return {r["code_pilote"]: r["libelle_pilote"] for r in _rows(PLAN_DIR / "pilotes_plan.csv")}


def contacts() -> dict[str, str]:
    """Pilot code -> e-mail address of its contact (filled in by the observatory team)."""
    return {r["code_pilote"]: r["courriel_contact"] for r in _rows(PLAN_DIR / "pilotes_plan.csv")}


@functools.cache
def zones(level: str) -> tuple[tuple[str, str], ...]:
    """(code, name) of the zones of a follow-up level."""
    if level == "departement":
        return (DEPARTEMENT,)
    if level == "territoire":
        rows = sorted(_rows(GEOGRAPHY_DIR / "territoires.csv"), key=lambda r: int(r["ordre"]))
        return tuple((r["code_territoire"], r["nom_territoire"]) for r in rows)
    if level == "arrondissement":
        return tuple((r["code_arrondissement"], r["nom_arrondissement"])
                     for r in _rows(GEOGRAPHY_DIR / "arrondissements.csv"))
    raise ValueError(f"niveau de suivi inconnu : {level}")


def last_complete_quarter(day: date) -> str:
    quarter = (day.month - 1) // 3  # the current quarter's index (0-3): the one before it is complete
    return f"{day.year - 1}-T4" if quarter == 0 else f"{day.year}-T{quarter}"


def period_due(periodicity: str, cotech: date) -> str | None:
    """The period an indicator of this periodicity is due for at a COTECH, or None if it is not due then."""
    if periodicity in ("trimestrielle", "ponctuelle"):
        return last_complete_quarter(cotech)
    if periodicity == "annuelle":
        first_of_year = min(d for d, _ in calendar() if d.year == cotech.year)
        return str(cotech.year - 1) if cotech == first_of_year else None
    raise ValueError(f"périodicité inconnue : {periodicity}")


@dataclass(frozen=True)
class Due:
    """One value a pilot owes at a COTECH: an indicator of a fiche, for a zone and a period."""
    pilote: str
    fiche: str
    code_indicateur: str
    libelle: str
    nature: str
    unite: str
    niveau: str
    code_zone: str
    zone: str
    periode: str

    @property
    def sheet(self) -> str:
        return FICHE_SHEET.format(fiche=self.fiche)


def due(cotech: date) -> list[Due]:
    """Every value due at a COTECH, by pilot, fiche, indicator and zone (the collected indicators only)."""
    rows = []
    for ind in indicators():
        if ind["mode"] != "collecte":
            continue
        period = period_due(ind["periodicite"], cotech)
        if period is None:
            continue
        for code, name in zones(ind["niveau_suivi"]):
            rows.append(Due(ind["pilote_collecte"], ind["fiche"], ind["code_indicateur"], ind["libelle_indicateur"],
                            ind["nature"], ind["unite"], ind["niveau_suivi"], code, name, period))
    return sorted(rows, key=lambda d: (d.pilote, _fiche_order(d.fiche), d.code_indicateur, d.code_zone))


def led_fiches(pilot: str) -> list[str]:
    """The fiches a pilot leads (first of its pilots), whose progress it reports on the sheet Avancement (the
    fiches with indicators: 2-2 has no text, 6-1 is the governance chapter)."""
    return sorted((f for f, r in fiches().items() if r["codes_pilotes"].split()[:1] == [pilot]
                   and r["statut_referentiel"] == "avec_indicateurs"), key=_fiche_order)


def workbook_pilots(cotech: date) -> list[str]:
    """The pilots that receive a workbook at a COTECH: those owing a value or leading a fiche."""
    owing = {d.pilote for d in due(cotech)}
    leading = {p for p in {r["codes_pilotes"].split()[0] for r in fiches().values() if r["codes_pilotes"]}
               if led_fiches(p)}
    return sorted(owing | leading)


def sheets(pilot: str, cotech: date) -> list[str]:
    """The sheets of a pilot's workbook, after Lisez-moi: Avancement, then one per fiche it owes values for."""
    owed = sorted({d.fiche for d in due(cotech) if d.pilote == pilot}, key=_fiche_order)
    return [PROGRESS_SHEET, *(FICHE_SHEET.format(fiche=f) for f in owed)]


def _fiche_order(fiche: str) -> tuple[int, ...]:
    return tuple(int(p) for p in fiche.split("-"))
