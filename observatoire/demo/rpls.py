"""RPLS (SDES) in its publisher's layout (docs/sources/rpls.md): one workbook per millésime, the sheets of every
level, label rows above the technical names on row 6, national rows (a few of other départements).

Calibration on the annex (seeds/diagnostic/diagnostic_2022.csv), parc au 1er janvier 2021: 161 622 social
dwellings in the département (section II, note 2); the Audomarois' and Ternois' counts; the Artois' and Arrageois'
shares of their résidences principales; the rest shared by the other territories in proportion to their
résidences principales with a weight of our own (choix: Lens-Hénin the best provided, Montreuillois the second
least after the Ternois, as the annex says). Individual dwellings: 70 % in Lens-Hénin, 56.6 % in the département;
sizes: the département's 2 % T1, 16 % T2, 71 % T3-T4, 11 % T5 or more.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import numpy as np
import openpyxl

from observatoire.demo.common import geography, quota, rng_for
from observatoire.demo.contexte import _figure, annex, census
from observatoire.extracts import RPLS
from observatoire.followup.workbook import stamped_workbook
from observatoire.ingestion.open_sources import expected_millesime

MILLESIMES = (2021, 2023)
ANNEX_MILLESIME = 2021
WEIGHTS = {"LEN": 0.34, "BOU": 0.26, "CAL": 0.27, "MON": 0.10}  # choix: social share of the free territories
ROOMS = {"nb_ls_1piece": 0.02, "nb_ls_2piece": 0.16, "nb_ls_3piece": 0.38, "nb_ls_4piece": 0.33,
         "nb_ls_5piece_plus": 0.11}
HEADER = ["DEPCOM_ARM", "LIBCOM", "nb_ls", "nb_ls_individuels", "nb_ls_collectifs", *ROOMS, "nb_vacants", "tx_vac"]
OTHER_DEPARTEMENTS = (("59350", "Lille"), ("80021", "Amiens"))


def territory_counts(graine: int) -> dict[str, int]:
    """Social dwellings per territory at 1 January 2021."""
    geo = geography()
    rp = census(graine, 2021)["rp"]
    rp_t = {code: rp[geo.territory == t].sum() for t, code in enumerate(geo.territories)}
    counts: dict[str, float] = {}
    for code in geo.territories:
        if ("social_housing_units", code) in annex():
            counts[code] = _figure("social_housing_units", code, 0)
        elif ("social_housing_pct", code) in annex():
            counts[code] = _figure("social_housing_pct", code, 0) / 100 * rp_t[code]
    rest = _figure("rpls_note2_logements", "D62", 161622) - sum(counts.values())
    free = [c for c in geo.territories if c not in counts]
    weights = {c: WEIGHTS.get(c, 0.2) * rp_t[c] for c in free}
    counts |= {c: rest * w / sum(weights.values()) for c, w in weights.items()}
    return {c: round(v) for c, v in counts.items()}


def table(graine: int, millesime: int) -> list[list[object]]:
    """The communes sheet's rows (Pas-de-Calais, in geography order)."""
    geo = geography()
    rng = rng_for(graine, "rpls", millesime)
    effect = rng_for(graine, "rpls", "communes").lognormal(0.0, 0.6, len(geo.codes))
    growth = 1 + 0.006 * (millesime - ANNEX_MILLESIME)
    social = np.zeros(len(geo.codes), np.int64)
    for t, code in enumerate(geo.territories):
        m = geo.members(t)
        weights = geo.population[m] ** 1.3 * effect[m]  # social housing concentrates in towns
        social[m] = quota(round(territory_counts(graine)[code] * growth), weights)
    individual_share = np.full(len(geo.codes), 0.0)
    len_t = geo.territories.index("LEN")
    target_dept = _figure("social_housing_individual_share_pct", "D62", 56.6) / 100
    len_share = _figure("social_housing_individual_share_pct", "LEN", 70.0) / 100
    len_total = social[geo.territory == len_t].sum()
    other_share = (target_dept * social.sum() - len_share * len_total) / (social.sum() - len_total)
    individual_share[:] = np.where(geo.territory == len_t, len_share, other_share)
    rows = []
    for i, code in enumerate(geo.codes):
        n = int(social[i])
        ind = int(round(n * individual_share[i]))
        rooms = quota(n, list(ROOMS.values())) if n else [0] * len(ROOMS)
        vacant = int(rng.binomial(n, 0.03)) if n else 0
        rows.append([code, geo.names[i], n, ind, n - ind, *map(int, rooms), vacant,
                     round(100 * vacant / n, 1) if n else None])
    return rows


def write(depot: Path, graine: int, today: date) -> int:
    """The workbooks of the millésimes published by ``today``; rows of the communes sheets written."""
    n = 0
    for millesime in MILLESIMES:
        if millesime > expected_millesime(RPLS, today):
            continue
        wb = openpyxl.Workbook()
        info = wb.active
        info.title = "INFORMATIONS"
        info.append([f"Le parc locatif social au 1er janvier {millesime} – résultats détaillés"])
        info.append(["Source : SDES, RPLS au 1er janvier ; démonstration générée, calibrée sur l'annexe 4"])
        rows = table(graine, millesime)
        for sheet, code_header, lines in (
                ("DEPARTEMENT", "DEP", [["62", "Pas-de-Calais", *[sum(r[k] for r in rows) for k in range(2, 11)]]]),
                ("EPCI", "EPCI", []),
                ("COMMUNES", "DEPCOM_ARM", rows[:3] + [[c, name, 4100, 900, 3200, 80, 650, 1500, 1400, 470, 95, 2.3]
                                                       for c, name in OTHER_DEPARTEMENTS] + rows[3:])):
            ws = wb.create_sheet(sheet)
            ws.append([f"Parc locatif social au 1er janvier {millesime}"])
            ws.append(["Localisation", None, "Parc", None, None, "Nombre de pièces"])
            ws.append(["", "", "Ensemble", "Individuels", "Collectifs"])
            ws.append(["", "", "", "", "", "1 pièce", "2 pièces", "3 pièces", "4 pièces", "5 pièces et plus"])
            ws.append([])
            ws.append([code_header, *HEADER[1:]])
            for line in lines:
                ws.append(line)
            n += len(rows) if sheet == "COMMUNES" else 0  # the Pas-de-Calais' communes, the rows the loader keeps
        path = depot / RPLS.name / RPLS.publication.example.format(millesime=millesime)
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        wb.save(buffer)
        path.write_bytes(stamped_workbook(buffer.getvalue(), datetime(millesime, 11, 15)))
    return n
