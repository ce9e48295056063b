"""FINESS open data in the ANS's layouts (docs/sources/finess.md): the extraction of establishments (cs1100502) and
of social and medico-social equipment (cs1100505), one extraction a year from 2020 (the annex's figures are
« données arrêtées au 01/09/2020 ») to the last month generated.

Calibration for 2020 (seeds/diagnostic/diagnostic_2022.csv): the département's CHRS (911 places in 25 centres),
LHSS (29 places) and pensions de famille / résidences accueil (340 places in 17 structures, each territory's own
figure); the Calaisis's FJT places (84). Choix, where the annex gives no FINESS-comparable figure: CHRS centres
spread by population, FJT and other résidences sociales at 70 % of each territory's « ALT-FJT/résidence sociale »
places (the rest being ALT, absent from FINESS), CADA + CPH at 850 places (the annex's 1 220 « DNA » places also
count HUDA), 150 places in other reception centres. Establishments sit in the larger communes of their territory.

Publisher's layout kept: a comment first line, no header, positional fields; the equipment file's structureet
lines; a few establishments of other départements (left out by the loader); deleted installations
(indsupinst = O, whose places do not count); establishments of categories the observatory does not count
(EHPAD); the equipment file in Windows-1252.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np

from observatoire.demo.common import geography, rng_for
from observatoire.demo.contexte import annex
from observatoire.extracts import FINESS_EQUIPEMENT_FIELDS, FINESS_ETABLISSEMENT_FIELDS

SOURCES = ("finess_etablissements", "finess_equipements")
FIRST_YEAR = 2020
EXTRACTION_DAY = (9, 1)  # one extraction a year, on 1 September (the annex's figures are of 01/09/2020)
ALT_SHARE = 0.30  # choix: part of the annex's « ALT-FJT/résidence sociale » places that are ALT (not in FINESS)
CHRS = (911, 25)
LHSS = (29, 3)
CADA_CPH_PLACES = 850
OTHER_RECEPTION_PLACES = 150
LABELS = {"214": "Centre Hébergement & Réinsertion Sociale (C.H.R.S.)", "219": "Autre Centre d'Accueil",
          "180": "Lits Halte Soins Santé (L.H.S.S.)", "443": "Centre Accueil Demandeurs Asile (C.A.D.A.)",
          "442": "Centre Provisoire d'Hébergement (C.P.H.)", "258": "Maisons Relais - Pensions de Famille",
          "259": "Autre Résidence Sociale (hors Maison Relais, Pension de Famille)",
          "257": "Foyer de Jeunes Travailleurs (résidence sociale ou non)",
          "500": "Etablissement d'hébergement pour personnes âgées dépendantes"}
# (discipline, label) of the equipment lines, by category (codes of the demo, not checked against FINESS's lists)
DISCIPLINES = {"214": ("957", "Hébergement d'insertion"), "219": ("958", "Hébergement d'urgence et de stabilisation"),
               "180": ("507", "Lits halte soins santé"), "443": ("914", "Accueil des demandeurs d'asile"),
               "442": ("915", "Accueil des réfugiés"), "258": ("917", "Logement en maison relais"),
               "259": ("918", "Logement en résidence sociale"), "257": ("916", "Logement foyer jeunes travailleurs"),
               "500": ("924", "Accueil pour personnes âgées")}


@dataclass
class Establishment:
    number: str
    commune: str  # Insee code
    category: str
    places: int
    opened: int  # first year it is in the file


def _split(rng: np.random.Generator, total: int, n: int) -> list[int]:
    """``n`` positive integers summing to ``total``."""
    if n == 0:
        return []
    w = rng.lognormal(0.0, 0.35, n)
    raw = total * w / w.sum()
    out = np.maximum(1, np.floor(raw)).astype(int)
    out[np.argmax(raw - out)] += total - out.sum()
    return [int(x) for x in out]


def _territory_figure(indicator: str, code: str) -> float:
    return annex().get((indicator, code), 0.0)


def establishments(graine: int) -> list[Establishment]:
    """The demo's establishments of the Pas-de-Calais (2020 capacities), each in a commune of its territory."""
    geo = geography()
    rng = rng_for(graine, "finess", "etablissements")
    by_territory = {code: geo.members(t) for t, code in enumerate(geo.territories)}
    population = {code: int(geo.population[m].sum()) for code, m in by_territory.items()}
    out: list[Establishment] = []

    def commune(code: str) -> str:
        members = by_territory[code]
        larger = members[np.argsort(geo.population[members])[::-1][:6]]
        return str(geo.codes[rng.choice(larger)])

    def add(category: str, code: str, places: list[int], opened: int = FIRST_YEAR) -> None:
        for p in places:
            out.append(Establishment(f"62{len(out) + 1:07d}", commune(code), category, p, opened))

    def by_population(total: int) -> dict[str, int]:
        shares = np.array([population[c] for c in geo.territories], dtype=float)
        raw = total * shares / shares.sum()
        n = np.floor(raw).astype(int)
        n[np.argsort(raw - n)[::-1][:total - n.sum()]] += 1
        return dict(zip(geo.territories, (int(x) for x in n), strict=True))

    centres = by_population(CHRS[1])
    places = _split(rng, CHRS[0], CHRS[1])
    for code, n in centres.items():
        add("214", code, places[:n])
        places = places[n:]
    lhss_territories = rng.choice(geo.territories, LHSS[1], replace=False)
    for code, p in zip(lhss_territories, _split(rng, *LHSS), strict=True):
        add("180", str(code), [p])
    for code, p in by_population(OTHER_RECEPTION_PLACES).items():
        if p:
            add("219", code, [p])
    for code, p in by_population(CADA_CPH_PLACES).items():
        if p >= 20:
            add("443", code, _split(rng, p - p // 5, max(1, p // 120)))
            add("442", code, [p // 5])
    # Pensions de famille / résidences accueil: each territory's places, 17 structures in all (territories
    # with more places get more structures).
    pf = {code: int(_territory_figure("logement_adapte_pf_ra_places", code)) for code in geo.territories}
    with_places = [code for code in geo.territories if pf[code]]
    raw = {code: 17 * pf[code] / sum(pf.values()) for code in with_places}
    structures = {code: max(1, int(raw[code])) for code in with_places}
    for code in sorted(with_places, key=lambda c: raw[c] - int(raw[c]), reverse=True)[:17 - sum(structures.values())]:
        structures[code] += 1
    for code in with_places:
        add("258", code, _split(rng, pf[code], structures[code]))
    for code in geo.territories:
        alt_fjt_rs = _territory_figure("logement_adapte_alt_fjt_rs_places", code)
        fjt = _territory_figure("fjt_places", code) or round(alt_fjt_rs * (1 - ALT_SHARE) * 0.4)
        rs = round(alt_fjt_rs * (1 - ALT_SHARE)) - fjt
        if fjt:
            add("257", code, _split(rng, int(fjt), max(1, round(fjt / 60))))
        if rs > 0:
            add("259", code, _split(rng, int(rs), max(1, round(rs / 40))))
    for code in geo.territories:  # establishments the observatory does not count
        add("500", code, [int(rng.integers(60, 110))])
    # later years: a pension de famille opens in the Montreuillois (the annex's project) and one in the Ternois
    add("258", "MON", [20], opened=2022)
    add("258", "TER", [24], opened=2023)
    return out


def extraction_days(today: date) -> list[date]:
    """One extraction a year, on 1 September, from 2020, up to ``today`` (a later ``jusqua`` adds files, never
    changes the earlier ones)."""
    return [day for year in range(FIRST_YEAR, today.year + 1) if (day := date(year, *EXTRACTION_DAY)) <= today]


def _etab_line(number: str, commune: str, category: str, name: str) -> list[str]:
    fields = dict.fromkeys(FINESS_ETABLISSEMENT_FIELDS, "")
    dep, com = commune[:2], commune[2:]
    fields |= {"section": "structureet", "nofinesset": number, "nofinessej": f"{dep}{int(number[2:]) + 5000000:07d}",
               "rs": name[:38].upper(), "rslongue": name, "numvoie": "12", "typvoie": "R", "voie": "DES ÉCOLES",
               "commune": com, "departement": dep, "libdepartement": "PAS-DE-CALAIS" if dep == "62" else "NORD",
               "ligneacheminement": f"{commune} VILLE", "telephone": "0321000000", "categetab": category,
               "libcategetab": LABELS.get(category, "Centre Hospitalier (C.H.)"), "categagretab": "4301",
               "libcategagretab": "Etab. et Services d'Hébergement pour Adultes en difficulté",
               "dateouv": "2001-01-01", "dateautor": "2001-01-01", "datemaj": "2020-06-30"}
    return list(fields.values())


def _equipment_line(number: str, category: str, places: int, deleted: bool, client: str = "840") -> list[str]:
    fields = dict.fromkeys(FINESS_EQUIPEMENT_FIELDS, "")
    de, libde = DISCIPLINES[category]
    fields |= {"section": "equipementsocial", "nofinesset": number, "de": de, "libde": libde, "ta": "11",
               "libta": "Hébergement Complet Internat", "client": client,
               "libclient": "Personnes et Familles en Difficulté", "sourceinfo": "S", "capinstot": str(places),
               "capinsthab": str(places), "indsupinst": "O" if deleted else "N", "datederinst": "2019-01-01",
               "capautot": str(places), "indsupaut": "O" if deleted else "N", "dateautor": "2001-01-01"}
    return list(fields.values())


FOREIGN = [("590000011", "59350", "214", 60), ("800000013", "80021", "258", 25), ("590000029", "59183", "443", 90)]


def write(depot: Path, graine: int, sources: set[str], today: date) -> dict[str, int]:
    """The FINESS files of ``sources`` for every yearly extraction up to ``today``; rows written per source."""
    wanted = [s for s in SOURCES if s in sources]
    counts = dict.fromkeys(wanted, 0)
    if not wanted:
        return counts
    geo = geography()
    names = dict(zip(geo.codes, geo.names, strict=True))
    base = establishments(graine)
    for day in extraction_days(today):
        rng = rng_for(graine, "finess", day.year)
        present = [e for e in base if e.opened <= day.year]
        etabs, equipments, links = [], [], []
        for e in present:
            label = LABELS[e.category].split(" (")[0]
            etabs.append(_etab_line(e.number, e.commune, e.category, f"{label} {names[e.commune]}"))
            links.append(["structureet", e.number, f"62{int(e.number[2:]) + 5000000:07d}"])
            places = max(1, round(e.places * (1 + 0.01 * (day.year - FIRST_YEAR) * rng.normal(0.5, 0.5))))
            if day.year == FIRST_YEAR:
                places = e.places  # the annex's figures
            parts = _split(rng, places, 2) if places > 10 and rng.random() < 0.3 else [places]
            for i, p in enumerate(parts):
                equipments.append(_equipment_line(e.number, e.category, p, False, client=f"{840 + i}"))
            if rng.random() < 0.15:  # a closed installation, kept in the file with indsupinst = O
                equipments.append(_equipment_line(e.number, e.category, int(rng.integers(5, 30)), True,
                                                  client="850"))
        for number, commune, category, places in FOREIGN:
            etabs.insert(len(etabs) // 2, _etab_line(number, commune, category, "ETABLISSEMENT HORS DEPARTEMENT"))
            links.insert(0, ["structureet", number, number[:2] + "0000000"])
            equipments.insert(len(equipments) // 3, _equipment_line(number, category, places, False))
        stamp = f"{day:%Y%m%d}"
        # counted: the lines the loader keeps (the Pas-de-Calais' lines of the file's own section)
        if "finess_etablissements" in counts:
            _write(depot / "finess_etablissements" / f"etalab-cs1100502-stock-{stamp}-0400.csv", day, etabs, "utf-8")
            counts["finess_etablissements"] += len(etabs) - len(FOREIGN)
        if "finess_equipements" in counts:
            _write(depot / "finess_equipements" / f"etalab-cs1100505-stock-{stamp}-0344.csv", day, links + equipments,
                   "cp1252")
            counts["finess_equipements"] += len(equipments) - len(FOREIGN)
    return counts


def _write(path: Path, day: date, lines: list[list[str]], encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = "".join(";".join(fields) + "\n" for fields in [["finess", "etalab", str(len(lines)), day.isoformat()],
                                                           *lines])
    path.write_text(text, encoding=encoding, newline="")
