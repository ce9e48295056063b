"""CAF foyers allocataires (Cnaf, data.caf.fr, s_ben_com_f) in the layout the team saves them (docs/sources/caf.md):
one export per December, caf_s_ben_com_f_AAAA.csv, ``;``-separated UTF-8 with a BOM, every row of that December.

Calibration on the annex (seeds/diagnostic/diagnostic_2022.csv): each territory's RSA households over its census
households (the census the mart divides by: the latest demo millésime at most the December's year minus two) give
the annex's « taux de bénéficiaires du RSA » in December 2020 (Arrageois 7.5, Artois 5.7, ... ; Ternois, which the
annex does not give, 6 %: choix); later Decembers drift down 2 % a year. The département's 11.1 % is not reachable
from the territories' figures with this denominator (about 9 %): the annex does not say its own.

Publisher's rules kept: counts rounded to the nearest multiple of 5; communes with fewer than 5 RSA households
under secret (empty RSA cells: demo choice of the secret's form, docs/sources/caf.md); a national file (rows of two
other départements), a row without commune code (ignored) and the département's households placed in no commune
(62XXX).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np

from observatoire.demo.common import geography, rng_for
from observatoire.demo.contexte import MILLESIMES as CENSUS_MILLESIMES
from observatoire.demo.contexte import _figure, census
from observatoire.extracts import CAF_ALLOCATAIRES
from observatoire.ingestion.open_sources import expected_millesime

FIRST = 2020  # the first December of s_ben_com_f
ANNEX_YEAR = 2020
DEFAULT_RATE = {"TER": 6.0}  # choix: the annex gives no Ternois figure
SECRET_BELOW = 5  # RSA households: fewer, the cells are left empty (demo choice)
HEADER = ["dtreffre", "numcomdo", "nomcom", "numepci", "numdep", "numregi", "indfoy_ndur", "indnbp_ndur",
          "indfoy_rsa", "indnbp_rsa", "indmtt_rsa", "indfoy_ppa", "indnbp_ppa"]
OTHER_DEPARTEMENTS = (("59350", "LILLE", "200093201", "59", "32"), ("80021", "AMIENS", "248000531", "80", "32"))


def census_millesime(year: int) -> int:
    """The census the mart divides a December by: the latest demo millésime at most ``year`` - 2."""
    return max(m for m in CENSUS_MILLESIMES if m <= year - 2)


def _five(x: np.ndarray) -> np.ndarray:
    """Rounded to the nearest multiple of 5, as the Cnaf publishes its counts."""
    return (np.floor(np.asarray(x, dtype=float) / 5 + 0.5) * 5).astype(np.int64)


def table(graine: int, year: int) -> tuple[list[list[str]], np.ndarray]:
    """The Pas-de-Calais' rows of a December (geography order) and the secret communes."""
    geo = geography()
    rp = census(graine, census_millesime(year))["rp"]
    rng = rng_for(graine, "caf", year)
    effect = rng_for(graine, "caf", "communes").lognormal(0.0, 0.35, len(geo.codes))
    drift = 0.98 ** (year - ANNEX_YEAR)
    rsa = np.zeros(len(geo.codes))
    secret = np.zeros(len(geo.codes), dtype=bool)
    for t, code in enumerate(geo.territories):
        m = geo.members(t)
        rate = _figure("rsa_rate_pct", code, DEFAULT_RATE.get(code, 6.0)) / 100 * drift
        target = rate * rp[m].sum()
        w = rp[m] * effect[m] * (geo.population[m] / geo.population[m].mean()) ** 0.15
        raw = target * w / w.sum()
        small = raw < SECRET_BELOW
        secret[m] = small
        # the territory's rate is reached on the communes published (the secret ones drop out of the sums)
        rsa[m[~small]] = target * w[~small] / w[~small].sum()
        rsa[m[small]] = raw[small]
    foyers = _five(rsa * rng.normal(1.0, 0.01, len(rsa)).clip(0.97, 1.03))
    allocataires = _five(rp * 0.42 * rng.normal(1.0, 0.05, len(rp)) + foyers)
    rows = []
    for i, code in enumerate(geo.codes):
        n_rsa = int(foyers[i])
        rsa_cells = ["", "", ""] if secret[i] else [str(n_rsa), str(int(_five(n_rsa * 2.1))), str(n_rsa * 560)]
        rows.append([f"{year}-12", code, geo.names[i].upper(), geo.epci_codes[geo.epci[i]], "62", "32",
                     str(int(allocataires[i])), str(int(_five(allocataires[i] * 2.4))), *rsa_cells,
                     str(int(_five(allocataires[i] * 0.3))), str(int(_five(allocataires[i] * 0.6)))])
    return rows, secret


def write(depot: Path, graine: int, today: date) -> int:
    """The Decembers released by ``today`` (from 2020); rows the loader keeps (the Pas-de-Calais' communes and
    its households placed in no commune)."""
    n = 0
    for year in range(FIRST, expected_millesime(CAF_ALLOCATAIRES, today) + 1):
        rows, _ = table(graine, year)
        extra = [[f"{year}-12", code, name, epci, dep, reg, "152345", "351200", "9260", "19450", "5188000",
                  "26745", "61500"] for code, name, epci, dep, reg in OTHER_DEPARTEMENTS]
        unplaced = [[f"{year}-12", "62XXX", "", "", "62", "32", "410", "655", "185", "240", "103000", "40", "95"]]
        nowhere = [[f"{year}-12", "", "", "", "", "", "2450", "3100", "1830", "2010", "1025000", "330", "700"]]
        lines = [HEADER, *rows[:2], *extra, *rows[2:], *unplaced, *nowhere]
        path = depot / CAF_ALLOCATAIRES.name / CAF_ALLOCATAIRES.publication.example.format(millesime=year)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(";".join(r) for r in lines) + "\n", encoding="utf-8-sig")
        n += len(rows) + len(unplaced)
    return n
