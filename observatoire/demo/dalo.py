"""DALO / DAHO recours (``dalo``), quarterly, as COMDALO exports them.

A recours appears in the quarter of its dépôt and again in every later quarter where its state changes
(decision of the commission, then relogement / accueil / renonciation for favourable decisions), each time
with its full state at the end of that quarter. Counts per territory and year are exact (calibration.
DALO_RECOURS); decisions are allocated by quotas within each territory-year (Calaisis: 7 PU out of 24).
Files are CSV until 2022 and .xlsx from 2023 (as the COMED secretariat switched to Excel exports).
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa

from observatoire.demo import calibration as cal
from observatoire.demo import identities
from observatoire.demo.common import (
    days_in_months,
    geography,
    hash_uniform,
    key_base,
    month_first_day,
    month_index,
    months_of_days,
    quota_categories,
    rng_for,
    row_keys,
    spread,
    years_of_days,
)
from observatoire.demo.periods import FileSpec, quarter_label, quarter_months, quarterly_extraction, quarters
from observatoire.demo.sne import TAILLE_BY_TYPO
from observatoire.extracts import code_list

XLSX_FROM_YEAR = 2023
HEBERGEMENT_NONE = ("CAL",)  # the Calaisis' 24 recours are all logement recours
SUITES_PU = {"RELOGE": 0.58, "OFFRE_REFUSEE": 0.07, "RENONCIATION": 0.05, "EN_ATTENTE": 0.30}
SUITES_HEBERGEMENT = {"ACCUEILLI": 0.65, "RENONCIATION": 0.10, "EN_ATTENTE": 0.25}
SUITE_MEAN_DAYS = {"RELOGE": 160, "OFFRE_REFUSEE": 120, "RENONCIATION": 200, "ACCUEILLI": 45}
PII = ("nom", "prenom", "adresse", "telephone", "courriel")


def recours_count(t: str, year: int) -> float:
    given = cal.DALO_RECOURS[t]
    if year in given:
        return given[year]
    base = {y: sum(cal.DALO_RECOURS[x][y] for x in cal.TERRITORIES) for y in given}
    share = sum(given.values()) / sum(base.values())
    if year < min(given):
        return given[min(given)]
    return cal.by_year(cal.DALO_DEPT_LATER, year) * share


def _motive_probs(t: str, year: int) -> np.ndarray:
    motifs = code_list("dalo_motifs")
    first, second = cal.DALO_MOTIVES[t]
    others = [m for m in motifs if m not in (first, second) and (m != "HANDICAP" or year >= cal.DALO_HANDICAP_FROM)]
    p = {first: 0.42, second: 0.24, **{m: 0.34 / len(others) for m in others}}
    return np.array([p.get(m, 0.0) for m in motifs])


def _batch(graine: int, t: int, year: int, echelle: float) -> dict[str, np.ndarray]:
    geo = geography()
    tcode = geo.territories[t]
    rng = rng_for(graine, "dalo", tcode, year)
    counts = spread(recours_count(tcode, year) * echelle, np.ones(12))
    depot = np.sort(days_in_months(month_index(year, 1), 12, rng, counts))
    n = len(depot)
    heb_share = 0.0 if tcode in HEBERGEMENT_NONE else cal.DALO_HEBERGEMENT_SHARE
    heb = quota_categories(rng, n, [1 - heb_share, heb_share]).astype(bool)
    decisions = code_list("dalo_decisions")
    decision = np.empty(n, np.int8)
    pu = cal.DALO_PU_SHARE.get(tcode, cal.DALO_DECISIONS_LOGEMENT["PU"])
    log_probs = dict(cal.DALO_DECISIONS_LOGEMENT)
    rest = 1 - cal.DALO_DECISIONS_LOGEMENT["PU"]
    log_probs = {k: (pu if k == "PU" else v * (1 - pu) / rest) for k, v in log_probs.items()}
    for mask, probs in ((~heb, log_probs), (heb, cal.DALO_DECISIONS_HEBERGEMENT)):
        keys = list(probs)
        cat = quota_categories(rng, int(mask.sum()), [probs[k] for k in keys])
        decision[mask] = np.array([decisions.index(k) for k in keys])[cat]
    delay = np.where(heb, rng.integers(30, 81, n), rng.integers(50, 171, n))
    decided = depot + delay
    # suite of favourable decisions
    dec_codes = np.array(decisions)[decision]
    suites = code_list("dalo_suites")
    suite = np.full(n, -1, np.int8)
    suite_day = np.full(n, np.iinfo(np.int32).max, np.int64)
    favourable = np.isin(dec_codes, ("PU", "PDA", "REORIENTATION"))
    for mask, table in ((dec_codes == "PU", SUITES_PU), (np.isin(dec_codes, ("PDA", "REORIENTATION")),
                                                         SUITES_HEBERGEMENT)):
        keys = list(table)
        cat = quota_categories(rng, int(mask.sum()), [table[k] for k in keys])
        chosen = np.array(keys)[cat]
        suite[mask] = np.array([suites.index(k) for k in chosen])
        mean = np.array([SUITE_MEAN_DAYS.get(k, 0) for k in chosen], dtype=float)
        wait = 15 + rng.gamma(1.6, np.maximum(mean, 1) / 1.6)
        never = np.iinfo(np.int32).max
        suite_day[mask] = np.where(chosen == "EN_ATTENTE", never, decided[mask] + wait.astype(np.int64))
    motifs = code_list("dalo_motifs")
    principal = np.minimum(np.searchsorted(np.cumsum(_motive_probs(tcode, year)), rng.random(n), side="right"),
                           len(motifs) - 1)
    secondary = np.where(rng.random(n) < 0.55,
                         (principal + 1 + rng.integers(0, len(motifs) - 1, n)) % len(motifs), -1)
    secondary = np.where((secondary >= 0) & (np.array(motifs)[np.maximum(secondary, 0)] == "HANDICAP")
                         & (year < cal.DALO_HANDICAP_FROM), -1, secondary)
    typology = np.array(cal.DALO_TYPOLOGY.get(tcode, cal.DALO_TYPOLOGY_DEFAULT))
    typo = np.minimum(np.searchsorted(np.cumsum(typology / typology.sum()), rng.random(n), side="right"), 5)
    return {
        "uid": row_keys(key_base(graine, "dalo", tcode, year), n),
        "terr": np.full(n, t, np.int8),
        "comm": geo.sample(t, rng.random(n), 1.2),
        "heb": heb, "depot": depot.astype(np.int64), "decided": decided.astype(np.int64),
        "decision": decision, "favourable": favourable, "suite": suite, "suite_day": suite_day,
        "principal": principal.astype(np.int8), "secondary": secondary.astype(np.int8),
        "typo": typo.astype(np.int8),
    }


@cache
def _all(graine: int, echelle: float, last_year: int) -> dict[str, np.ndarray]:
    geo = geography()
    parts = [_batch(graine, t, y, echelle) for y in range(2018, last_year + 1) for t in range(len(geo.territories))]
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((cols["uid"], cols["depot"]))
    cols = {k: v[order] for k, v in cols.items()}
    years = years_of_days(cols["depot"])
    starts = np.r_[0, np.flatnonzero(np.diff(years)) + 1]
    cols["seq"] = (np.arange(len(years)) - np.repeat(starts, np.diff(np.r_[starts, len(years)])) + 1).astype(np.int32)
    cols["year"] = years
    return cols


def _quarter_of(days: np.ndarray) -> np.ndarray:
    months = months_of_days(np.minimum(days, month_first_day(month_index(2200, 1))))
    return months // 3


def quarter_table(cols: dict[str, np.ndarray], year: int, q: int) -> tuple[pa.Table, dict[str, str]] | None:
    first, last = quarter_months(year, q)
    end = month_first_day(last + 1) - 1
    qi = first // 3
    event = ((_quarter_of(cols["depot"]) == qi) | (_quarter_of(cols["decided"]) == qi)
             | (_quarter_of(cols["suite_day"]) == qi))
    idx = np.flatnonzero(event & (cols["depot"] <= end))
    geo = geography()
    c = {k: v[idx] for k, v in cols.items()}
    n = len(idx)
    decided = c["decided"] <= end
    decisions = np.array(code_list("dalo_decisions"))
    suites = np.array(code_list("dalo_suites"))
    motifs = np.array(code_list("dalo_motifs"))
    has_suite = decided & c["favourable"]
    suite_done = has_suite & (c["suite_day"] <= end)
    suite_code = np.where(suite_done, suites[np.maximum(c["suite"], 0)], "EN_ATTENTE")
    relog = suite_done & np.isin(suite_code, ("RELOGE", "ACCUEILLI"))
    keys = c["uid"]
    age = np.floor((20 + hash_uniform(keys, 61) ** 1.3 * 55) * 365.25)
    birth = (c["depot"] - age).astype(np.int64)
    size = np.empty(n, np.int8)
    u = hash_uniform(keys, 62)
    for k, probs in enumerate(TAILLE_BY_TYPO):
        sel = c["typo"] == k
        size[sel] = np.minimum(np.searchsorted(np.cumsum(probs) / np.sum(probs), u[sel]), len(probs) - 1) + 1

    def dates(values, mask=None):
        return pa.array(values.astype(np.int32), pa.int32(), mask=None if mask is None else ~mask).cast(pa.date32())

    table = {
        "_yy": pa.array((c["year"] % 100).astype(np.int16)), "_seq": pa.array(c["seq"]),
        **identities.columns(keys, c["comm"], birth, PII),
        "date_naissance": dates(birth),
        "code_commune": pa.array(geo.codes[c["comm"]]),
        "type_recours": pa.array(np.where(c["heb"], "HEBERGEMENT", "LOGEMENT")),
        "date_depot": dates(c["depot"]),
        "motif_principal": pa.array(motifs[c["principal"]]),
        "motif_secondaire": pa.array(np.where(c["secondary"] >= 0, motifs[np.maximum(c["secondary"], 0)], None)),
        "typologie_demandee": pa.array(np.array(code_list("sne_typologies"))[c["typo"]]),
        "taille_menage": pa.array(size),
        "date_decision": dates(c["decided"], decided),
        "decision": pa.array(np.where(decided, decisions[c["decision"]], None)),
        "suite": pa.array(np.where(has_suite, suite_code, None)),
        "date_relogement": dates(np.minimum(c["suite_day"], 2**31 - 1), relog),
    }
    exprs = {"numero_recours": "printf('DALO062%02d%05d', _yy, _seq)", **{f: identities.sql(f) for f in PII}}
    return pa.table(table), exprs


def _spec(year: int, q: int) -> FileSpec:
    return FileSpec("dalo", quarter_label(year, q), quarterly_extraction(year, q),
                    fmt="xlsx" if year >= XLSX_FROM_YEAR else "csv")


def plan(first: int, last: int) -> list[FileSpec]:
    return [_spec(y, q) for y, q in quarters(first, last)]


def produce(graine: int, echelle: float, first: int, last: int):
    specs = plan(first, last)
    if not specs:
        return
    cols = _all(graine, echelle, 1970 + last // 12)
    for spec in specs:
        year, q = int(spec.period[:4]), int(spec.period[-1])
        yield (spec, *quarter_table(cols, year, q))
