"""Shared helpers of the demo generator: seeded random streams, stratified sampling, day arithmetic,
code lists and geography read from the seeds.

Conventions used by every source module:
- dates are ``int32`` day numbers since 1970-01-01 (the Arrow ``date32`` representation);
- a month is an ``int`` index ``(year - 1970) * 12 + month - 1``;
- every random draw comes from a ``numpy.random.Generator`` derived from (graine, source, batch keys), so a
  batch is the same whatever else is generated (another ``jusqua``, another source).
"""

from __future__ import annotations

import csv
import ctypes
import zlib
from dataclasses import dataclass
from datetime import date
from functools import cache

import numpy as np
import pyarrow as pa

from observatoire.extracts import code_list
from observatoire.settings import GEOGRAPHY_DIR

EPOCH = date(1970, 1, 1)
DAYS_PER_MONTH = 30.4375  # the definition used for "délai en mois"
PHI = 0.6180339887498949  # golden-ratio conjugate, for low-discrepancy sequences
PHI2 = 0.41421356237309515  # sqrt(2) - 1, a second, independent one

# --------------------------------------------------------------------------------------------------------------
# Memory


def release_memory() -> None:
    """Give freed heap memory back to the system (glibc keeps it otherwise; a no-op elsewhere)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


# --------------------------------------------------------------------------------------------------------------
# Random streams


def rng_for(graine: int, *keys: object) -> np.random.Generator:
    """A Generator that depends only on the seed and the keys (strings or ints), never on call order."""
    entropy = [int(graine) & 0xFFFFFFFF] + [zlib.crc32(str(k).encode("utf-8")) for k in keys]
    return np.random.default_rng(np.random.SeedSequence(entropy))


def key_base(graine: int, *keys: object) -> np.uint64:
    """A 64-bit base for counter-based hashing (row identities)."""
    a = zlib.crc32(("|".join(str(k) for k in keys)).encode("utf-8"))
    return np.uint64(((int(graine) & 0xFFFFFFFF) << 32) | a)


def mix64(x: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser, vectorised on uint64 (wrapping arithmetic)."""
    z = x.astype(np.uint64, copy=True)
    z += np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def row_keys(base: np.uint64, n: int, start: int = 0) -> np.ndarray:
    """Distinct 64-bit keys for n rows of one batch."""
    salt = np.uint64((int(base) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF)
    return mix64(np.arange(start, start + n, dtype=np.uint64) ^ salt)


def hash_uniform(keys: np.ndarray, salt: int) -> np.ndarray:
    """A uniform [0, 1) number per key, independent across salts."""
    h = mix64(keys ^ np.uint64((salt * 0x9E3779B1) & 0xFFFFFFFFFFFFFFFF))
    return (h >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)


def hash_int(keys: np.ndarray, salt: int, n: int) -> np.ndarray:
    return np.minimum((hash_uniform(keys, salt) * n).astype(np.int64), n - 1)


def stratified_uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    """n uniforms, one in each of the n strata [i/n, (i+1)/n), in random order (Latin hypercube in 1-D)."""
    if n == 0:
        return np.empty(0)
    return (rng.permutation(n) + rng.random(n)) / n


def weyl_uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    """A low-discrepancy sequence in index order: any run of consecutive indices is evenly spread on [0, 1)."""
    return np.mod(np.arange(n) * PHI + rng.random(), 1.0)


def lattice(rng: np.random.Generator, n: int, alpha: float = PHI) -> np.ndarray:
    """frac(i * alpha + U) for i = 0..n-1. Paired with sorted values, (i/n, lattice) is a low-discrepancy
    point set in 2-D: counts in any region with a monotone boundary are exact within O(log n)."""
    return np.mod(np.arange(n) * alpha + rng.random(), 1.0)


def spread_categories(rng: np.random.Generator, order: np.ndarray, probs) -> np.ndarray:
    """Categories with exact quota counts, spread evenly along ``order`` (row indices): every run of
    consecutive rows in that order has the categories in proportion (within a few units)."""
    n = len(order)
    counts = quota(n, probs)
    w = lattice(rng, n, PHI2)
    by_rank = np.repeat(np.arange(len(counts)), counts)
    out = np.empty(n, dtype=np.int64)
    out[order] = by_rank[np.argsort(np.argsort(w, kind="stable"), kind="stable")]
    return out


def quota(total: int, probs) -> np.ndarray:
    """Integer counts summing to ``total``, proportional to probs (largest remainder)."""
    p = np.asarray(probs, dtype=float)
    p = p / p.sum() if p.sum() > 0 else np.full(len(p), 1.0 / len(p))
    raw = p * total
    base = np.floor(raw).astype(np.int64)
    rest = int(total - base.sum())
    if rest > 0:
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:rest]] += 1
    return base


def quota_categories(rng: np.random.Generator, n: int, probs) -> np.ndarray:
    """n category indices with exact proportions (largest remainder), shuffled."""
    counts = quota(n, probs)
    return rng.permutation(np.repeat(np.arange(len(counts)), counts))


def categories_from_uniform(u: np.ndarray, probs) -> np.ndarray:
    p = np.asarray(probs, dtype=float)
    cum = np.cumsum(p / p.sum())
    cum[-1] = 1.0 + 1e-12
    return np.searchsorted(cum, u, side="right")


def cumulative_round(values) -> np.ndarray:
    """Round a sequence of non-negative reals to integers so that every running sum is rounded too."""
    c = np.round(np.cumsum(np.asarray(values, dtype=float)))
    return np.diff(np.concatenate([[0.0], c])).astype(np.int64)


def spread(total: float, weights) -> np.ndarray:
    """Split a (possibly fractional) total over bins proportionally to weights, as integers."""
    w = np.asarray(weights, dtype=float)
    return cumulative_round(total * w / w.sum())


class Table:
    """An inverse-CDF table of a distribution on integer values 0..len(pmf)-1 (e.g. days)."""

    def __init__(self, pmf: np.ndarray):
        pmf = np.asarray(pmf, dtype=float)
        self.pmf = pmf / pmf.sum()
        self.cdf = np.cumsum(self.pmf)
        self.cdf[-1] = 1.0
        self.mean = float((np.arange(len(pmf)) * self.pmf).sum())

    def sample(self, u: np.ndarray) -> np.ndarray:
        return np.searchsorted(self.cdf, u, side="right").astype(np.int32)

    def survival(self, k: np.ndarray) -> np.ndarray:
        """P(X >= k)."""
        k = np.asarray(k)
        sf = np.concatenate([[1.0], 1.0 - self.cdf])
        return sf[np.clip(k, 0, len(self.pmf))]


def gamma_table(mean_days: float, shape: float, max_days: int, offset: int = 0) -> Table:
    """Discretised gamma on days (plus a fixed offset), truncated at max_days, with the given exact mean."""
    x = np.arange(max_days + 1, dtype=float)

    def build(scale: float) -> np.ndarray:
        y = np.maximum(x - offset, 0.0)
        pdf = np.where(x >= offset, np.power(y + 0.5, shape - 1) * np.exp(-(y + 0.5) / scale), 0.0)
        return pdf / pdf.sum()

    lo, hi = 1.0, mean_days * 4
    for _ in range(60):  # bisection on the scale so that the truncated mean is exact
        mid = (lo + hi) / 2
        if (x * build(mid)).sum() < mean_days:
            lo = mid
        else:
            hi = mid
    return Table(build((lo + hi) / 2))


def dict_array(indices: np.ndarray, values, mask: np.ndarray | None = None) -> pa.DictionaryArray:
    """A dictionary-encoded Arrow column (codes, communes): no per-row string is built in Python.
    ``mask`` marks the rows that have a value (others are null)."""
    idx = pa.array(np.asarray(indices).astype(np.int16), mask=None if mask is None else ~np.asarray(mask, bool))
    return pa.DictionaryArray.from_arrays(idx, pa.array(list(values), pa.string()))


def date_array(days: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """Day numbers as an Arrow date32 column; ``mask`` marks the rows that have a value."""
    values = np.asarray(days).astype(np.int32)
    return pa.array(values, pa.int32(), mask=None if mask is None else ~np.asarray(mask, bool)).cast(pa.date32())


# --------------------------------------------------------------------------------------------------------------
# Days and months


def day_number(d: date) -> int:
    return (d - EPOCH).days


def month_index(year: int, month: int) -> int:
    return (year - 1970) * 12 + month - 1


def month_of(m: int) -> tuple[int, int]:
    return 1970 + m // 12, m % 12 + 1


def month_first_day(m) -> np.ndarray | int:
    """Day number of the first day of month index m (scalar or array)."""
    arr = np.asarray(m, dtype="int64").astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return int(arr) if np.ndim(arr) == 0 else arr


def month_days(m: int) -> int:
    return month_first_day(m + 1) - month_first_day(m)


def months_of_days(d: np.ndarray) -> np.ndarray:
    return np.asarray(d, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)


def months_of_days_compact(d: np.ndarray) -> np.ndarray:
    """Month indices (int16) of day numbers, through a lookup table (no large temporaries)."""
    if len(d) == 0:
        return np.empty(0, np.int16)
    lo, hi = int(d.min()), int(d.max())
    table = months_of_days(np.arange(lo, hi + 1)).astype(np.int16)
    return table[d - lo]


def years_of_days(d: np.ndarray) -> np.ndarray:
    return np.asarray(d, dtype="int64").astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def year_first_day(y: int) -> int:
    return day_number(date(y, 1, 1))


def add_years(d: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Same day and month k years later (29 February becomes 28 February)."""
    d = np.asarray(d, dtype="int64").astype("datetime64[D]")
    months = d.astype("datetime64[M]")
    dom = (d - months.astype("datetime64[D]")).astype(np.int64)
    target = months + np.asarray(k, dtype=np.int64) * 12
    last = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(np.int64) - 1
    return (target.astype("datetime64[D]") + np.minimum(dom, last)).astype(np.int64)


def days_in_months(first_month: int, n_months: int, rng: np.random.Generator, counts: np.ndarray) -> np.ndarray:
    """Day numbers for counts[i] events in month first_month + i, spread evenly over each month."""
    out = []
    for i, c in enumerate(counts):
        if c == 0:
            continue
        m = first_month + i
        start = month_first_day(m)
        out.append(start + np.floor(stratified_uniform(rng, int(c)) * month_days(m)).astype(np.int64))
    return np.concatenate(out) if out else np.empty(0, dtype=np.int64)


# --------------------------------------------------------------------------------------------------------------
# Code lists (seeds/nomenclatures)




def weights_for(seed: str, weights: dict[str, float]) -> tuple[tuple[str, ...], np.ndarray]:
    """Probabilities over a code list; every key must be a code of the seed (missing codes get 0)."""
    known = code_list(seed)
    unknown = set(weights) - set(known)
    if unknown:
        raise ValueError(f"codes inconnus dans {seed}: {sorted(unknown)}")
    p = np.array([weights.get(c, 0.0) for c in known], dtype=float)
    return known, p / p.sum()


def code(seed: str, value: str) -> str:
    if value not in code_list(seed):
        raise ValueError(f"code {value!r} absent de la nomenclature {seed}")
    return value


# --------------------------------------------------------------------------------------------------------------
# Geography (seeds/geographie)


@dataclass(frozen=True)
class Geography:
    codes: np.ndarray  # INSEE codes (str), sorted
    names: list[str]
    population: np.ndarray  # int64
    territory: np.ndarray  # int8 index into territories
    epci: np.ndarray  # int16 index into epci_codes
    arrondissement: np.ndarray  # str codes
    territories: tuple[str, ...]  # codes in the seed's order (ARR, ART, ...)
    territory_names: tuple[str, ...]
    epci_codes: tuple[str, ...]
    epci_names: tuple[str, ...]

    def territory_index(self, code_territoire: str) -> int:
        return self.territories.index(code_territoire)

    def members(self, t: int) -> np.ndarray:
        return np.flatnonzero(self.territory == t)

    def sampler(self, t: int, power: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """(commune indices, cumulative weights) of territory t, weights = population ** power."""
        idx = self.members(t)
        w = np.power(self.population[idx].astype(float), power)
        cum = np.cumsum(w / w.sum())
        cum[-1] = 1.0 + 1e-12
        return idx, cum

    def sample(self, t: int, u: np.ndarray, power: float = 1.0) -> np.ndarray:
        idx, cum = self.sampler(t, power)
        return idx[np.searchsorted(cum, u, side="right")].astype(np.int16)

    def sample_department(self, u: np.ndarray, power: float = 1.0) -> np.ndarray:
        w = np.power(self.population.astype(float), power)
        cum = np.cumsum(w / w.sum())
        cum[-1] = 1.0 + 1e-12
        return np.searchsorted(cum, u, side="right").astype(np.int16)


def _read_csv(name: str) -> list[dict[str, str]]:
    path = GEOGRAPHY_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"Référentiel géographique manquant : {path}")
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@cache
def geography() -> Geography:
    communes = sorted(_read_csv("communes.csv"), key=lambda r: r["code_commune"])
    terr_rows = sorted(_read_csv("territoires.csv"), key=lambda r: int(r.get("ordre") or 0))
    territories = tuple(r["code_territoire"] for r in terr_rows)
    mapping = {r["code_commune"]: r["code_territoire"] for r in _read_csv("commune_territoire.csv")}
    epci_rows = sorted(_read_csv("epci.csv"), key=lambda r: r["code_epci"])
    epci_codes = tuple(r["code_epci"] for r in epci_rows)
    missing = [c["code_commune"] for c in communes if c["code_commune"] not in mapping]
    if missing:
        raise ValueError(f"communes sans territoire dans commune_territoire.csv : {missing[:5]}")
    return Geography(
        codes=np.array([c["code_commune"] for c in communes]),
        names=[c["nom_commune"] for c in communes],
        population=np.array([int(c["population"]) for c in communes], dtype=np.int64),
        territory=np.array([territories.index(mapping[c["code_commune"]]) for c in communes], dtype=np.int8),
        epci=np.array([epci_codes.index(c["code_epci"]) for c in communes], dtype=np.int16),
        arrondissement=np.array([c["code_arrondissement"] for c in communes]),
        territories=territories,
        territory_names=tuple(r["nom_territoire"] for r in terr_rows),
        epci_codes=epci_codes,
        epci_names=tuple(r["nom_epci"] for r in epci_rows),
    )
