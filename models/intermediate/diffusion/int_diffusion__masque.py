"""Secret statistique: the masking pattern of every published count, computed jointly on the unmasked marts.

One pattern for all the tables that share cells or sums (seed `tables_secret`): the theme marts, their detail and
typology tables. A cell is a count of one table at one zone, year and dimension value. The relations an attacker
can use are equalities between cells, each kept only where it holds on the unmasked values:
- hierarchy: département = sum of its territories, territoire = sum of its EPCI, EPCI = sum of its communes (PPPI),
  for the same table, year, dimension value and column (`int_geo__zones`);
- additive relations of a row (seed `relations_additives`: total = sum of parts), and the identities a count
  column has on every row of its table with another or with the sum of two (found in the data);
- dimension totals (seed `totaux_dimensions`: the rows of one dimension of a detail table sum to a column of
  another table, e.g. the typologies of a zone's DALO recours to its `nb_recours`; its motifs where they do).
  An absent row of a detail table is a published 0 (`dalo_recours_detail` is dense for this reason: a zero that
  can be masked is what hides a value a single zone counts).
The portraits, the plan indicators and the diagnostic comparison only repeat or sum these cells; the diffusion
models mask a figure of theirs whenever one of the cells it is made of is masked, so they add no relation.

Primary masking: counts from 1 to threshold - 1 at the levels of the seed (EPCI, and communes for PPPI).
Secondary masking, component by component (cells linked by relations: one source, year and family of columns),
driven by an attacker's audit: the interval each masked cell can take given everything published (linear
programming, all cells >= 0, integer bounds) is computed; while a primary cell's interval is narrower than its
protection level (the threshold, or the département's value of the same cell when it is smaller: nothing can
hide a cell better than its published total does) or a secondary cell is determined exactly, the published cell
that shares a relation with it and gives the protection needed at the lowest cost is masked too (the smallest
count that covers the missing width, at the lowest level), and the component is audited again.
The département level is never masked.

Output: one row per masked cell (the diffusion models NULL them, and the columns derived from them).
"""

import itertools
import math

import highspy
import numpy as np
import pandas as pd

NOT_COUNTS = {"nb_communes", "nb_epci", "nb_recours_departement", "nb_communes_secret_producteur"}
LEVEL_RANK = {"commune": 0, "epci": 1, "territoire": 2, "departement": 3}
SEP = "|"  # joins the values of a cell's dimensions into one key (codes hold no "|")


def model(dbt, session):
    dbt.config(materialized="table")
    thresholds = {"individuel": int(dbt.config.get("seuil_individuel")),
                  "fiscal": int(dbt.config.get("seuil_fiscal"))}
    marts = {
        "sne_indicateurs": dbt.ref("sne_indicateurs"),
        "dalo_indicateurs": dbt.ref("dalo_indicateurs"),
        "fsl_indicateurs": dbt.ref("fsl_indicateurs"),
        "ccapex_indicateurs": dbt.ref("ccapex_indicateurs"),
        "pppi_indicateurs": dbt.ref("pppi_indicateurs"),
        "sne_tension_typologie": dbt.ref("sne_tension_typologie"),
        "dalo_recours_detail": dbt.ref("dalo_recours_detail"),
    }
    # Rows in a fixed order: the greedy choice of complements must not depend on how a table was built
    # (an incremental build stores rows in another order than a full one).
    tables = dbt.ref("tables_secret").order("all").df()
    # dbt reads a Python model's refs from its literal calls: the list above restates tables_secret.csv.
    if set(tables["modele"]) != set(marts):
        raise ValueError("int_diffusion__masque : la liste des tables de ce modèle diffère de "
                         f"seeds/diffusion/tables_secret.csv ({sorted(set(tables['modele']) ^ set(marts))}) ; "
                         "ajouter son dbt.ref() au modèle.")
    zones = dbt.ref("int_geo__zones").order("all").df()
    additive = dbt.ref("relations_additives").order("all").df()
    totals = dbt.ref("totaux_dimensions").order("all").df()
    cells = load_cells({name: rel.order("all").df() for name, rel in marts.items()}, tables, thresholds)
    relations = build_relations(cells, zones, additive, totals)
    return mask(cells, relations)


# --- cells -----------------------------------------------------------------------------------------------
def load_cells(frames: dict, tables: pd.DataFrame, thresholds: dict) -> pd.DataFrame:
    """Every count of every table in long form, with its threshold and whether it is primary-masked."""
    parts = []
    for t in tables.itertuples():
        frame = frames[t.modele]
        dims = str(t.dimensions).split() if isinstance(t.dimensions, str) else []
        counts = [c for c in frame.columns if c.startswith("nb_") and c not in NOT_COUNTS]
        long = frame[["niveau", "code_zone", "annee", *dims, *counts]].melt(
            id_vars=["niveau", "code_zone", "annee", *dims], value_vars=counts, var_name="colonne",
            value_name="valeur")
        long["cle"] = long[dims].astype(str).agg(SEP.join, axis=1) if dims else ""
        long = long.drop(columns=dims)
        long["modele"] = t.modele
        long["seuil"] = thresholds[t.seuil]
        levels = str(t.niveaux).split()
        long["primaire"] = long["niveau"].isin(levels) & (long["valeur"] >= 1) & (long["valeur"] < long["seuil"])
        parts.append(long)
    cells = pd.concat(parts, ignore_index=True)
    cells["valeur"] = cells["valeur"].fillna(0).astype(float)
    cells["annee"] = cells["annee"].astype(int)
    return cells


# --- relations -------------------------------------------------------------------------------------------
def build_relations(cells: pd.DataFrame, zones: pd.DataFrame, additive: pd.DataFrame,
                    totals: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """Relations total = sum of parts, as (total cell, part cells), kept only where they hold on the values."""
    key = ["modele", "annee", "cle", "colonne"]
    idx = cells.reset_index().rename(columns={"index": "id"})
    relations = []

    # Hierarchy: a zone's parent (département <- territoire <- EPCI <- commune).
    parent = zones[["niveau", "code_zone", "code_territoire", "code_epci"]].copy()
    parent["parent_niveau"] = parent["niveau"].map({"territoire": "departement", "epci": "territoire",
                                                    "commune": "epci"})
    departement = zones.loc[zones["niveau"] == "departement", "code_zone"].iloc[0]
    parent["parent_code"] = np.select(
        [parent["niveau"] == "territoire", parent["niveau"] == "epci", parent["niveau"] == "commune"],
        [departement, parent["code_territoire"], parent["code_epci"]], default=None)
    child = idx.merge(parent[["niveau", "code_zone", "parent_niveau", "parent_code"]], on=["niveau", "code_zone"])
    child = child.merge(idx[[*key, "niveau", "code_zone", "id"]].rename(
        columns={"niveau": "parent_niveau", "code_zone": "parent_code", "id": "parent_id"}),
        on=[*key, "parent_niveau", "parent_code"])
    relations += _holding(child, "parent_id", cells)

    # Additive relations of a row.
    row = ["modele", "niveau", "code_zone", "annee", "cle"]
    parts = idx.merge(additive.rename(columns={"partie": "colonne"}), on=["modele", "colonne"])
    parts = parts.merge(idx[[*row, "colonne", "id"]].rename(columns={"colonne": "total", "id": "parent_id"}),
                        on=[*row, "total"])
    relations += _holding(parts, "parent_id", cells)

    # Identities of a row found in the data (a count equal, on every row of its table, to another count or to the
    # sum of two): an attacker may hold them as true, even when they hold by chance on a small table.
    for _, table in idx.groupby("modele"):
        wide = table.pivot_table(index=row, columns="colonne", values=["valeur", "id"], aggfunc="first")
        names = [c for c in wide["valeur"].columns if wide["valeur"][c].notna().all() and wide["valeur"][c].any()]
        v, ids = wide["valeur"][names].to_numpy(), wide["id"][names].to_numpy()
        for c in range(len(names)):
            others = [a for a in range(len(names)) if a != c]
            sets = [[a] for a in others] + [list(pair) for pair in itertools.combinations(others, 2)]
            for parts_of in sets:
                if (v[:, parts_of].sum(axis=1) == v[:, c]).all():
                    relations += [(int(i), [int(j) for j in js]) for i, js in zip(ids[:, c], ids[:, parts_of],
                                                                                   strict=True)]

    # Dimension totals: the rows of one dimension of a detail table sum to a column of another table.
    zone_year = ["niveau", "code_zone", "annee"]
    for t in totals.itertuples():
        detail = idx[(idx["modele"] == t.modele) & (idx["colonne"] == t.colonne)]
        if isinstance(t.dimension, str) and t.dimension:
            detail = detail[detail["cle"].str.split(SEP).str[0] == t.dimension]
        total = idx[(idx["modele"] == t.modele_total) & (idx["colonne"] == t.colonne_total) & (idx["cle"] == "")]
        present = detail.merge(total[[*zone_year, "id"]].rename(columns={"id": "parent_id"}), on=zone_year)
        relations += _holding(present, "parent_id", cells)
        # A total whose detail rows are all absent is a published 0: a relation with no part (never masked).
        empty = total[~total.set_index(zone_year).index.isin(detail.set_index(zone_year).index)]
        relations += [(int(p), []) for p, v in zip(empty["id"], empty["valeur"], strict=True) if v == 0]
    return relations


def _holding(children: pd.DataFrame, parent_column: str, cells: pd.DataFrame) -> list[tuple[int, list[int]]]:
    """(parent, children) of each group whose children sum to the parent (absent children count 0)."""
    groups = children.groupby(parent_column)["id"].agg(list)
    values = cells["valeur"].to_numpy()
    return [(int(p), [int(c) for c in kids]) for p, kids in groups.items()
            if math.isclose(values[p], values[kids].sum(), abs_tol=1e-6)]


# --- masking ---------------------------------------------------------------------------------------------
def mask(cells: pd.DataFrame, relations: list[tuple[int, list[int]]]) -> pd.DataFrame:
    values = cells["valeur"].to_numpy()
    maskable = (cells["niveau"] != "departement").to_numpy().copy()
    rank = cells["niveau"].map(LEVEL_RANK).to_numpy()
    # Protection level of a primary cell: its threshold, or the département's value of the same cell if smaller.
    dept = cells[cells["niveau"] == "departement"].set_index(["modele", "annee", "cle", "colonne"])["valeur"]
    cap = cells.join(dept.rename("dept"), on=["modele", "annee", "cle", "colonne"])["dept"].fillna(np.inf)
    required = np.where(cells["primaire"], np.minimum(cells["seuil"], cap.to_numpy()), 1.0)

    rels = [(p, kids) for p, kids in relations]
    of_cell: dict[int, list[int]] = {}
    for r, (p, kids) in enumerate(rels):
        for c in (p, *kids):
            of_cell.setdefault(c, []).append(r)

    for p, kids in relations:
        if not kids:
            maskable[p] = False  # its value is published another way (a detail table's absent rows)
    # Cells an attacker knows whatever is masked (masking them would protect nothing and the audit would find
    # them again): a zero that is a part of a known zero (all cells >= 0), and the last unknown member of a
    # relation whose other members are known (a territory alone in its département). Primary cells are masked.
    primary = cells["primaire"].to_numpy()
    known = ~maskable & ~primary
    todo = list(np.flatnonzero(known))
    while todo:
        x = todo.pop()
        for r in of_cell.get(x, []):
            p, kids = rels[r]
            members = (p, *kids)
            found = [k for k in kids if values[k] == 0] if p == x and values[p] == 0 else []
            unknown = [m for m in members if not known[m]]
            if len(unknown) == 1:
                found.append(unknown[0])
            for k in found:
                if not known[k] and not primary[k]:
                    known[k], maskable[k] = True, False
                    todo.append(k)
    masked = np.zeros(len(cells), dtype=bool)
    masked[primary] = True
    solver = Intervals(rels, of_cell, values, required)
    for component in components(np.flatnonzero(primary), rels, of_cell):
        protect(component, masked, maskable, values, rank, required, rels, of_cell, solver)

    out = cells.loc[masked, ["modele", "niveau", "code_zone", "annee", "cle", "colonne", "primaire"]].copy()
    out["motif"] = np.where(out["primaire"], "primaire", "secondaire")
    return out.rename(columns={"cle": "cle_dimensions"}).drop(columns=["primaire"]).reset_index(drop=True)


def components(seeds, rels, of_cell) -> list[list[int]]:
    """Connected components (through relations) of the cells holding a primary cell."""
    seen: set[int] = set()
    out = []
    for s in seeds:
        if s in seen:
            continue
        todo, comp = [int(s)], []
        seen.add(int(s))
        while todo:
            c = todo.pop()
            comp.append(c)
            for r in of_cell.get(c, []):
                p, kids = rels[r]
                for o in (p, *kids):
                    if o not in seen:
                        seen.add(o)
                        todo.append(o)
        out.append(comp)
    return out


def protect(component, masked, maskable, values, rank, required, rels, of_cell, solver) -> None:
    """Add complementary suppressions in one component until every masked cell has its protection."""
    while True:
        cells = [c for c in component if masked[c]]
        lo, hi = solver.bounds(cells, masked)
        failing = [(required[c] - (hi[c] - lo[c]), c) for c in cells if hi[c] - lo[c] < required[c]]
        if not failing:
            return
        added, touched = False, set()
        for need, c in sorted(failing, reverse=True):
            if touched.intersection(of_cell.get(c, [])):
                continue  # a relation of c got a new masked cell in this round: audit again first
            choice = complement(c, need, masked, maskable, values, rank, rels, of_cell)
            if choice is not None:
                masked[choice] = True
                added = True
                for new in [choice, *settle(choice, masked, maskable, values, rank, rels, of_cell)]:
                    touched.update(of_cell.get(new, []))
        if not added:
            return  # nothing left to mask: the audit will block the publication


def settle(o, masked, maskable, values, rank, rels, of_cell) -> list[int]:
    """A new complement alone masked in one of its relations would be found again at once: give it a partner
    there, and so on for the partners (what the audit would otherwise ask for, one round at a time)."""
    todo, added = [o], []
    while todo:
        x = todo.pop()
        for r in of_cell.get(x, []):
            members = (rels[r][0], *rels[r][1])
            if any(masked[m] for m in members if m != x):
                continue
            partner = complement(x, 1.0, masked, maskable, values, rank, rels, of_cell, among=set(members))
            if partner is not None:
                masked[partner] = True
                todo.append(partner)
                added.append(partner)
    return added


def complement(c, need, masked, maskable, values, rank, rels, of_cell, among=None):
    """The published cell to mask with c: one sharing a relation with it (else with the masked cells linked to
    it), the smallest count covering the missing width (else the largest), preferring a cell that would not be
    alone masked in one of its own relations (it would be found again at once), then the lowest level."""
    def alone(o):
        return sum(not any(masked[x] for x in (rels[r][0], *rels[r][1]) if x != o) for r in of_cell.get(o, []))

    frontier, seen = [c], {c}
    while frontier:
        candidates = {o for x in frontier for r in of_cell.get(x, []) for o in (rels[r][0], *rels[r][1])
                      if not masked[o] and maskable[o] and (among is None or o in among)}
        if candidates:
            return min(candidates, key=lambda o: (values[o] < need, alone(o),
                                                  values[o] if values[o] >= need else -values[o], rank[o], o))
        frontier = [o for x in frontier for r in of_cell.get(x, []) for o in (rels[r][0], *rels[r][1])
                    if masked[o] and o not in seen]
        seen.update(frontier)
    return None


class Intervals:
    """Interval of each masked cell given the published ones: min and max of the cell over x >= 0 satisfying
    every relation, by linear programming (HiGHS), on each group of masked cells linked by relations; integer
    bounds (ceil / floor). Masking one more cell only widens every interval (a published value becomes free):
    a cell once protected stays protected and is not solved again, nor is a group whose cells did not change."""

    def __init__(self, rels, of_cell, values, required):
        self.rels, self.of_cell, self.values, self.required = rels, of_cell, values, required
        self.cache: dict[frozenset, dict[int, tuple[float, float]]] = {}
        self.protected: dict[int, tuple[float, float]] = {}

    def bounds(self, cells, masked):
        lo, hi = {}, {}
        for group in self._groups(cells, masked):
            key = frozenset(group)
            if key not in self.cache:
                self.cache[key] = self._solve(group)
            for c, (a, b) in self.cache[key].items():
                lo[c], hi[c] = a, b
                if b - a >= self.required[c]:
                    self.protected[c] = (a, b)
        return lo, hi

    def _groups(self, cells, masked):
        seen, out = set(), []
        for s in cells:
            if s in seen:
                continue
            todo, group = [s], []
            seen.add(s)
            while todo:
                c = todo.pop()
                group.append(c)
                for r in self.of_cell.get(c, []):
                    p, kids = self.rels[r]
                    for o in (p, *kids):
                        if masked[o] and o not in seen:
                            seen.add(o)
                            todo.append(o)
            out.append(group)
        return out

    def _solve(self, group):
        col = {c: i for i, c in enumerate(group)}
        rows = sorted({r for c in group for r in self.of_cell.get(c, [])})
        if not rows:
            return {c: (0.0, math.inf) for c in group}
        a = np.zeros((len(rows), len(group)))
        for i, r in enumerate(rows):
            p, kids = self.rels[r]
            if p in col:
                a[i, col[p]] = 1.0
            for k in kids:
                if k in col:
                    a[i, col[k]] -= 1.0
        x = self.values[group]
        # A cell alone masked in a relation is found again exactly: no program needed.
        alone = {int(np.flatnonzero(row)[0]) for row in a if np.count_nonzero(row) == 1}
        targets = [k for k, c in enumerate(group) if c not in self.protected and k not in alone]
        out = {c: self.protected[c] for c in group if c in self.protected}
        out.update({group[k]: (x[k], x[k]) for k in alone})
        if targets:
            out.update(zip((group[k] for k in targets), solve_bounds(a, x, self.required[group], targets),
                           strict=True))
        return out


def solve_bounds(a: np.ndarray, x: np.ndarray, required: np.ndarray, targets: list[int]) -> list[tuple[float, float]]:
    """Integer-rounded bounds of the target variables over {y >= 0, a y = a x}, exact where they matter.

    Every solution the solver returns is a feasible table: the range of a variable over the solutions seen (the
    true table x first, then the optima already found) is an inner interval. A variable whose inner interval
    already spans its required width needs no program of its own; the others get their exact max and min, each
    optimum widening every other variable's range. (Optima of random objectives first, as the audit does, cost
    more programs than they save here: 22,080 against 17,122 on the scale-1 demo, for the same pattern.)"""
    n = len(x)
    low_seen, high_seen = x.astype(float).copy(), x.astype(float).copy()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", "off")  # re-solved from the previous basis: presolving again costs more
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = n, a.shape[0]
    lp.col_cost_ = np.zeros(n)
    lp.col_lower_ = np.zeros(n)
    lp.col_upper_ = np.full(n, highspy.kHighsInf)
    lp.row_lower_ = lp.row_upper_ = a @ x
    nz = np.nonzero(a.T)  # column-wise
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.searchsorted(nz[0], np.arange(n + 1)).astype(np.int32)
    lp.a_matrix_.index_ = nz[1].astype(np.int32)
    lp.a_matrix_.value_ = a.T[nz]
    h.passModel(lp)
    columns = np.arange(n, dtype=np.int32)
    unbounded = (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible)

    def optimum(cost):
        """Minimise cost . y; None when unbounded."""
        h.changeColsCost(n, columns, cost)
        h.run()
        if h.getModelStatus() in unbounded:
            return None
        y = np.asarray(h.getSolution().col_value)
        np.minimum(low_seen, y, out=low_seen)
        np.maximum(high_seen, y, out=high_seen)
        return y

    def inner_width(k):
        return math.floor(high_seen[k] + 1e-6) - math.ceil(low_seen[k] - 1e-6)

    out = []
    for k in targets:
        low = high = None
        for sense in (-1.0, 1.0):  # max first: it often shows the width needed, and min is then not asked
            if inner_width(k) >= required[k]:
                break
            cost = np.zeros(n)
            cost[k] = sense
            y = optimum(cost)
            if sense < 0:
                high = math.inf if y is None else y[k]
            else:
                low = y[k]
        low = low if low is not None else low_seen[k]
        high = high if high is not None else high_seen[k]
        out.append((math.ceil(low - 1e-6), math.floor(high + 1e-6) if high != math.inf else math.inf))
    return out
