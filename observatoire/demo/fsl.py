"""FSL (Fonds de solidarité logement): one row per dossier, in the monthly file of its decision.

Each year is generated at once, per volet and decision category, with exact département totals
(calibration.FSL_*) split over territories by largest remainder: population x poverty index by default, the
published territory counts where the annex gives them (maintien accordés 2021, AML/FAL shares 2019, Ternois
ASLL, Lens-Hénin EET 2019, Boulonnais accès 2019). Amounts are drawn by stratified quantiles from a gamma (or a
bounded beta for the maintien, capped at 3 000 €) and rescaled so the year's mean is the published one.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from observatoire.demo import calibration as cal
from observatoire.demo import identities
from observatoire.demo.common import (
    code,
    date_array,
    days_in_months,
    dict_array,
    geography,
    hash_uniform,
    key_base,
    lattice,
    month_index,
    months_of_days,
    quota,
    quota_categories,
    rng_for,
    row_keys,
    spread,
)
from observatoire.demo.periods import FileSpec, month_label, monthly_extraction
from observatoire.extracts import code_list

SEASON = np.array([1.05, 1.0, 1.05, 1.0, 0.95, 1.0, 0.9, 0.7, 1.05, 1.1, 1.1, 1.1])
PII = ("nom", "prenom", "numero_allocataire", "adresse", "telephone")
DEPOT_DELAY = {"ACCES": (10, 75), "MAINTIEN": (15, 90), "ENERGIE": (7, 45), "EAU": (7, 45), "TELEPHONE": (7, 45),
               "ASLL": (20, 90), "AML": (20, 90), "FAL": (20, 90)}
PUBLIC_SHARE = {"ACCES": 0.62, "MAINTIEN": cal.FSL_MAINTIEN_PUBLIC_SHARE, "ENERGIE": 0.4, "EAU": 0.4,
                "TELEPHONE": 0.4, "ASLL": 0.55, "AML": 0.15, "FAL": 0.5}
EXPULSION_SHARE = {"ACCES": 0.05, "MAINTIEN": cal.FSL_MAINTIEN_EXPULSION_SHARE, "ENERGIE": 0.03, "EAU": 0.03,
                   "TELEPHONE": 0.02, "ASLL": 0.10, "AML": 0.08, "FAL": 0.05}
FORMES_AIDE = {"ACCES": {"SUBVENTION": 0.55, "PRET": 0.2, "SUBVENTION_PRET": 0.25},
               "MAINTIEN": {"SUBVENTION": 0.5, "PRET": 0.15, "SUBVENTION_PRET": 0.35},
               "EET": {"SUBVENTION": 0.9, "PRET": 0.1}}
HOUSEHOLD_SIZES = (0.38, 0.22, 0.17, 0.12, 0.07, 0.03, 0.01)
# Decision categories: (code of the decision, kind) — kind drives forme, montant and garantie.
AIDE, GARANTIE, PRINCIPE, REFUS, AJOURNE, SANS_SUITE, MESURE = range(7)
CATEGORY_DECISION = {AIDE: "ACCORD", GARANTIE: "ACCORD", PRINCIPE: "ACCORD_PRINCIPE", REFUS: "REFUS",
                     AJOURNE: "AJOURNE", SANS_SUITE: "SANS_SUITE", MESURE: "ACCORD"}


def _base_weights() -> dict[str, float]:
    geo = geography()
    return {t: float(geo.population[geo.territory == i].sum()) * cal.FSL_POVERTY_INDEX[t]
            for i, t in enumerate(geo.territories)}


def _with_fixed_share(fixed: dict[str, float]) -> dict[str, float]:
    """Base weights for the territories without a published share, scaled to share what the others leave."""
    base = _base_weights()
    free = {t: w for t, w in base.items() if t not in fixed}
    rest = 1 - sum(fixed.values())
    total = sum(free.values())
    return {**{t: w / total * rest for t, w in free.items()}, **fixed}


def _accepted(year: int) -> float:
    return cal.by_year(cal.FSL_ACCES_AIDES, year) if year <= max(cal.FSL_ACCES_AIDES) else (
        0.363 * cal.by_year(cal.FSL_ACCES_DOSSIERS, year))


def volumes(year: int) -> dict[str, dict[int, tuple[float, dict[str, float]]]]:
    """Per volet: category -> (département count, territory weights)."""
    base = _base_weights()
    out: dict[str, dict[int, tuple[float, dict[str, float]]]] = {}
    # accès
    n = cal.by_year(cal.FSL_ACCES_DOSSIERS, year)
    acc = {AIDE: _accepted(year), GARANTIE: cal.by_year(cal.FSL_ACCES_GARANTIES, year),
           PRINCIPE: cal.FSL_ACCES_PRINCIPE_SHARE * n}
    rej = {REFUS: cal.FSL_ACCES_REJECTS["REFUS"] * n, AJOURNE: cal.FSL_ACCES_REJECTS["AJOURNE"] * n}
    rej[SANS_SUITE] = n - sum(acc.values()) - sum(rej.values())
    bou_n, bou_acc = cal.FSL_ACCES_BOU_2019
    acc_2019 = (_accepted(2019) + cal.FSL_ACCES_GARANTIES[2019]
                + cal.FSL_ACCES_PRINCIPE_SHARE * cal.FSL_ACCES_DOSSIERS[2019])
    w_acc = _with_fixed_share({"BOU": bou_acc / acc_2019})
    w_rej = _with_fixed_share({"BOU": (bou_n - bou_acc) / (cal.FSL_ACCES_DOSSIERS[2019] - acc_2019)})
    out["ACCES"] = {**{c: (v, w_acc) for c, v in acc.items()}, **{c: (v, w_rej) for c, v in rej.items()}}
    # maintien
    n = cal.by_year(cal.FSL_MAINTIEN_DOSSIERS, year)
    aides = (cal.by_year(cal.FSL_MAINTIEN_AIDES, year) if year <= max(cal.FSL_MAINTIEN_AIDES) else 0.576 * n)
    w = {t: float(v) for t, v in cal.FSL_MAINTIEN_ACCORDES_2021.items()}
    principe, garantie = cal.FSL_MAINTIEN_PRINCIPE_SHARE * n, cal.FSL_MAINTIEN_GARANTIES_SHARE * n
    rest = n - aides - principe - garantie
    out["MAINTIEN"] = {AIDE: (aides, w), PRINCIPE: (principe, w), GARANTIE: (garantie, w), REFUS: (0.6 * rest, w),
                       AJOURNE: (0.2 * rest, w), SANS_SUITE: (0.2 * rest, w)}
    # eau, énergie, téléphone (Lens-Hénin 2019: 734 dossiers, 515 accordés)
    len_n, len_acc = cal.FSL_EET_LEN_2019
    total_2019 = sum(cal.FSL_EET_DOSSIERS_2019.values())
    rate = cal.FSL_EET_ACCORD_RATE
    w_ok = _with_fixed_share({"LEN": len_acc / (rate * total_2019)})
    w_ko = _with_fixed_share({"LEN": (len_n - len_acc) / ((1 - rate) * total_2019)})
    for volet, n2019 in cal.FSL_EET_DOSSIERS_2019.items():
        n = n2019 * cal.by_year(cal.FSL_EET_INDEX, year)
        out[volet] = {AIDE: (rate * n, w_ok), REFUS: (0.67 * (1 - rate) * n, w_ko),
                      AJOURNE: (0.17 * (1 - rate) * n, w_ko), SANS_SUITE: (0.16 * (1 - rate) * n, w_ko)}
    # accompagnement
    shares = {"AML": cal.FSL_AML_SHARE, "FAL": cal.FSL_FAL_SHARE,
              "ASLL": _with_fixed_share({"TER": cal.FSL_ASLL_TER_SHARE})}
    for volet, table in cal.FSL_ACCOMPAGNEMENT.items():
        out[volet] = {MESURE: (cal.by_year(table, year), shares[volet])}
    assert set(base) == set(cal.TERRITORIES)
    return out


def _mean_amount(volet: str, year: int) -> float:
    if volet == "ACCES":
        return cal.by_year(cal.FSL_ACCES_AIDE_MOYENNE, year)
    if volet == "MAINTIEN":
        return cal.by_year(cal.FSL_MAINTIEN_AIDE_MOYENNE, year)
    if volet in cal.FSL_EET_AIDE_MOYENNE:
        return cal.FSL_EET_AIDE_MOYENNE[volet] * 1.03 ** (min(year, 2026) - 2019)
    return cal.FSL_ACCOMPAGNEMENT_COUT_2021[volet] * 1.02 ** (min(year, 2026) - 2021)


def _amounts(rng, volet: str, year: int, n: int) -> np.ndarray:
    """Amounts with the exact mean of the year: stratified gamma (or beta under the maintien cap)."""
    if n == 0:
        return np.zeros(0)
    mean = _mean_amount(volet, year)
    u = lattice(rng, n)
    grid = np.linspace(0.0005, 0.9995, 2000)
    if volet == "MAINTIEN":
        lo, hi = 150.0, cal.FSL_MAINTIEN_MAX
        x = lo + (hi - lo) * np.linspace(0, 1, 2001)[1:-1]
        target = (mean - lo) / (hi - lo)
        b = 2.0 * (1 - target) / target  # Beta(2, b) has mean 2 / (2 + b)
        pdf = ((x - lo) / (hi - lo)) * ((hi - x) / (hi - lo)) ** (b - 1)
        cdf = np.cumsum(pdf) / pdf.sum()
        values = np.interp(u, cdf, x)
        values = np.clip(values * mean / values.mean(), lo, hi)
    else:
        shape = 6.0 if volet in ("ASLL", "AML", "FAL") else 2.2
        quantiles = np.quantile(rng.gamma(shape, 1.0, 20000), grid)
        values = np.interp(u, grid, quantiles)
        values = np.maximum(values * mean / values.mean(), 15.0)
    return np.round(values * mean / values.mean(), 2)


def year_rows(graine: int, echelle: float, year: int) -> dict[str, np.ndarray]:
    geo = geography()
    volets = code_list("fsl_volets")
    formes = code_list("fsl_formes_aide")
    parts = []
    for volet, categories in volumes(year).items():
        rng = rng_for(graine, "fsl", volet, year)
        terr, cat = [], []
        for category, (count, weights) in sorted(categories.items()):
            w = np.array([weights.get(t, 0.0) for t in geo.territories])
            per_t = quota(int(round(count * echelle)), w)
            terr.append(np.repeat(np.arange(len(w)), per_t))
            cat.append(np.full(per_t.sum(), category))
        terr_a, cat_a = np.concatenate(terr).astype(np.int8), np.concatenate(cat).astype(np.int8)
        n = len(terr_a)
        if n == 0:
            continue
        perm = rng.permutation(n)
        terr_a, cat_a = terr_a[perm], cat_a[perm]
        decision_day = days_in_months(month_index(year, 1), 12, rng, spread(n, SEASON))
        lo, hi = DEPOT_DELAY[volet]
        forme = np.full(n, -1, np.int8)
        amount = np.full(n, np.nan)
        aide = cat_a == AIDE
        key = "EET" if volet in ("ENERGIE", "EAU", "TELEPHONE") else volet
        if key in FORMES_AIDE:
            names = list(FORMES_AIDE[key])
            chosen = quota_categories(rng, int(aide.sum()), [FORMES_AIDE[key][k] for k in names])
            forme[aide] = np.array([formes.index(k) for k in names])[chosen]
        amount[aide] = _amounts(rng, volet, year, int(aide.sum()))
        forme[cat_a == GARANTIE] = formes.index("GARANTIE")
        mesure = cat_a == MESURE
        forme[mesure] = formes.index("MESURE")
        amount[mesure] = _amounts(rng, volet, year, int(mesure.sum()))
        public = rng.random(n) < PUBLIC_SHARE[volet]
        if volet == "ACCES":
            garanties = cat_a == GARANTIE
            share = cal.FSL_ACCES_GARANTIES_PUBLIC.get(year, 0.88)
            public[garanties] = quota_categories(rng, int(garanties.sum()), [1 - share, share]).astype(bool)
        lni = np.zeros(n, bool)
        if volet == "ACCES":
            rejected = np.isin(cat_a, (REFUS, AJOURNE, SANS_SUITE))
            extra = (cal.FSL_ACCES_LNI_SHARE - cal.FSL_ACCES_PRINCIPE_SHARE) / (1 - cal.FSL_ACCES_PRINCIPE_SHARE
                                                                                - _accepted(year) / max(n, 1))
            lni = (cat_a == PRINCIPE) | (rejected & (rng.random(n) < max(extra, 0.0)))
        comm = np.empty(n, np.int16)
        u = rng.random(n)
        for t in range(len(geo.territories)):
            sel = terr_a == t
            comm[sel] = geo.sample(t, u[sel], 1.05)
        parts.append({
            "terr": terr_a,
            "comm": comm,
            "volet": np.full(n, volets.index(volet), np.int8),
            "cat": cat_a,
            "decision": decision_day.astype(np.int64)[rng.permutation(n)],
            "wait": rng.integers(lo, hi + 1, n),
            "forme": forme,
            "amount": amount,
            "public": public,
            "lni": lni,
            "expulsion": rng.random(n) < EXPULSION_SHARE[volet],
            "uid": row_keys(key_base(graine, "fsl", volet, year), n),
        })
    cols = {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
    order = np.lexsort((cols["uid"], cols["decision"]))
    cols = {k: v[order] for k, v in cols.items()}
    cols["seq"] = np.arange(1, len(order) + 1, dtype=np.int32)
    cols["month"] = months_of_days(cols["decision"])
    return cols


def month_table(cols: dict[str, np.ndarray], year: int, m: int) -> tuple[pa.Table, dict[str, str]]:
    geo = geography()
    idx = np.flatnonzero(cols["month"] == m)
    c = {k: v[idx] for k, v in cols.items()}
    n = len(idx)
    volets = code_list("fsl_volets")
    formes = code_list("fsl_formes_aide")
    volet_acces = (c["volet"] == volets.index("ACCES")).astype(np.int8)
    keys = c["uid"]
    age_years = 18 + hash_uniform(keys, 71) ** 1.2 * 67
    birth = (c["decision"] - np.floor(age_years * 365.25)).astype(np.int64)
    sizes = np.minimum(np.searchsorted(np.cumsum(HOUSEHOLD_SIZES), hash_uniform(keys, 72)), 6) + 1
    refus = c["cat"] == REFUS
    acces_maintien = np.isin(c["volet"], (volets.index("ACCES"), volets.index("MAINTIEN")))
    decisions = code_list("fsl_decisions")
    decision_index = np.array([decisions.index(CATEGORY_DECISION[k]) for k in range(7)])
    parcs = (code("types_parc", "PRIVE"), code("types_parc", "PUBLIC"))
    table = {
        "_year": pa.array(np.full(n, year, np.int16)), "_seq": pa.array(c["seq"]),
        **identities.columns(keys, c["comm"], birth, PII),
        "date_naissance": date_array(birth),
        "code_commune": dict_array(c["comm"], geo.codes),
        "volet": dict_array(c["volet"], volets),
        "logement_identifie": pa.array(~c["lni"], mask=volet_acces == 0),
        "type_parc": dict_array(c["public"], parcs, ~((volet_acces == 1) & c["lni"])),
        "date_depot": date_array(c["decision"] - c["wait"]),
        "date_decision": date_array(c["decision"]),
        "decision": dict_array(decision_index[c["cat"]], decisions),
        "motif_refus": dict_array((hash_uniform(keys, 73) * len(cal.FSL_MOTIFS_REFUS)).astype(int),
                                  cal.FSL_MOTIFS_REFUS, refus),
        "forme_aide": dict_array(np.maximum(c["forme"], 0), formes, c["forme"] >= 0),
        "montant_accorde": pa.array(c["amount"], mask=np.isnan(c["amount"])),
        "garantie_loyer": pa.array(c["cat"] == GARANTIE, mask=~acces_maintien),
        "nb_personnes": pa.array(sizes.astype(np.int8)),
        "procedure_expulsion": pa.array(c["expulsion"]),
    }
    exprs = {"numero_dossier": "printf('FSL%d-%06d', _year, _seq)", **{f: identities.sql(f) for f in PII}}
    return pa.table(table), exprs


def plan(first: int, last: int) -> list[FileSpec]:
    return [FileSpec("fsl", month_label(m), monthly_extraction(m)) for m in range(first, last + 1)]


def produce(graine: int, echelle: float, first: int, last: int):
    cols, year = None, None
    for m in range(first, last + 1):
        y = 1970 + m // 12
        if y != year:
            cols, year = year_rows(graine, echelle, y), y
        yield (FileSpec("fsl", month_label(m), monthly_extraction(m)), *month_table(cols, y, m))
