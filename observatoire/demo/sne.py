"""SNE: demands for social housing and attributions (``sne_demandes``, ``sne_attributions``).

Model
-----
Every demand ends (radiation) at some date: by an attribution or for another reason (non-renewal,
renunciation...). Demands are generated *backwards from their end*, in batches per territory and end year:

- attribution batch (t, y): exactly A_t(y) attributions (calibration: SNE_ATTRIBUTIONS x share), spread over
  the months; each gets a delay drawn from a gamma distribution whose mean is the territory's délai moyen
  (stratified draws, so the mean is exact), and its dépôt is the attribution date minus the delay;
- other batch (t, y): O_t(y) radiations for other motives, with durations drawn per motive (non-renewal one
  month after an anniversary).

A demand filed before the end of ``jusqua`` is kept; it is *active* until its end. So the stock at 31/12/N is
the number of demands with dépôt <= 31/12/N < end, which is linear in the schedules A and O: O_t(y) is solved
(least squares, smoothed) so that the expected stock hits tension_t x A_t(2019) x SNE_STOCK_INDEX[N] every year.
Typologies follow the same logic: attributions get typologies by exact quotas, and the non-attributed
demands get the smallest-typology mix that makes the 2019 stock shares (hence the T1/T2 tensions) exact.

Batches are seeded by (graine, territory, year), so files do not depend on ``jusqua`` beyond their own month.
Batches run up to ``jusqua`` + 10 years (the longest delay), so the demands still active at the end exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

from observatoire.demo import calibration as cal
from observatoire.demo import identities
from observatoire.demo.common import (
    DAYS_PER_MONTH,
    Table,
    add_years,
    code,
    days_in_months,
    dict_array,
    gamma_table,
    geography,
    hash_int,
    key_base,
    lattice,
    mix64,
    month_first_day,
    month_index,
    months_of_days,
    months_of_days_compact,
    quota_categories,
    release_memory,
    rng_for,
    row_keys,
    spread,
    spread_categories,
    stratified_uniform,
    weights_for,
    year_first_day,
)
from observatoire.demo.periods import FileSpec, month_label, monthly_extraction
from observatoire.extracts import code_list

HORIZON_YEARS = 10
MAX_DELAY_DAYS = 3650
SOUHAITEE_POWER = 1.15  # demand concentrates in towns
SEASON = np.array([0.88, 0.92, 1.0, 1.0, 0.98, 1.05, 1.12, 1.12, 1.08, 1.0, 0.95, 0.9])
COVID_2020 = {3: 0.6, 4: 0.25, 5: 0.5, 6: 0.85}
TYPO_SHIFT = 0.2  # share of attributions whose demand's smallest typology was one size below
TYPO_LISTS = tuple("/".join(f"T{k}" for k in range(kd, min(kd + n, 6) + 1)) for kd in range(1, 7) for n in range(3))
TAILLE_BY_TYPO = (
    (0.88, 0.12), (0.52, 0.35, 0.13), (0.18, 0.30, 0.32, 0.20), (0.02, 0.10, 0.30, 0.38, 0.20),
    (0.0, 0.02, 0.10, 0.30, 0.38, 0.20), (0.0, 0.0, 0.02, 0.10, 0.25, 0.33, 0.20, 0.10),
)
BAILLEURS = ("Pas-de-Calais Habitat", "Maisons & Cités", "SIA Habitat", "Habitat Hauts-de-France",
             "Flandre Opale Habitat", "Vilogia", "Norévie", "ICF Habitat Nord-Est", "Clésence", "Logis 62")
BAILLEURS_WEIGHTS = {
    "LEN": (0.22, 0.45, 0.13, 0.04, 0.0, 0.08, 0.05, 0.03, 0.0, 0.0),
    "ART": (0.30, 0.30, 0.12, 0.10, 0.0, 0.08, 0.04, 0.03, 0.0, 0.03),
    "BOU": (0.42, 0.0, 0.0, 0.18, 0.30, 0.0, 0.0, 0.0, 0.05, 0.05),
    "CAL": (0.35, 0.0, 0.0, 0.15, 0.35, 0.05, 0.0, 0.05, 0.05, 0.0),
    "AUD": (0.45, 0.0, 0.0, 0.2, 0.25, 0.0, 0.0, 0.0, 0.1, 0.0),
    "MON": (0.55, 0.0, 0.0, 0.15, 0.2, 0.0, 0.0, 0.0, 0.1, 0.0),
}
BAILLEURS_DEFAULT = (0.5, 0.0, 0.1, 0.25, 0.0, 0.05, 0.05, 0.05, 0.0, 0.0)
RESIDENCE_SAME = 0.65
GUICHETS_PER_TERRITORY = 12


# ----------------------------------------------------------------------------------------------------------
# Parameters derived from the calibration (no randomness, cached)


def attributions_target(t: str, year: int) -> float:
    return cal.by_year(cal.SNE_ATTRIBUTIONS, year) * cal.SNE_ATTRIBUTION_SHARE[t]


def stock_target(t: str, year: int) -> float:
    return (cal.SNE_TENSION_2019[t] * attributions_target(t, 2019) * cal.by_year(cal.SNE_STOCK_INDEX, year))


def delay_months(t: str, year: int) -> float:
    base = cal.SNE_DELAY_2019[t]
    if year >= 2019:
        return base * (1 + cal.SNE_DELAY_GROWTH * (min(year, cal.SNE_DELAY_GROWTH_UNTIL) - 2019))
    return base * (1 - 0.02 * (2019 - year))


@cache
def delay_table(t: str, year: int) -> Table:
    return gamma_table(delay_months(t, year) * DAYS_PER_MONTH, shape=1.4, max_days=MAX_DELAY_DAYS, offset=20)


@cache
def radiation_tables() -> tuple[tuple[str, ...], np.ndarray, tuple[Table, ...]]:
    """Motives other than attribution, their mix and duration tables (days since dépôt)."""
    motifs, mix = weights_for("sne_motifs_radiation", cal.SNE_RADIATION_MIX)
    tables = []
    for m in motifs:
        if m == "NON_RENOUVELLEMENT":
            pmf = np.zeros(MAX_DELAY_DAYS + 1)
            keep = cal.SNE_RENEWAL_KEEP
            for k in range(1, 10):
                start = int(round(365.25 * k)) + 25
                pmf[start:start + 21] += (1 - keep) * keep ** (k - 1) / 21
            tables.append(Table(pmf))
        elif m in cal.SNE_RADIATION_MEAN_MONTHS:
            tables.append(gamma_table(cal.SNE_RADIATION_MEAN_MONTHS[m] * DAYS_PER_MONTH, 1.5, 3285, offset=15))
        else:  # ATTRIBUTION (weight 0 here)
            tables.append(Table(np.ones(1)))
    return motifs, mix, tuple(tables)


def month_weights(year: int, attributions: bool) -> np.ndarray:
    days = np.array([month_first_day(month_index(year, m) + 1) - month_first_day(month_index(year, m))
                     for m in range(1, 13)], dtype=float)
    if not attributions:
        return days / days.sum()
    w = SEASON * days / days.mean()
    if year == 2020:
        w = w * np.array([COVID_2020.get(m, 1.0) for m in range(1, 13)])
    return w / w.sum()


def _day_weights(year: int, attributions: bool) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers of a year and the probability of an event on each (uniform within months)."""
    first = year_first_day(year)
    days = np.arange(first, year_first_day(year + 1))
    months = months_of_days(days) - month_index(year, 1)
    per_month = np.bincount(months, minlength=12)
    return days, month_weights(year, attributions)[months] / per_month[months]


def _contribution(x_day: int, year: int, attributions: bool, survival) -> float:
    """Expected number of demands of an end-year batch of size 1 that are active at x_day."""
    days, w = _day_weights(year, attributions)
    mask = days > x_day
    return float((w[mask] * survival(days[mask] - x_day)).sum())


@dataclass(frozen=True)
class Params:
    other: dict[str, dict[int, float]]  # O_t(y)
    attribution_typology: dict[str, np.ndarray]  # a_t (T1..T6)
    other_typology: dict[str, np.ndarray]  # o_t (smallest typology of non-attributed demands)
    expected_stock: dict[str, dict[int, float]]


def _attribution_typologies() -> dict[str, np.ndarray]:
    shares = cal.SNE_ATTRIBUTION_SHARE
    tau = cal.SNE_TENSION_2019
    s = {t: np.array(cal.SNE_STOCK_TYPOLOGY[t]) for t in cal.TERRITORIES}
    fixed = {"TER": np.array(cal.SNE_TER_ATTRIBUTION_TYPOLOGY)}
    a1, a2 = {}, {}
    for k, targets, dept, out in ((0, cal.SNE_TENSION_T1, cal.SNE_TENSION_T1_DEPT, a1),
                                  (1, cal.SNE_TENSION_T2, cal.SNE_TENSION_T2_DEPT, a2)):
        stock_k = sum(shares[t] * tau[t] * s[t][k] for t in cal.TERRITORIES)
        known = 0.0
        free = []
        for t in cal.TERRITORIES:
            if t in fixed:
                out[t] = fixed[t][k]
            elif targets[t] is not None:
                out[t] = s[t][k] * tau[t] / targets[t]
            else:
                free.append(t)
                continue
            known += shares[t] * out[t]
        x = sum(shares[t] * s[t][k] * tau[t] for t in free) / (stock_k / dept - known)  # free territories' tension
        for t in free:
            out[t] = s[t][k] * tau[t] / x
    result = {}
    for t in cal.TERRITORIES:
        if t in fixed:
            result[t] = fixed[t] / fixed[t].sum()
            continue
        rest = 1 - a1[t] - a2[t]
        result[t] = np.array([a1[t], a2[t], *(rest * np.array(cal.SNE_ATTRIBUTION_T3_T6_PROFILE))])
    return result


def demand_typology_of_attributions(a: np.ndarray) -> np.ndarray:
    """Smallest wished typology of attributed demands, given the attributed typology mix."""
    c = a * (1 - TYPO_SHIFT)
    c[0] += a[0] * TYPO_SHIFT
    c[:-1] += a[1:] * TYPO_SHIFT
    return c


@cache
def params() -> Params:
    geo = geography()
    if set(geo.territories) != set(cal.TERRITORIES):
        raise ValueError(f"territoires des seeds {geo.territories} différents de la calibration")
    motifs, mix, tables = radiation_tables()

    def other_survival(k):
        return sum(p * tab.survival(k) for p, tab in zip(mix, tables, strict=True) if p > 0)

    last = cal.LAST_MODELLED_YEAR
    years = np.arange(cal.FIRST_YEAR, last + 6)  # unknown O_t(y)
    targets = np.arange(cal.FIRST_YEAR - 1, last - 8)  # stocks at 31/12/N
    m_other = np.zeros((len(targets), len(years)))
    for i, n in enumerate(targets):
        x = year_first_day(int(n) + 1) - 1
        for j, y in enumerate(years):
            if n < y <= n + HORIZON_YEARS:
                m_other[i, j] = _contribution(x, int(y), False, other_survival)
    typ_a = _attribution_typologies()
    other, other_typ, expected = {}, {}, {}
    for t in cal.TERRITORIES:
        attr_part = np.zeros(len(targets))
        for i, n in enumerate(targets):
            x = year_first_day(int(n) + 1) - 1
            for y in range(int(n) + 1, int(n) + HORIZON_YEARS + 1):
                attr_part[i] += attributions_target(t, y) * _contribution(x, y, True, delay_table(t, y).survival)
        b = np.array([stock_target(t, int(n)) for n in targets]) - attr_part
        scale = float(np.abs(b).mean())
        lam = 0.02
        d2 = np.diff(np.eye(len(years)), 2, axis=0)
        rows = np.vstack([m_other / scale, lam * d2 / scale * m_other.max()])
        rhs = np.concatenate([b / scale, np.zeros(len(d2))])
        sol, *_ = np.linalg.lstsq(rows, rhs, rcond=None)
        sol = np.maximum(sol, 0.0)
        other[t] = {int(y): float(v) for y, v in zip(years, sol, strict=True)}
        stock_pred = attr_part + m_other @ sol
        expected[t] = {int(n): float(v) for n, v in zip(targets, stock_pred, strict=True)}
        # typology of the non-attributed demands, so that the 2019 stock shares are exact
        i19 = int(np.flatnonzero(targets == 2019)[0])
        s_total, s_attr = stock_target(t, 2019), attr_part[i19]
        c = demand_typology_of_attributions(typ_a[t])
        o = (np.array(cal.SNE_STOCK_TYPOLOGY[t]) * s_total - c * s_attr) / (s_total - s_attr)
        o = np.maximum(o, 0.002)
        other_typ[t] = o / o.sum()
    return Params(other, typ_a, other_typ, expected)


def other_target(t: str, year: int) -> float:
    p = params().other[t]
    return p[min(max(year, min(p)), max(p))]


# ----------------------------------------------------------------------------------------------------------
# Batches


def _common_draws(rng, t: int, n: int, kd: np.ndarray) -> dict[str, np.ndarray]:
    geo = geography()
    comm = geo.sample(t, stratified_uniform(rng, n), SOUHAITEE_POWER)
    return {"terr": np.full(n, t, np.int8), "comm": comm, "kd": kd.astype(np.int8)}


def _attribution_batch(graine: int, t: int, year: int, echelle: float) -> dict[str, np.ndarray]:
    geo = geography()
    tcode = geo.territories[t]
    p = params()
    rng = rng_for(graine, "sne", "attribution", tcode, year)
    counts = spread(attributions_target(tcode, year) * echelle, month_weights(year, True))
    end = np.sort(days_in_months(month_index(year, 1), 12, rng, counts))
    n = len(end)
    # (end rank, delay quantile) on a lattice: the number of demands filed before any date is near-exact
    delay = delay_table(tcode, year).sample(lattice(rng, n))
    by_depot = np.argsort(end - delay, kind="stable")
    ka = spread_categories(rng, by_depot, p.attribution_typology[tcode]).astype(np.int8)
    shift = np.zeros(n, bool)
    shift[ka >= 1] = quota_categories(rng, int((ka >= 1).sum()), [1 - TYPO_SHIFT, TYPO_SHIFT]).astype(bool)
    kd = (ka - shift).astype(np.int8)
    u = rng.random(n)
    length = np.where(shift, np.where(u < 0.7, 2, 3), np.where(u < 0.5, 1, np.where(u < 0.88, 2, 3)))
    out = _common_draws(rng, t, n, kd)
    out["length"] = np.minimum(length, 6 - kd).astype(np.int8)
    out["ka"] = ka
    out["end"] = end.astype(np.int32)
    out["depot"] = (end - delay).astype(np.int32)
    out["motif"] = np.zeros(n, np.int8)  # index of ATTRIBUTION in the radiation motives (checked in build)
    other_commune = geo.sample(t, rng.random(n), SOUHAITEE_POWER)
    out["comm_log"] = np.where(rng.random(n) < 0.8, out["comm"], other_commune).astype(np.int16)
    prio = cal.SNE_PRIORITAIRE_SHARE.get(tcode, cal.SNE_PRIORITAIRE_DEFAULT)
    dalo = cal.SNE_PRIORITAIRE_DALO_SHARE
    level = quota_categories(rng, n, [1 - prio, prio - dalo, dalo]).astype(np.int8)  # 0 no, 1 PDALHPD, 2 DALO
    out["prio"] = level
    q_prio = np.array(cal.SNE_QUARTILES_PRIORITAIRES)
    q12 = (cal.SNE_QUARTILES_Q1Q2 - prio * q_prio[:2].sum()) / (1 - prio)
    q_other = np.array([0.42 * q12, 0.58 * q12, 0.47 * (1 - q12), 0.53 * (1 - q12)])
    quartile = np.empty(n, np.int8)
    is_prio = level > 0
    quartile[is_prio] = quota_categories(rng, int(is_prio.sum()), q_prio) + 1
    quartile[~is_prio] = quota_categories(rng, int((~is_prio).sum()), q_other) + 1
    out["quartile"] = quartile
    _, res_p = weights_for("sne_reservataires", cal.SNE_RESERVATAIRES)
    out["reserv"] = quota_categories(rng, n, res_p).astype(np.int8)
    out["uid"] = row_keys(key_base(graine, "sne", "attribution", tcode, year), n)
    return out


def _other_batch(graine: int, t: int, year: int, echelle: float) -> dict[str, np.ndarray]:
    geo = geography()
    tcode = geo.territories[t]
    p = params()
    motifs, mix, tables = radiation_tables()
    rng = rng_for(graine, "sne", "radiation", tcode, year)
    counts = spread(other_target(tcode, year) * echelle, month_weights(year, False))
    end = np.sort(days_in_months(month_index(year, 1), 12, rng, counts))
    n = len(end)
    # one lattice coordinate for (motive, duration) jointly: a mixture drawn by inverse CDF
    v = lattice(rng, n)
    motif = np.minimum(np.searchsorted(np.cumsum(mix), v, side="right"), len(mix) - 1).astype(np.int8)
    lower = np.concatenate([[0.0], np.cumsum(mix)[:-1]])[motif]
    within = np.clip((v - lower) / np.maximum(mix[motif], 1e-12), 0.0, 1.0 - 1e-12)
    duration = np.zeros(n, np.int32)
    for i, tab in enumerate(tables):
        sel = motif == i
        if sel.any():
            duration[sel] = tab.sample(within[sel])
    kd = spread_categories(rng, np.argsort(end - duration, kind="stable"), p.other_typology[tcode]).astype(np.int8)
    u = rng.random(n)
    length = np.where(u < 0.5, 1, np.where(u < 0.88, 2, 3))
    out = _common_draws(rng, t, n, kd)
    out["length"] = np.minimum(length, 6 - kd).astype(np.int8)
    out["ka"] = np.full(n, -1, np.int8)
    out["end"] = end.astype(np.int32)
    out["depot"] = (end - duration).astype(np.int32)
    out["motif"] = motif
    out["comm_log"] = out["comm"]
    out["prio"] = np.zeros(n, np.int8)
    out["quartile"] = np.zeros(n, np.int8)
    out["reserv"] = np.zeros(n, np.int8)
    out["uid"] = row_keys(key_base(graine, "sne", "radiation", tcode, year), n)
    return out


@dataclass
class SneData:
    cols: dict[str, np.ndarray]  # sorted by (dépôt, uid): the numéro unique order
    depot_month: np.ndarray
    end_month: np.ndarray
    order_end: np.ndarray  # row indices sorted by end month
    end_bounds: tuple[np.ndarray, np.ndarray]  # months, first index in order_end

    def filed_in(self, m: int) -> np.ndarray:
        lo, hi = np.searchsorted(self.depot_month, [m, m + 1])
        return np.arange(lo, hi)

    def filed_before(self, m: int) -> np.ndarray:
        return np.arange(0, np.searchsorted(self.depot_month, m))

    def ending_in(self, m: int) -> np.ndarray:
        months, starts = self.end_bounds
        i = np.searchsorted(months, m)
        if i == len(months) or months[i] != m:
            return np.empty(0, np.int64)
        stop = starts[i + 1] if i + 1 < len(starts) else len(self.order_end)
        return self.order_end[starts[i]:stop]


def build(graine: int, echelle: float, first_month: int, last_month: int) -> SneData:
    motifs, _, _ = radiation_tables()
    if motifs.index("ATTRIBUTION") != 0:
        raise ValueError("ATTRIBUTION doit être le premier code de sne_motifs_radiation")
    geo = geography()
    last_day = month_first_day(last_month + 1) - 1
    first_day = month_first_day(first_month)
    first_year = 1970 + first_month // 12
    last_year = 1970 + last_month // 12 + HORIZON_YEARS
    parts = []
    for t in range(len(geo.territories)):
        for year in range(first_year, last_year + 1):
            for batch in (_attribution_batch(graine, t, year, echelle), _other_batch(graine, t, year, echelle)):
                keep = (batch["depot"] <= last_day) & (batch["end"] >= first_day)
                if keep.any():
                    kept = {k: v[keep] for k, v in batch.items()}
                    kept["guichet"] = ((t + 1) * 1000 + 1 + hash_int(kept["uid"], 7, GUICHETS_PER_TERRITORY)
                                       ).astype(np.int16)
                    parts.append(kept)
    # column by column, releasing the batches as we go (memory stays ~ one copy of the demands)
    names = list(parts[0])
    cols = {}
    for k in names:
        cols[k] = np.concatenate([p.pop(k) for p in parts])
        release_memory()
    del parts
    order = np.lexsort((cols["uid"], cols["depot"]))
    for k in names:
        cols[k] = cols[k][order]
        release_memory()
    del order
    depot_month = months_of_days_compact(cols["depot"])
    # sequence number within the filing month, guichet within the territory
    starts = np.r_[0, np.flatnonzero(np.diff(depot_month)) + 1]
    cols["seq"] = (np.arange(len(depot_month)) - np.repeat(starts, np.diff(np.r_[starts, len(depot_month)]))
                   + 1).astype(np.int32)
    end_month = months_of_days_compact(cols["end"])
    order_end = np.argsort(end_month, kind="stable").astype(np.int32)
    bounds_months, bounds_start = np.unique(end_month[order_end], return_index=True)
    return SneData(cols, depot_month, end_month, order_end, (bounds_months, bounds_start))


# ----------------------------------------------------------------------------------------------------------
# Rendering: per-row choices come from hashes of the demand's key (the same in every file it appears in).

_SLOTS = {"age_band": (0, 0), "age_year": (0, 16), "residence": (0, 32), "residence_commune": (0, 48),
          "motif": (1, 0), "taille": (1, 16), "mutation": (1, 32), "prio": (1, 48),
          "qpv": (2, 0), "bailleur": (2, 16)}
_SALTS = (0x3C6EF372FE94F82B, 0xA54FF53A5F1D36F1, 0x510E527FADE682D1)


class Draws:
    """16-bit uniforms per row, sliced from three 64-bit hashes of the row keys (computed on demand)."""

    def __init__(self, keys: np.ndarray):
        self.keys = keys
        self.hashes: dict[int, np.ndarray] = {}

    def __call__(self, name: str) -> np.ndarray:
        h, shift = _SLOTS[name]
        if h not in self.hashes:
            self.hashes[h] = mix64(self.keys ^ np.uint64(_SALTS[h]))
        bits = (self.hashes[h] >> np.uint64(shift)) & np.uint64(0xFFFF)
        return (bits.astype(np.float64) + 0.5) / 65536.0


def _ages(draw: Draws, depot: np.ndarray) -> np.ndarray:
    bands = np.array(cal.SNE_AGES, dtype=float)
    cum = np.cumsum(bands[:, 2] / bands[:, 2].sum())
    band = np.minimum(np.searchsorted(cum, draw("age_band")), len(bands) - 1)
    years = bands[band, 0] + draw("age_year") * (bands[band, 1] - bands[band, 0] + 1)
    return (depot - np.floor(years * 365.25)).astype(np.int32)


def _taille(draw: Draws, kd: np.ndarray) -> np.ndarray:
    out = np.empty(len(kd), np.int8)
    u = draw("taille")
    for k, probs in enumerate(TAILLE_BY_TYPO):
        sel = kd == k
        cum = np.cumsum(probs) / np.sum(probs)
        out[sel] = np.minimum(np.searchsorted(cum, u[sel]), len(probs) - 1) + 1
    return out


def _flags(cols: dict[str, np.ndarray], idx: np.ndarray, draw: Draws) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(mutation, prioritaire PDALHPD, prioritaire DALO) of demands; attributions' levels come from quotas."""
    geo = geography()
    terr = cols["terr"][idx]
    p_mut = np.array([cal.SNE_MUTATION_SHARE.get(t, cal.SNE_MUTATION_DEFAULT) for t in geo.territories])[terr]
    attributed = cols["ka"][idx] >= 0
    mutation = draw("mutation") < np.where(attributed, p_mut * 0.88, p_mut)
    level = cols["prio"][idx]
    u = draw("prio")
    prio = np.where(attributed, level >= 1, u < cal.SNE_PRIORITAIRE_DEMANDE)
    dalo = np.where(attributed, level == 2, u < cal.SNE_DALO_DEMANDE)
    return mutation, prio, dalo


def _numero(cols: dict[str, np.ndarray], idx: np.ndarray) -> dict[str, pa.Array]:
    """062 + YY + MM of the dépôt + sequence in the month (6 digits) + guichet (5 digits): 18 characters,
    held as one integer (rendered with its leading zero)."""
    d = cols["depot"][idx].astype("datetime64[D]")
    yy = (d.astype("datetime64[Y]").astype(np.int64) + 1970) % 100
    mm = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    seq = cols["seq"][idx].astype(np.int64)
    if len(seq) and seq.max() >= 10**6:
        raise ValueError("plus d'un million de demandes dans un mois : échelle trop grande pour le numéro unique")
    return {"_numero": pa.array(62 * 10**15 + yy * 10**13 + mm * 10**11 + seq * 10**5
                                + cols["guichet"][idx].astype(np.int64))}


STATUTS = (code("sne_statuts_demande", "ACTIVE"), code("sne_statuts_demande", "RADIEE"))
NUMERO_SQL = "lpad(CAST(_numero AS VARCHAR), 18, '0')"
PII_DEMANDES = ("nom", "prenom", "nir", "adresse", "telephone", "courriel")
PII_ATTRIBUTIONS = ("nom", "prenom", "adresse")


def _dates(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    arr = pa.array(values.astype(np.int32), pa.int32(), mask=None if mask is None else ~mask)
    return arr.cast(pa.date32())


def demandes_table(data: SneData, idx: np.ndarray, month: int) -> tuple[pa.Table, dict[str, str]]:
    """Rows of the demands file of ``month``: state at the end of the month."""
    geo = geography()
    c = data.cols
    keys = c["uid"][idx]
    depot, end = c["depot"][idx], c["end"][idx]
    state_day = month_first_day(month + 1) - 1
    radiated = end <= state_day
    motifs = np.array(code_list("sne_motifs_radiation"))
    motif = c["motif"][idx]
    draw = Draws(keys)
    residence = np.where(draw("residence") < RESIDENCE_SAME, c["comm"][idx],
                         geo.sample_department(draw("residence_commune")))
    birth = _ages(draw, depot)
    # last renewal: last anniversary before the state date (non-renewed demands stopped one year earlier)
    ref = np.where(radiated, end, state_day)
    k = np.floor((ref - depot) / 365.25).astype(np.int64)
    k = np.where(radiated & (motifs[motif] == "NON_RENOUVELLEMENT"), k - 1, k)
    renew = add_years(depot, np.maximum(k, 0))
    filed_this_month = months_of_days(depot) == month
    has_renew = (k >= 1) & ~(filed_this_month & ~radiated)
    mutation, prio, dalo = _flags(c, idx, draw)
    motifs_dem, p_dem = weights_for("sne_motifs_demande", cal.SNE_MOTIFS_DEMANDE)
    cum = np.cumsum(p_dem)
    motif_dem = np.minimum(np.searchsorted(cum, draw("motif")), len(cum) - 1)
    table = {
        **_numero(c, idx),
        **identities.columns(keys, residence, birth, PII_DEMANDES),
        "date_naissance": _dates(birth),
        "code_commune_residence": pa.DictionaryArray.from_arrays(pa.array(residence.astype(np.int16)),
                                                                 pa.array(geo.codes)),
        "code_commune_souhaitee": pa.DictionaryArray.from_arrays(pa.array(c["comm"][idx]), pa.array(geo.codes)),
        "typologies_souhaitees": pa.DictionaryArray.from_arrays(
            pa.array((c["kd"][idx].astype(np.int16) * 3 + c["length"][idx] - 1).astype(np.int16)),
            pa.array(TYPO_LISTS)),
        "date_depot": _dates(depot),
        "date_renouvellement": _dates(renew, has_renew),
        "statut": dict_array(radiated, STATUTS),
        "date_radiation": _dates(end, radiated),
        "motif_radiation": dict_array(motif, motifs, radiated),
        "demande_mutation": pa.array(mutation),
        "taille_menage": pa.array(_taille(draw, c["kd"][idx])),
        "motif_principal": pa.DictionaryArray.from_arrays(pa.array(motif_dem.astype(np.int16)),
                                                          pa.array(motifs_dem)),
        "prioritaire_dalo": pa.array(dalo),
        "prioritaire_pdalhpd": pa.array(prio),
    }
    exprs = {"numero_unique": NUMERO_SQL, **{f: identities.sql(f) for f in PII_DEMANDES}}
    return pa.table(table), exprs


def attributions_table(data: SneData, idx: np.ndarray) -> tuple[pa.Table, dict[str, str]]:
    geo = geography()
    c = data.cols
    keys = c["uid"][idx]
    terr = c["terr"][idx]
    comm_log = c["comm_log"][idx]
    draw = Draws(keys)
    birth = _ages(draw, c["depot"][idx])
    mutation, prio, dalo = _flags(c, idx, draw)
    qpv_share = np.array([cal.SNE_QPV_SHARE.get(t, 0.2) for t in geo.territories])[terr]
    big = geo.population[comm_log] >= 8000
    qpv = big & (draw("qpv") < np.minimum(qpv_share * 1.6, 0.9))
    bailleur_idx = np.empty(len(idx), np.int16)
    u = draw("bailleur")
    for t, tcode in enumerate(geo.territories):
        sel = terr == t
        w = np.array(BAILLEURS_WEIGHTS.get(tcode, BAILLEURS_DEFAULT))
        cum = np.cumsum(w / w.sum())
        bailleur_idx[sel] = np.minimum(np.searchsorted(cum, u[sel]), len(w) - 1)
    reservataires, _ = weights_for("sne_reservataires", cal.SNE_RESERVATAIRES)
    table = {
        **_numero(c, idx),
        **identities.columns(keys, comm_log, birth, PII_ATTRIBUTIONS),
        "date_naissance": _dates(birth),
        "date_attribution": _dates(c["end"][idx]),
        "date_depot": _dates(c["depot"][idx]),
        "code_commune": pa.DictionaryArray.from_arrays(pa.array(comm_log), pa.array(geo.codes)),
        "typologie_attribuee": pa.DictionaryArray.from_arrays(pa.array(c["ka"][idx].astype(np.int16)),
                                                              pa.array(code_list("sne_typologies"))),
        "logement_qpv": pa.array(qpv),
        "reservataire": pa.DictionaryArray.from_arrays(pa.array(c["reserv"][idx].astype(np.int16)),
                                                       pa.array(reservataires)),
        "bailleur": pa.DictionaryArray.from_arrays(pa.array(bailleur_idx), pa.array(BAILLEURS)),
        "prioritaire_dalo": pa.array(dalo),
        "prioritaire_pdalhpd": pa.array(prio),
        "quartile_ressources": pa.array(c["quartile"][idx]),
        "demande_mutation": pa.array(mutation),
        "taille_menage": pa.array(_taille(draw, c["kd"][idx])),
    }
    exprs = {"numero_unique": NUMERO_SQL, "adresse_logement": identities.sql("adresse"),
             **{f: identities.sql(f) for f in ("nom", "prenom")}}
    return pa.table(table), exprs


def month_rows(data: SneData, month: int, first: bool) -> tuple[np.ndarray, np.ndarray]:
    """(rows of the demands file, rows of the attributions file) of a month, in numéro order."""
    filed = data.filed_in(month)
    ending = data.ending_in(month)
    rows = [filed[data.end_month[filed] != month], ending]
    if first:
        before = data.filed_before(month)
        rows.append(before[data.end_month[before] > month])
    demandes = np.sort(np.concatenate(rows))
    attributions = np.sort(ending[data.cols["motif"][ending] == 0])
    return demandes, attributions


# ----------------------------------------------------------------------------------------------------------
# Files


def plan(first: int, last: int) -> list[FileSpec]:
    specs = []
    for m in range(first, last + 1):
        for source in ("sne_demandes", "sne_attributions"):
            specs.append(FileSpec(source, month_label(m), monthly_extraction(m)))
    return specs


def produce(graine: int, echelle: float, first: int, last: int):
    """Yields (FileSpec, table, expressions) month by month."""
    data = build(graine, echelle, first, last)
    for m in range(first, last + 1):
        demandes, attributions = month_rows(data, m, first=m == first)
        yield (FileSpec("sne_demandes", month_label(m), monthly_extraction(m)),
               *demandes_table(data, demandes, m))
        yield (FileSpec("sne_attributions", month_label(m), monthly_extraction(m)),
               *attributions_table(data, attributions))
