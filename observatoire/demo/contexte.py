"""Open data of the annex's context, in their publishers' layouts (docs/sources/insee.md): the Insee census bases
(population, logement, emploi) and Filosofi, for the millésime the annex quotes (2018, calibrated on its figures)
and a later one (2021, the same territories a few years on).

Calibration: the annex's figures (seeds/diagnostic/diagnostic_2022.csv, the one copy of annexe 4) give each
territory's résidences principales, age shares, youth index, vacancy, owners, unemployment and poverty rate, and
the département's population and household changes 2013-2018 and secondary homes; where a territory has no
figure, the département's is used ("choix" below). Communes share their territory's totals in proportion to their
COG population with a persistent commune effect; Filosofi's rates are drawn by EPCI so that each territory's
poor people over its people give the annex's rate.

Publishers' rules kept: national files (a few rows of other départements, which the loader leaves out), weighted
census counts with decimals, the earlier censuses the file gives for comparison (P13_/P08_ in 2018, P15_/P10_ in
2021), Filosofi's secret markers (« s ») for communes with too few households.
"""

from __future__ import annotations

import csv
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np

from observatoire.demo.common import geography, rng_for
from observatoire.extracts import SOURCES
from observatoire.ingestion.open_sources import expected_millesime
from observatoire.settings import SEEDS_DIR

MILLESIMES = {2018: (2013, 2008), 2021: (2015, 2010)}  # census millésime -> earlier censuses in its files
ANNEX_MILLESIME = 2018
OTHER_DEPARTEMENTS = ("59350", "80021", "75056")  # rows of a national file that are not the Pas-de-Calais
# Choix, where the annex gives no territory figure: the département's shares.
DEFAULTS = {"pop_60_74_pct": 16.8, "pop_75_plus_pct": 9.0, "pop_under_20_pct": 25.0, "vacancy_pct": 8.6,
            "secondary_residences_pct": 2.5, "social_rental_share": 0.26, "houses_share": 0.75}
FILOSOFI_SECRET_MEDIAN = 50  # Insee's rule: fewer households, no distribution figure (« s »)
FILOSOFI_SECRET_RATE = 1000  # the poverty rate is published only for the larger communes


@cache
def annex() -> dict[tuple[str, str], float]:
    """(indicator, zone: territory code or D62) -> the annex's figure (the first one where it gives several)."""
    out: dict[tuple[str, str], float] = {}
    with open(SEEDS_DIR / "diagnostic" / "diagnostic_2022.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            zone = "D62" if r["niveau"] == "departement" else r["code_zone"]
            try:
                out.setdefault((r["code_indicateur"], zone), float(r["valeur"]))
            except ValueError:
                continue
    return out


def _figure(indicator: str, zone: str, default: float) -> float:
    return annex().get((indicator, zone), default)


def _spread(rng: np.random.Generator, members: np.ndarray, total: float, weights: np.ndarray) -> np.ndarray:
    """Weighted values of ``members`` summing to ``total``."""
    w = weights[members] * rng.lognormal(0.0, 0.05, len(members))
    return total * w / w.sum()


@cache
def census(graine: int, millesime: int) -> dict[str, np.ndarray]:
    """Weighted census counts per commune (geography order)."""
    geo = geography()
    rng = rng_for(graine, "recensement", millesime)
    effect = rng_for(graine, "recensement", "communes").lognormal(0.0, 0.15, len(geo.codes))
    drift = millesime - ANNEX_MILLESIME  # later millésimes: the same territories, a few years on
    pop = geo.population * 0.995 * (1 + 0.0005 * drift) * rng.normal(1.0, 0.002, len(geo.codes))
    out = {k: np.zeros(len(geo.codes)) for k in (
        "pop_prec", "pop_0019", "pop_6074", "pop_75p", "pop_65p", "log", "rp", "rp_prec", "rsec", "vac",
        "maison", "prop", "loc", "hlm", "grat", "act", "chom")}
    out["pop"] = pop
    dept_change = _figure("population_change", "D62", 1538.0)
    ter = geo.territories.index("TER")
    ter_change = _figure("population_change", "TER", -285.0)
    others = geo.territory != ter
    owners_dept = _figure("owner_occupier_pct", "ARR", 65.3) - 10  # « +10 points » above the département
    free_owner = _free_owner_share(owners_dept)
    for t, code in enumerate(geo.territories):
        m = geo.members(t)
        total = pop[m].sum()
        change = ter_change if t == ter else (dept_change - ter_change) * total / pop[others].sum()
        years = millesime - MILLESIMES[millesime][0]
        out["pop_prec"][m] = pop[m] - _spread(rng, m, change * years / 5, pop)
        s6074 = _figure("pop_60_74_pct", code, DEFAULTS["pop_60_74_pct"]) / 100
        s75 = _figure("pop_75_plus_pct", code, DEFAULTS["pop_75_plus_pct"]) / 100
        youth = annex().get(("youth_index", code))
        under_20 = _figure("pop_under_20_pct", code, DEFAULTS["pop_under_20_pct"]) / 100
        s0019 = youth * (s6074 + s75) if youth else under_20
        for key, share in (("pop_0019", s0019), ("pop_6074", s6074 + 0.003 * drift), ("pop_75p", s75)):
            out[key][m] = pop[m] * share * rng.normal(1.0, 0.03, len(m))
        out["pop_65p"][m] = out["pop_75p"][m] + out["pop_6074"][m] * 0.62
        rp = _figure("residences_principales", code, pop[m].sum() / 2.3) * (1 + 0.004 * drift)
        out["rp"][m] = _spread(rng, m, rp, pop * effect)
        out["rp_prec"][m] = out["rp"][m] - _spread(rng, m, _figure("menages_evolution", "D62", 16246.0) * rp
                                                   / 630838 * years / 5, pop)
        vac = _figure("vacancy_pct", code, DEFAULTS["vacancy_pct"]) / 100 + 0.002 * drift
        sec = _secondary_share(code)
        log = out["rp"][m] / (1 - vac - sec)
        out["log"][m], out["vac"][m], out["rsec"][m] = log, log * vac, log * sec
        out["maison"][m] = log * DEFAULTS["houses_share"] * rng.normal(1.0, 0.05, len(m)).clip(0.5, 1.3)
        owner = _figure("owner_occupier_pct", code, free_owner if code != "LEN" else owners_dept - 10) / 100
        out["prop"][m] = out["rp"][m] * owner * rng.normal(1.0, 0.02, len(m))
        out["grat"][m] = out["rp"][m] * 0.015
        out["loc"][m] = out["rp"][m] - out["prop"][m] - out["grat"][m]
        out["hlm"][m] = out["loc"][m] * 0.55
        out["act"][m] = pop[m] * 0.45
        rate = _figure("unemployment_rate_pct", code, 16.6) / 100 - 0.01 * drift
        out["chom"][m] = out["act"][m] * rate * rng.normal(1.0, 0.04, len(m))
        out["chom"][m] *= rate * out["act"][m].sum() / out["chom"][m].sum()
    _town_vacancy(out, 0.002 * drift)
    return out


def _town_vacancy(out: dict[str, np.ndarray], drift: float) -> None:
    """The vacancy the annex quotes for a few towns (section II, l. 357); the other communes of each territory
    take up the difference, so that the territory keeps its own rate."""
    geo = geography()
    index = {code: i for i, code in enumerate(geo.codes)}
    towns = {index[r["code_zone_calcul"]]: float(r["valeur_texte"]) / 100 + drift
             for r in _review() if r["code_indicateur"] == "vacancy_pct_commune"}
    for t in range(len(geo.territories)):
        fixed = [i for i in towns if geo.territory[i] == t]
        if not fixed:
            continue
        m = geo.members(t)
        total = out["vac"][m].sum()
        for i in fixed:
            out["vac"][i] = out["log"][i] * towns[i]
        rest = np.setdiff1d(m, fixed)
        out["vac"][rest] *= (total - out["vac"][fixed].sum()) / out["vac"][rest].sum()


@cache
def _review() -> tuple[dict[str, str], ...]:
    with open(SEEDS_DIR / "diagnostic" / "revue_figures.csv", encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def _free_owner_share(dept_pct: float) -> float:
    """The owners' share of the territories the annex gives none, so that the département has ``dept_pct``."""
    geo = geography()
    rp = {code: _figure("residences_principales", code, 0.0) for code in geo.territories}
    given = {code: _figure("owner_occupier_pct", code, 0.0) for code in geo.territories
             if ("owner_occupier_pct", code) in annex()}
    given["LEN"] = dept_pct - 10  # « 10 points en dessous » of the département
    free = [c for c in geo.territories if c not in given]
    rest = dept_pct * sum(rp.values()) - sum(given[c] * rp[c] for c in given)
    return rest / sum(rp[c] for c in free)


def _secondary_share(code: str) -> float:
    """Secondary homes: the annex's Boulonnais share; the Montreuillois' so that the département has the annex's
    count; the département's default elsewhere (choix)."""
    if ("secondary_residences_pct", code) in annex():
        return annex()[("secondary_residences_pct", code)] / 100
    if code != "MON":
        return DEFAULTS["secondary_residences_pct"] / 100
    target = _figure("secondary_residences_count", "D62", 45645.0)
    geo = geography()
    fixed = 0.0
    for c in geo.territories:
        if c == "MON":
            continue
        s, v = _secondary_share(c), _figure("vacancy_pct", c, DEFAULTS["vacancy_pct"]) / 100
        fixed += _figure("residences_principales", c, 0) / (1 - v - s) * s
    rp, v = _figure("residences_principales", "MON", 0), _figure("vacancy_pct", "MON", 8.6) / 100
    # rp / (1 - v - s) * s = target - fixed  ->  s = k (1 - v) / (rp + k), k = target - fixed
    k = target - fixed
    return k * (1 - v) / (rp + k)


def _number(value: float) -> str:
    """A weighted count as Insee writes it: a point and up to 12 significant digits."""
    return f"{value:.12g}"


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def _foreign(rng: np.random.Generator, n: int) -> list[list[str]]:
    return [[code, *(_number(v) for v in rng.uniform(100, 50000, n))] for code in OTHER_DEPARTEMENTS]


def write_census(depot: Path, graine: int, millesime: int, sources: set[str]) -> dict[str, int]:
    geo = geography()
    c = census(graine, millesime)
    aa, (pp, old) = f"{millesime % 100:02d}", (f"{y % 100:02d}" for y in MILLESIMES[millesime])
    rng = rng_for(graine, "recensement", "etrangers", millesime)
    files = {
        "insee_rp_population": ("evol-struct-pop", [
            (f"P{aa}_POP", c["pop"]), (f"P{pp}_POP", c["pop_prec"]), (f"P{old}_POP", c["pop_prec"] * 0.99),
            (f"P{aa}_POP0019", c["pop_0019"]), (f"P{aa}_POP6074", c["pop_6074"]), (f"P{aa}_POP75P", c["pop_75p"]),
            (f"P{aa}_POP65P", c["pop_65p"]), (f"P{aa}_POPH", c["pop"] * 0.48), (f"P{pp}_POP0019", c["pop_0019"])]),
        "insee_rp_logement": ("logement", [
            (f"P{aa}_LOG", c["log"]), (f"P{aa}_RP", c["rp"]), (f"P{pp}_RP", c["rp_prec"]),
            (f"P{old}_RP", c["rp_prec"] * 0.98), (f"P{aa}_RSECOCC", c["rsec"]), (f"P{aa}_LOGVAC", c["vac"]),
            (f"P{aa}_MAISON", c["maison"]), (f"P{aa}_APPART", c["log"] - c["maison"]),
            (f"P{aa}_RP_PROP", c["prop"]), (f"P{aa}_RP_LOC", c["loc"]), (f"P{aa}_RP_LOCHLMV", c["hlm"]),
            (f"P{aa}_RP_GRAT", c["grat"])]),
        "insee_rp_emploi": ("emploi-pop-active", [
            (f"P{aa}_POP1564", c["pop"] * 0.62), (f"P{aa}_ACT1564", c["act"]), (f"P{aa}_CHOM1564", c["chom"])]),
    }
    counts = {}
    for source, (theme, columns) in files.items():
        if source not in sources:
            continue
        rows = [[code, *(_number(values[i]) for _, values in columns)] for i, code in enumerate(geo.codes)]
        rows = _foreign(rng, len(columns))[:2] + rows + _foreign(rng, len(columns))[2:]
        _write(depot / source / f"base-cc-{theme}-{millesime}.CSV", ["CODGEO", *(h for h, _ in columns)], rows)
        counts[source] = len(geo.codes)  # the rows the loader keeps (other départements are left out)
    return counts


def _filosofi_epci(graine: int, millesime: int) -> tuple[dict[int, float], dict[int, float]]:
    """(poverty rate, median) per EPCI index, each territory's poor over people giving the annex's rate."""
    geo = geography()
    c = census(graine, millesime)
    rng = rng_for(graine, "filosofi", millesime)
    drift = millesime - ANNEX_MILLESIME
    rates, medians = {}, {}
    for t, code in enumerate(geo.territories):
        members = np.unique(geo.epci[geo.territory == t])
        people = np.array([c["pop"][geo.epci == e].sum() for e in members])
        effect = rng.lognormal(0.0, 0.12, len(members))
        target = _figure("poverty_rate_pct", code, 18.4) - 0.2 * drift
        effect *= target * people.sum() / (effect * people).sum()
        median = _figure("median_income_eur", code, 19560.0) * (1 + 0.015 * drift)
        for e, rate in zip(members, effect, strict=True):
            rates[int(e)] = rate
            medians[int(e)] = median * rng.normal(1.0, 0.02)
    return rates, medians


def write_filosofi(depot: Path, graine: int, millesime: int) -> int:
    geo = geography()
    c = census(graine, millesime)
    rates, medians = _filosofi_epci(graine, millesime)
    rng = rng_for(graine, "filosofi", "communes", millesime)
    aa = f"{millesime % 100:02d}"
    header = ["CODGEO", "LIBGEO", f"NBMENFISC{aa}", f"NBPERSMENFISC{aa}", f"MED{aa}", f"PIMP{aa}", f"TP60{aa}"]
    households, people = np.round(c["rp"] * 0.985), np.round(c["pop"] * 0.975)

    def row(code, name, men, pers, med, rate, secret_med=False, secret_rate=False):
        return [code, name, f"{men:.0f}", f"{pers:.0f}", "s" if secret_med else f"{round(med, -1):.0f}",
                "s" if secret_med else f"{rng.uniform(35, 55):.1f}", "s" if secret_rate else f"{rate:.1f}"]

    communes = [row(code, geo.names[i], households[i], people[i], medians[int(geo.epci[i])] * rng.normal(1, 0.05),
                    rates[int(geo.epci[i])] * rng.lognormal(0, 0.2), households[i] < FILOSOFI_SECRET_MEDIAN,
                    households[i] < FILOSOFI_SECRET_RATE) for i, code in enumerate(geo.codes)]
    epci = []
    for e, code in enumerate(geo.epci_codes):
        m = geo.epci == e
        epci.append(row(code, geo.epci_names[e], households[m].sum(), people[m].sum(), medians[e], rates[e]))
    poor = sum(rates[e] * people[geo.epci == e].sum() for e in rates)
    dept = [row("62", "Pas-de-Calais", households.sum(), people.sum(),
                _figure("median_income_eur", "D62", 19560.0), poor / people.sum())]
    foreign = [["59", "Nord", "1050000", "2550000", "20010", "45.0", "17.9"]]
    n = 0
    for level, rows in (("COM", [["59350", "Lille", "110000", "220000", "19620", "41.2", "25.5"], *communes]),
                        ("EPCI", [["200093201", "Métropole Européenne de Lille", "540000", "1150000", "20500",
                                   "48.1", "18.1"], *epci]),
                        ("DEP", foreign + dept)):
        _write(depot / "insee_filosofi" / f"cc_filosofi_{millesime}_{level}.csv", header, rows)
        n += sum(1 for r in rows if r[0] == "62" or r[0] in geo.epci_codes or r[0].startswith("62"))
    return n


def write(depot: Path, graine: int, sources: set[str], today: date) -> dict[str, int]:
    """Write the open-data files of ``sources`` for every millésime the Insee had published by ``today`` (no
    file waits); rows written per source."""
    counts = {s: 0 for s in sources if s.startswith("insee_")}
    for millesime in MILLESIMES:
        released = {s for s in counts if millesime <= expected_millesime(SOURCES[s], today)}
        for source, n in write_census(depot, graine, millesime, released).items():
            counts[source] += n
        if "insee_filosofi" in released:
            counts["insee_filosofi"] += write_filosofi(depot, graine, millesime)
    return counts
