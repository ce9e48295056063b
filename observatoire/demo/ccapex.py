"""CCAPEX / EXPLOC: one row per procedure event, in the quarterly file of the event's date (Windows-1252).

A procedure is a sequence of stages with increasing dates: COMMANDEMENT_PAYER -> SAISINE_CCAPEX (landlords
that are legal entities) -> ASSIGNATION -> DSF_REALISE or DSF_PORTE_CLOSE -> JUGEMENT (with its decision) ->
COMMANDEMENT_QUITTER -> CFP_DEMANDE -> CFP_ACCORDE / CFP_REFUSE (sometimes a second request) ->
EXPULSION_EFFECTIVE (never during the winter truce), with exits (PROTOCOLE, DETTE_SOLDEE) at every stage.

Two kinds of batches, seeded per territory and year:
- assigned procedures, anchored on the assignation: exactly CCAPEX_ASSIGNATIONS per territory and year, DSF
  outcomes by exact quotas spread along the dates (so a calendar year's DSF counts are exact too);
- procedures stopped after the commandement de payer (debt paid, protocol, nothing recorded), sized so that
  there are ~1.8 commandements per assignation and the Ternois has ~16 % of the arrondissement d'Arras'.
"""

from __future__ import annotations

from datetime import date
from functools import cache

import numpy as np
import pyarrow as pa

from observatoire.demo import calibration as cal
from observatoire.demo import identities
from observatoire.demo.common import (
    date_array,
    day_number,
    days_in_months,
    dict_array,
    geography,
    hash_uniform,
    key_base,
    lattice,
    month_first_day,
    month_index,
    quota_categories,
    rng_for,
    row_keys,
    spread,
    spread_categories,
    weights_for,
    years_of_days,
)
from observatoire.demo.periods import FileSpec, quarter_label, quarter_months, quarterly_extraction, quarters
from observatoire.extracts import code_list

SEASON = np.array([1.0, 1.0, 1.05, 1.0, 1.0, 1.0, 0.9, 0.55, 1.0, 1.05, 1.05, 0.9])
COVID_2020 = {3: 0.55, 4: 0.05, 5: 0.3, 6: 0.9}
PII = ("nom", "prenom", "adresse", "telephone")
DSF_DELAY = (20, 55)
CDP_LEAD = (90, 300)  # days between commandement de payer and assignation
ASSIGNED, CDP_ONLY = 1, 2
FIRST_ANCHOR_YEAR = 2015


def assignations(t: str, year: int) -> float:
    given = cal.CCAPEX_ASSIGNATIONS[t]
    if year in given:
        return given[year]
    if year < 2021:
        return given[2019] * cal.by_year(cal.CCAPEX_INDEX, year)
    return given[2021] * cal.by_year(cal.CCAPEX_INDEX, year)


def month_weights(year: int) -> np.ndarray:
    w = SEASON.copy()
    if year == 2020:
        w *= np.array([COVID_2020.get(m, 1.0) for m in range(1, 13)])
    return w / w.sum()


@cache
def _dsf_rates(t: str) -> tuple[float, float]:
    """DSF réalisé / porte close per assignation, corrected so that the 2021 counts (by DSF date) are exact."""
    ratios = cal.CCAPEX_DSF_2021
    if ratios[t] is None:
        known = [v for v in ratios.values() if v]
        a = sum(cal.CCAPEX_ASSIGNATIONS[x][2021] for x, v in ratios.items() if v)
        real, close = sum(v[0] for v in known) / a, sum(v[1] for v in known) / a
    else:
        real, close = ratios[t][0] / assignations(t, 2021), ratios[t][1] / assignations(t, 2021)
    # expected assignations whose DSF falls in 2021 (dates uniform within months, delay uniform)
    factor = assignations(t, 2021) / expected_shifted(t, 2021, *DSF_DELAY)
    return real * factor, close * factor


@cache
def expected_shifted(t: str, year: int, lo: int, hi: int) -> float:
    """Expected number of assignations whose date shifted by a uniform lo..hi days falls in ``year``."""
    start, end = day_number(date(year, 1, 1)), day_number(date(year, 12, 31))
    total = 0.0
    for anchor in range(year - 1, year + 2):
        counts = spread(assignations(t, anchor), month_weights(anchor))
        for m, c in enumerate(counts, start=1):
            days = np.arange(month_first_day(month_index(anchor, m)), month_first_day(month_index(anchor, m) + 1))
            shifted = days[:, None] + np.arange(lo, hi + 1)[None, :]
            total += c * ((shifted >= start) & (shifted <= end)).mean()
    return total


def _truce_end(year: np.ndarray) -> np.ndarray:
    ends = {y: day_number(date(y, *cal.CCAPEX_TRUCE_EXTENDED_END.get(y, (3, 31)))) for y in range(2010, 2060)}
    return np.vectorize(ends.get)(year)


def after_truce(rng, day: np.ndarray) -> np.ndarray:
    """Move dates that fall in the winter truce to a few weeks after its end."""
    if len(day) == 0:
        return day
    year = years_of_days(day)
    end_this = _truce_end(year)
    start_this = np.array([day_number(date(int(y), 11, 1)) for y in year])
    resume = np.where(day <= end_this, end_this, np.where(day >= start_this, _truce_end(year + 1), -1))
    delay = 1 + rng.integers(0, 60, len(day))
    return np.where(resume >= 0, resume + delay, day)


class Events:
    """Flat list of events (procedure index within the batch, stage, day, debt, judgment decision)."""

    def __init__(self):
        self.parts: list[tuple] = []

    def add(self, proc, stage: str, day, debt=None, decision=None):
        proc = np.asarray(proc)
        n = len(proc)
        if n == 0:
            return
        stages = code_list("ccapex_etapes")
        debt = np.full(n, np.nan) if debt is None else np.asarray(debt, dtype=float)
        dec = np.full(n, -1, np.int8) if decision is None else np.asarray(decision, dtype=np.int8)
        self.parts.append((proc, np.full(n, stages.index(stage), np.int8), np.asarray(day, np.int64), debt, dec))

    def arrays(self) -> dict[str, np.ndarray]:
        if not self.parts:
            return {k: np.empty(0) for k in ("proc", "stage", "day", "debt", "decision")}
        cols = [np.concatenate(c) for c in zip(*self.parts, strict=True)]
        return dict(zip(("proc", "stage", "day", "debt", "decision"), cols, strict=True))


def _categories(rng, table: dict[str, float], seed: str, n: int, order: np.ndarray | None = None) -> np.ndarray:
    """Codes of a code list by exact quotas, shuffled or spread evenly along ``order``."""
    keys, p = weights_for(seed, table)
    cat = quota_categories(rng, n, p) if order is None else spread_categories(rng, order, p)
    return np.array(keys)[cat]


def _lookup(known: tuple[str, ...], values: np.ndarray) -> np.ndarray:
    """Positions of code values in their code list."""
    order = np.argsort(np.array(known))
    return order[np.searchsorted(np.array(known)[order], values)]


def _uniform_days(rng, n: int, lo: int, hi: int) -> np.ndarray:
    return rng.integers(lo, hi + 1, n)


def _assigned_batch(graine: int, t: int, year: int, echelle: float) -> dict:
    geo = geography()
    tcode = geo.territories[t]
    rng = rng_for(graine, "ccapex", "assignation", tcode, year)
    counts = spread(assignations(tcode, year) * echelle, month_weights(year))
    assign = np.sort(days_in_months(month_index(year, 1), 12, rng, counts))
    n = len(assign)
    cdp = assign - CDP_LEAD[0] - np.floor(lattice(rng, n) * (CDP_LEAD[1] - CDP_LEAD[0] + 1)).astype(np.int64)
    by_cdp = np.argsort(cdp, kind="stable")  # quotas spread along the commandement dates
    motif = _categories(rng, cal.CCAPEX_MOTIFS, "ccapex_motifs", n, by_cdp)
    bailleurs = cal.CCAPEX_BAILLEURS_ASSIGNES_LEN if tcode == "LEN" else cal.CCAPEX_BAILLEURS_ASSIGNES
    bailleur = _categories(rng, bailleurs, "ccapex_types_bailleur", n, by_cdp)
    impayes = motif == "IMPAYES"
    base = np.where(impayes, np.exp(rng.normal(np.log(2300), 0.7, n)), np.nan)
    ev = Events()
    idx = np.arange(n)
    ev.add(idx[impayes], "COMMANDEMENT_PAYER", cdp[impayes], base[impayes])
    moral = impayes & np.isin(bailleur, ("PERSONNE_MORALE", "BAILLEUR_SOCIAL"))
    p_saisine = np.where(assign < day_number(date(2019, 7, 1)), 0.5, 0.9)
    saisine = moral & (rng.random(n) < p_saisine)
    s_day = cdp + 10 + (rng.random(n) * (assign - 62 - cdp - 10)).astype(np.int64)
    ev.add(idx[saisine], "SAISINE_CCAPEX", s_day[saisine], base[saisine] * 1.1)
    ev.add(idx, "ASSIGNATION", assign, base * 1.25)
    real, close = _dsf_rates(tcode)
    dsf = spread_categories(rng, idx, [real, close, max(0.0, 1 - real - close)])
    # delays on a lattice along the (sorted) assignation dates: the DSF of a calendar year are near-exact
    dsf_day = assign + DSF_DELAY[0] + np.floor(lattice(rng, n) * (DSF_DELAY[1] - DSF_DELAY[0] + 1)).astype(np.int64)
    ev.add(idx[dsf == 0], "DSF_REALISE", dsf_day[dsf == 0], base[dsf == 0] * 1.3)
    ev.add(idx[dsf == 1], "DSF_PORTE_CLOSE", dsf_day[dsf == 1])
    # exits before the judgment
    exit_p = cal.CCAPEX_EXIT_BEFORE_JUDGMENT
    exit_cat = quota_categories(rng, n, [exit_p["DETTE_SOLDEE"], exit_p["PROTOCOLE"], 1 - sum(exit_p.values())])
    exit_day = assign + _uniform_days(rng, n, 20, 110)
    ev.add(idx[exit_cat == 0], "DETTE_SOLDEE", exit_day[exit_cat == 0], np.zeros(int((exit_cat == 0).sum())))
    ev.add(idx[exit_cat == 1], "PROTOCOLE", exit_day[exit_cat == 1], base[exit_cat == 1] * 1.3)
    judged = exit_cat == 2
    jug_day = assign + _uniform_days(rng, n, 60, 200)
    decisions = code_list("ccapex_decisions_jugement")
    verdict = np.full(n, -1, np.int8)
    verdict[judged] = np.array([decisions.index(k) for k in cal.CCAPEX_JUGEMENTS])[
        quota_categories(rng, int(judged.sum()), list(cal.CCAPEX_JUGEMENTS.values()))]
    ev.add(idx[judged], "JUGEMENT", jug_day[judged], base[judged] * 1.4, verdict[judged])
    # after an eviction judgment
    expulsion = judged & (verdict == decisions.index("EXPULSION"))
    after = cal.CCAPEX_AFTER_EXPULSION
    next_cat = np.full(n, -1)
    next_cat[expulsion] = quota_categories(rng, int(expulsion.sum()), [after["CQL"], after["DETTE_SOLDEE"],
                                                                       after["PROTOCOLE"], 1 - sum(after.values())])
    late_paid = next_cat == 1
    ev.add(idx[late_paid], "DETTE_SOLDEE", jug_day[late_paid] + _uniform_days(rng, int(late_paid.sum()), 30, 300),
           np.zeros(int(late_paid.sum())))
    late_proto = next_cat == 2
    ev.add(idx[late_proto], "PROTOCOLE", jug_day[late_proto] + _uniform_days(rng, int(late_proto.sum()), 20, 200),
           base[late_proto] * 1.5)
    # after délais de paiement
    delais = judged & (verdict == decisions.index("DELAIS"))
    after_d = cal.CCAPEX_AFTER_DELAIS
    d_cat = np.full(n, -1)
    d_cat[delais] = quota_categories(rng, int(delais.sum()), [after_d["DETTE_SOLDEE"], after_d["PROTOCOLE"],
                                                              1 - sum(after_d.values())])
    ev.add(idx[d_cat == 0], "DETTE_SOLDEE", jug_day[d_cat == 0] + _uniform_days(rng, int((d_cat == 0).sum()), 90, 700),
           np.zeros(int((d_cat == 0).sum())))
    ev.add(idx[d_cat == 1], "PROTOCOLE", jug_day[d_cat == 1] + _uniform_days(rng, int((d_cat == 1).sum()), 20, 150),
           base[d_cat == 1] * 1.45)
    # commandement de quitter les lieux, concours de la force publique, expulsion
    cql = next_cat == 0
    cql_day = jug_day + _uniform_days(rng, n, 35, 150)
    ev.add(idx[cql], "COMMANDEMENT_QUITTER", cql_day[cql], base[cql] * 1.5)
    request = cql & (rng.random(n) < cal.CCAPEX_CFP_REQUEST)
    req_day = cql_day + 61 + _uniform_days(rng, n, 0, 60)
    known = rng.random(n) < 0.5  # the prefecture does not always record the debt
    for attempt in (1, 2):
        ev.add(idx[request], "CFP_DEMANDE", req_day[request], np.where(known, base * 1.6, np.nan)[request])
        probs = cal.CCAPEX_CFP_DECISION if attempt == 1 else {"ACCORDE": 0.57, "REFUSE": 0.30}
        answer = np.full(n, -1)
        answer[request] = quota_categories(rng, int(request.sum()),
                                           [probs["ACCORDE"], probs["REFUSE"], 1 - sum(probs.values())])
        ans_day = req_day + _uniform_days(rng, n, 40, 120)
        granted, refused = answer == 0, answer == 1
        ev.add(idx[granted], "CFP_ACCORDE", ans_day[granted])
        ev.add(idx[refused], "CFP_REFUSE", ans_day[refused])
        executed = granted & (rng.random(n) < cal.CCAPEX_EXPULSION_EFFECTIVE)
        exp_day = after_truce(rng, ans_day[executed] + _uniform_days(rng, int(executed.sum()), 15, 120))
        ev.add(idx[executed], "EXPULSION_EFFECTIVE", exp_day)
        if attempt == 1:
            renew_p = np.where(refused, cal.CCAPEX_CFP_RENEW["REFUSE"], np.where(answer == 2,
                                                                                   cal.CCAPEX_CFP_RENEW["NONE"], 0.0))
            request = request & (rng.random(n) < renew_p)
            req_day = np.maximum(req_day + 180, ans_day) + _uniform_days(rng, n, 0, 180)
    return {"proc": {"uid": row_keys(key_base(graine, "ccapex", "assignation", tcode, year), n),
                     "terr": np.full(n, t, np.int8), "comm": geo.sample(t, rng.random(n), 1.1),
                     "motif": _lookup(code_list("ccapex_motifs"), motif),
                     "bailleur": _lookup(code_list("ccapex_types_bailleur"), bailleur), "kind": ASSIGNED, "year": year},
            "events": ev.arrays()}


def assigned_cdp(t: str, year: int) -> float:
    """Expected commandements de payer of assigned procedures dated in ``year``."""
    return cal.CCAPEX_MOTIFS["IMPAYES"] * expected_shifted(t, year, -CDP_LEAD[1], -CDP_LEAD[0])


def cdp_total(t: str, year: int) -> float:
    """Commandements de payer of the year: ≈ 1.8 x assignations; Ternois: 16 % of the arrondissement d'Arras."""
    if t == "TER":
        share = cal.CCAPEX_TER_CDP_SHARE_ARRONDISSEMENT
        return share / (1 - share) * cdp_total("ARR", year)
    return cal.CCAPEX_CDP_PER_ASSIGNATION * assignations(t, year)


def cdp_only(t: str, year: int) -> float:
    """Commandements de payer of procedures that stop before the assignation."""
    return max(cdp_total(t, year) - assigned_cdp(t, year), 0.0)


def _cdp_batch(graine: int, t: int, year: int, echelle: float) -> dict:
    geo = geography()
    tcode = geo.territories[t]
    rng = rng_for(graine, "ccapex", "commandement", tcode, year)
    counts = spread(cdp_only(tcode, year) * echelle, month_weights(year))
    cdp = np.sort(days_in_months(month_index(year, 1), 12, rng, counts))
    n = len(cdp)
    # landlords: private share of all commandements = CCAPEX_CDP_PRIVE_SHARE
    mix = cal.CCAPEX_BAILLEURS_ASSIGNES_LEN if tcode == "LEN" else cal.CCAPEX_BAILLEURS_ASSIGNES
    assigned_private = 1 - mix["BAILLEUR_SOCIAL"]
    a = assigned_cdp(tcode, year)
    alone = cdp_only(tcode, year)
    private = (cal.CCAPEX_CDP_PRIVE_SHARE * (a + alone) - assigned_private * a) / max(alone, 1)
    private = float(np.clip(private, 0.5, 0.98))
    bailleur = _categories(rng, {"PERSONNE_PHYSIQUE": private * 0.72, "PERSONNE_MORALE": private * 0.28,
                                 "BAILLEUR_SOCIAL": 1 - private}, "ccapex_types_bailleur", n, np.arange(n))
    base = np.exp(rng.normal(np.log(1900), 0.7, n))
    ev = Events()
    idx = np.arange(n)
    ev.add(idx, "COMMANDEMENT_PAYER", cdp, base)
    moral = np.isin(bailleur, ("PERSONNE_MORALE", "BAILLEUR_SOCIAL")) & (rng.random(n) < 0.4)
    ev.add(idx[moral], "SAISINE_CCAPEX", cdp[moral] + _uniform_days(rng, int(moral.sum()), 15, 60), base[moral] * 1.05)
    exits = cal.CCAPEX_NON_ASSIGNED_EXITS
    cat = quota_categories(rng, n, [exits["DETTE_SOLDEE"], exits["PROTOCOLE"], 1 - sum(exits.values())])
    ev.add(idx[cat == 0], "DETTE_SOLDEE", cdp[cat == 0] + 61 + _uniform_days(rng, int((cat == 0).sum()), 0, 90),
           np.zeros(int((cat == 0).sum())))
    ev.add(idx[cat == 1], "PROTOCOLE", cdp[cat == 1] + 61 + _uniform_days(rng, int((cat == 1).sum()), 0, 120),
           base[cat == 1])
    return {"proc": {"uid": row_keys(key_base(graine, "ccapex", "commandement", tcode, year), n),
                     "terr": np.full(n, t, np.int8), "comm": geo.sample(t, rng.random(n), 1.1),
                     "motif": np.full(n, code_list("ccapex_motifs").index("IMPAYES")),
                     "bailleur": _lookup(code_list("ccapex_types_bailleur"), bailleur), "kind": CDP_ONLY, "year": year},
            "events": ev.arrays()}


def _sequence(batch: dict) -> np.ndarray:
    """Procedure numbers within a batch, in the order of their first event."""
    ev = batch["events"]
    n = len(batch["proc"]["uid"])
    first = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(first, ev["proc"].astype(np.int64), ev["day"])
    seq = np.empty(n, np.int32)
    seq[np.lexsort((batch["proc"]["uid"], first))] = np.arange(1, n + 1)
    return seq


def quarter_table(batches: list[dict], start: int, end: int) -> tuple[pa.Table, dict[str, str]]:
    geo = geography()
    rows = []
    for b in batches:
        ev = b["events"]
        sel = np.flatnonzero((ev["day"] >= start) & (ev["day"] <= end))
        if len(sel):
            rows.append((b, sel))
    stages = code_list("ccapex_etapes")
    decisions = code_list("ccapex_decisions_jugement")
    cols: dict[str, list] = {k: [] for k in ("uid", "comm", "motif", "bailleur", "kind", "year", "terr", "seq",
                                             "stage", "day", "debt", "decision")}
    for b, sel in rows:
        ev, proc = b["events"], b["proc"]
        p = ev["proc"][sel].astype(np.int64)
        for k in ("uid", "comm", "motif", "bailleur", "terr"):
            cols[k].append(proc[k][p])
        cols["kind"].append(np.full(len(sel), proc["kind"], np.int8))
        cols["year"].append(np.full(len(sel), proc["year"], np.int16))
        cols["seq"].append(b["seq"][p])
        for k in ("stage", "day", "debt", "decision"):
            cols[k].append(ev[k][sel])
    c = {k: np.concatenate(v) if v else np.empty(0) for k, v in cols.items()}
    order = np.lexsort((c["stage"], c["seq"], c["terr"], c["year"], c["kind"], c["day"])) if len(c["day"]) else []
    c = {k: v[order] for k, v in c.items()}
    keys = c["uid"].astype(np.uint64)
    age = np.floor((22 + hash_uniform(keys, 81) ** 1.2 * 60) * 365.25)
    birth = (c["day"] - age).astype(np.int64)
    debt = np.round(c["debt"].astype(float), 2)
    bailleurs, motifs = code_list("ccapex_types_bailleur"), code_list("ccapex_motifs")
    table = {
        "_year": pa.array(c["year"].astype(np.int16)), "_terr": pa.array(c["terr"].astype(np.int8) + 1),
        "_kind": pa.array(c["kind"].astype(np.int8)), "_seq": pa.array(c["seq"].astype(np.int32)),
        **identities.columns(keys, c["comm"].astype(np.int16), birth, PII),
        "date_naissance": date_array(birth),
        "code_commune": dict_array(c["comm"], geo.codes),
        "type_bailleur": dict_array(c["bailleur"], bailleurs),
        "motif_procedure": dict_array(c["motif"], motifs),
        "etape": dict_array(c["stage"], stages),
        "date_etape": date_array(c["day"]),
        "montant_dette": pa.array(debt, mask=np.isnan(debt)),
        "decision_jugement": dict_array(np.maximum(c["decision"], 0), decisions, c["decision"] >= 0),
    }
    exprs = {"numero_procedure": "printf('EXP62-%d-%d%d%05d', _year, _terr, _kind, _seq)",
             **{f: identities.sql(f) for f in PII}}
    return pa.table(table), exprs


def plan(first: int, last: int) -> list[FileSpec]:
    return [FileSpec("ccapex", quarter_label(y, q), quarterly_extraction(y, q), encoding="cp1252")
            for y, q in quarters(first, last)]


def produce(graine: int, echelle: float, first: int, last: int):
    geo = geography()
    cache: dict[tuple[int, int, int], dict] = {}

    def batch(kind: int, t: int, year: int) -> dict:
        key = (kind, t, year)
        if key not in cache:
            b = (_assigned_batch if kind == ASSIGNED else _cdp_batch)(graine, t, year, echelle)
            b["seq"] = _sequence(b)
            cache[key] = b
        return cache[key]

    first_day = month_first_day(first)
    for spec in plan(first, last):
        year, q = int(spec.period[:4]), int(spec.period[-1])
        m0, m1 = quarter_months(year, q)
        start, end = max(month_first_day(m0), first_day), month_first_day(m1 + 1) - 1
        for key in [k for k in cache if k[2] < year - 4]:
            del cache[key]
        needed = [batch(ASSIGNED, t, y) for y in range(max(FIRST_ANCHOR_YEAR, year - 4), year + 2)
                  for t in range(len(geo.territories))]
        needed += [batch(CDP_ONLY, t, y) for y in (year - 1, year) for t in range(len(geo.territories))]
        yield (spec, *quarter_table(needed, start, end))
