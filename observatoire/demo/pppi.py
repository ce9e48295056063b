"""PPPI (Filocom): one row per commune and millésime (887 current communes, biennial millésimes).

Résidences principales privées (RPP) per commune = population / 2.3 x the territory's private share (rescaled
once so that the département has 29 013 PPPI in 2017 at the annex's rates). PPPI per EPCI = rate x RPP,
with the published EPCI and territory rates of 2017 (calibration.PPPI_*), then allocated to communes in
proportion to RPP x a persistent commune effect (largest remainder, so EPCI totals are exact). Other
millésimes scale the 2017 counts (PPPI_COUNT_INDEX). Sub-counts follow the département's shares.

``echelle`` does not change this file: it stays one row per commune and millésime with the real orders of
magnitude (it is reference stock data, a few thousand rows in all), so rates stay meaningful at any scale.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa

from observatoire.demo import calibration as cal
from observatoire.demo.common import geography, quota, rng_for
from observatoire.demo.periods import FileSpec, last_day, pppi_extraction

SECRET_THRESHOLD = 11


@cache
def _base() -> tuple[np.ndarray, dict[int, float]]:
    """(RPP 2017 per commune, PPPI rate 2017 per EPCI index)."""
    geo = geography()
    terr_codes = np.array(geo.territories)[geo.territory]
    share = np.array([cal.PPPI_PRIVATE_SHARE[t] for t in terr_codes])
    size = geo.population
    rural = np.where(size < 1000, 1.12, np.where(size < 5000, 1.05, np.where(size > 30000, 0.88, 1.0)))
    rpp = geo.population / cal.PPPI_PERSONS_PER_RP * np.clip(share * rural, 0.3, 0.95)
    rates: dict[int, float] = {}
    for t, code in enumerate(geo.territories):
        members = np.unique(geo.epci[geo.territory == t])
        rpp_e = {e: rpp[geo.epci == e].sum() for e in members}
        fixed = {e: cal.PPPI_EPCI_RATE_2017[geo.epci_codes[e]] for e in members
                 if geo.epci_codes[e] in cal.PPPI_EPCI_RATE_2017}
        free = [e for e in members if e not in fixed]
        target = cal.PPPI_RATE_2017.get(code)
        rates.update(fixed)
        if not free:
            continue
        factor = {e: cal.PPPI_EPCI_FACTOR.get(geo.epci_codes[e], 1.0) for e in free}
        if target is None:
            raise ValueError(f"PPPI : taux libre sans cible pour le territoire {code}")
        rest = target * sum(rpp_e.values()) - sum(fixed[e] * rpp_e[e] for e in fixed)
        r = rest / sum(factor[e] * rpp_e[e] for e in free)
        rates.update({e: factor[e] * r for e in free})
    # one factor on the private shares: 29 013 PPPI in 2017
    pppi_2017 = sum(rates[e] / 100 * rpp[geo.epci == e].sum() for e in rates)
    target_count = next(t.value for t in cal.TARGETS if t.indicator == "pppi_logements" and t.year == "2017")
    return rpp * target_count / pppi_2017, rates


def table(graine: int, millesime: int) -> pa.Table:
    geo = geography()
    rpp2017, rates = _base()
    structure = rng_for(graine, "pppi", "structure")
    effect = structure.lognormal(0.0, 0.35, len(rpp2017)) * np.where(geo.population < 1000, 1.25, 1.0)
    rng = rng_for(graine, "pppi", millesime)
    growth = (1 + cal.PPPI_RP_GROWTH) ** (millesime - 2017)
    rpp = np.round(rpp2017 * growth * rng.normal(1.0, 0.01, len(rpp2017))).astype(np.int64)
    pppi = np.zeros(len(rpp), np.int64)
    index = cal.PPPI_COUNT_INDEX[millesime]
    for e, rate in sorted(rates.items()):
        members = np.flatnonzero(geo.epci == e)
        total = int(round(rate / 100 * rpp2017[members].sum() * index))
        weights = rpp[members] * effect[members] * rng.lognormal(0.0, 0.08, len(members))
        pppi[members] = quota(total, weights)
    pppi = np.minimum(pppi, (rpp * 0.45).astype(np.int64))

    def part(share: float, spread: float) -> np.ndarray:
        return np.minimum(np.round(pppi * share * rng.lognormal(0.0, spread, len(pppi))), pppi).astype(np.int64)

    lp = part(cal.PPPI_LOCATAIRES, 0.05)
    po = np.minimum(part(cal.PPPI_PO, 0.05), pppi - lp)
    cat6 = part(cal.PPPI_CAT6, 0.15)
    before = part(cal.PPPI_AVANT_1949, 0.05)
    counts = np.vstack([rpp, pppi, cat6, pppi - cat6, po, lp, before])
    secret = ((counts >= 1) & (counts < SECRET_THRESHOLD)).any(axis=0)
    return pa.table({
        "code_commune": pa.array(geo.codes),
        "millesime": pa.array(np.full(len(rpp), millesime, np.int32)),
        "nb_rp_privees": pa.array(rpp), "nb_pppi": pa.array(pppi), "nb_pppi_cat6": pa.array(cat6),
        "nb_pppi_cat78": pa.array(pppi - cat6), "nb_pppi_po": pa.array(po), "nb_pppi_lp": pa.array(lp),
        "nb_pppi_avant_1949": pa.array(before), "secret_statistique": pa.array(secret),
    })


def plan(first: int, last: int) -> list[FileSpec]:
    end = last_day(last)
    return [FileSpec("pppi", str(m), pppi_extraction(m)) for m in cal.PPPI_MILLESIMES
            if m in cal.PPPI_ALWAYS or pppi_extraction(m) <= end]


def produce(graine: int, echelle: float, first: int, last: int):
    for spec in plan(first, last):
        yield spec, table(graine, int(spec.period)), {}
