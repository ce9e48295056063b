"""An attacker's audit of the secret statistique, run on every refresh before publication.

It knows nothing of how the masking pattern was computed (models/intermediate/diffusion/): it reads what the
diffusion layer publishes, the unmasked marts and the reference geography, and rebuilds by itself every linear
relation an attacker could use, each kept only where it holds on the unmasked marts:
- hierarchy from the geography seeds (commune -> EPCI -> territoire -> département), same table, year, dimension
  value and column; a detail table's absent row is a published 0;
- additive identities discovered in the marts: a count column equal, on every row of its table, to another column
  or to the sum of two others;
- dimension totals discovered in the marts: the rows of a detail table (all of them, or those of one value of its
  first dimension) whose sum equals, for every zone and year, a count column of another table;
- figures published elsewhere: the portraits (a count shown there is published), the plan indicators and the
  diagnostic comparison (a published numerator or denominator is the sum of the counts it is made of, over the
  years of its period), and the ratios (seed `ratios`, checked on the marts: a published ratio ties its numerator
  to its denominator).
For each masked count it then computes, by linear programming (HiGHS), the interval an attacker
can deduce from everything published, all counts >= 0, bounds rounded to integers. It fails when a masked cell is
determined exactly, when a primary cell (a count from 1 to the threshold - 1 at EPCI or commune level) has an
interval narrower than its protection level (`largeur_protection`: the threshold by default, 5 for counts of
individual records and 11 for PPPI; never more than the département's value of the same cell, which bounds
every cell below it), or when such a count is published at all.

Bounded: each group of linked masked cells is solved within `limite_s` seconds (default 60); a group not solved
in time counts as a failure (the publication is blocked rather than published unaudited).
"""

from __future__ import annotations

import itertools
import json
import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

KEY = ["niveau", "code_zone", "annee"]
SECRET_LEVELS = ("epci", "commune")


def secret_thresholds() -> dict:
    """Thresholds (dbt_project.yml vars: the rule), protection widths (the thresholds unless
    OBSERVATOIRE_SECRET_LARGEUR_INDIVIDUEL / _FISCAL say otherwise) and the time limit per group of cells
    (OBSERVATOIRE_SECRET_LIMITE_S, 60 s)."""
    import yaml

    from observatoire.settings import PROJECT_DIR, settings

    project = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    seuils = {k: int(project["vars"][f"secret_seuil_{k}"]) for k in ("individuel", "fiscal")}
    s = settings()
    return {"seuils": seuils, "largeurs": {k: s.secret_widths.get(k, v) for k, v in seuils.items()},
            "limite_s": s.secret_time_limit_s}


@dataclass
class Faille:
    table: str
    niveau: str
    code_zone: str
    annee: int
    dimensions: str
    colonne: str
    valeur: float
    borne_inf: float
    borne_sup: float
    motif: str  # exacte, etroite (interval too narrow), publiee (under the threshold), temps (time limit hit)

    def phrase(self) -> str:
        ou = f"{self.table} {self.niveau} {self.code_zone} {self.annee}" + (
            f" [{self.dimensions}]" if self.dimensions else "")
        if self.motif == "publiee":
            return f"{ou} {self.colonne} = {self.valeur:g} publiée alors qu'elle est sous le seuil"
        if self.motif == "temps":
            return f"{ou} {self.colonne} : protection non démontrée dans le temps imparti"
        verdict = "retrouvée exactement" if self.motif == "exacte" else "intervalle trop étroit"
        return (f"{ou} {self.colonne} : masquée mais un attaquant la situe dans [{self.borne_inf:g} ; "
                f"{self.borne_sup:g}] ({verdict})")


@dataclass
class Audit:
    cellules: int = 0
    masquees: int = 0
    relations: int = 0
    programmes: int = 0
    duree_s: float = 0.0
    failles: list[Faille] = field(default_factory=list)
    par_table: dict[str, dict[str, float]] = field(default_factory=dict)
    largeurs: dict[str, int] = field(default_factory=dict)

    def json(self, run_id: str) -> str:
        return json.dumps({"run_id": run_id, "resume": self.resume(), **asdict(self)}, indent=1, ensure_ascii=False,
                          default=str)

    @property
    def exactes(self) -> int:
        return sum(f.motif == "exacte" for f in self.failles)

    @property
    def etroites(self) -> int:
        return sum(f.motif == "etroite" for f in self.failles)

    @property
    def hors_delai(self) -> int:
        return sum(f.motif == "temps" for f in self.failles)

    @property
    def publiees(self) -> int:
        return sum(f.motif == "publiee" for f in self.failles)

    def resume(self) -> str:
        return (f"Audit du secret statistique : {self.masquees} cellules masquées attaquées avec {self.relations} "
                f"relations ; {self.exactes} retrouvée(s) exactement, {self.etroites} encadrée(s) plus étroitement "
                f"que le niveau de protection, {self.publiees} effectif(s) sous le seuil publié(s)"
                + (f", {self.hors_delai} non démontrée(s) dans le temps imparti" if self.hors_delai else "") + ".")


def _geographic(column: str) -> bool:
    """Counts of zones (communes, EPCI) or figures of the whole département: no person is counted there."""
    return column.startswith("nb_communes") or column == "nb_epci" or column.endswith("_departement")


# --- reading -----------------------------------------------------------------------------------------------
def _secret_tables(con) -> dict[str, tuple[list[str], list[str]]]:
    """Diffusion tables keyed by zone and year with a list of masked columns: their dimension and count columns."""
    rows = con.execute("""
        SELECT table_name, list(column_name ORDER BY column_index), list(data_type ORDER BY column_index)
        FROM duckdb_columns() WHERE schema_name = 'diffusion' GROUP BY table_name""").fetchall()
    out = {}
    for table, columns, types in rows:
        if not {"niveau", "code_zone", "annee", "colonnes_masquees"} <= set(columns):
            continue
        dims = [c for c, t in zip(columns, types, strict=True)
                if t == "VARCHAR" and c not in ("niveau", "code_zone")]
        counts = [c for c, t in zip(columns, types, strict=True)
                  if c.startswith("nb_") and t in ("BIGINT", "INTEGER", "HUGEINT") and not _geographic(c)]
        if counts:
            out[table] = (dims, counts)
    return out


def _long(con, table: str, dims: list[str], counts: list[str]) -> pd.DataFrame:
    """One row per count cell: its unmasked value (marts) and its published value (diffusion, NaN if masked)."""
    keys = ", ".join(KEY + dims)
    cols = ", ".join(counts)
    masked_as = ", ".join(f"coalesce({c}, -1) AS {c}" for c in counts)  # a masked count is NULL: -1 here
    frame = con.execute(f"""
        WITH vraie AS (UNPIVOT (SELECT {keys}, {cols} FROM marts.{table}) ON {cols}
                       INTO NAME colonne VALUE vraie),
             publiee AS (UNPIVOT (SELECT {keys}, {masked_as} FROM diffusion.{table}) ON {cols}
                         INTO NAME colonne VALUE publiee)
        SELECT vraie.*, nullif(publiee.publiee, -1) AS publiee FROM vraie
        JOIN publiee USING ({keys}, colonne)""").df()
    frame["dimensions"] = frame[dims].astype(str).agg("|".join, axis=1) if dims else ""
    frame["table"] = table
    frame["dim0"] = frame[dims[0]].astype(str) if len(dims) > 1 else ""
    return frame.drop(columns=dims)


# --- the audit ---------------------------------------------------------------------------------------------
def audit_diffusion(con, seuils: dict[str, int], largeurs: dict[str, int] | None = None,
                    limite_s: float = 60.0) -> Audit:
    """The audit of the diffusion layer of `con`: thresholds and protection widths by kind of count
    (`individuel`, `fiscal` for PPPI); widths default to the thresholds."""
    start = time.perf_counter()
    largeurs = {**seuils, **(largeurs or {})}
    tables = _secret_tables(con)
    cells = pd.concat([_long(con, t, *tables[t]) for t in sorted(tables)], ignore_index=True)
    cells["annee"] = cells["annee"].astype(int)
    cells["vraie"] = cells["vraie"].astype(float)
    cells["publiee"] = cells["publiee"].astype(float)
    ident = ["table", "niveau", "code_zone", "annee", "dimensions", "colonne"]
    index = {key: i for i, key in enumerate(cells[ident].itertuples(index=False, name=None))}
    equations: list[tuple[np.ndarray, np.ndarray, float]] = []  # sum(coef * cell) = constant

    def add(ids, coefs, constant=0.0):
        equations.append((np.asarray(ids, dtype=int), np.asarray(coefs, dtype=float), float(constant)))

    true = cells["vraie"].to_numpy()

    # Hierarchy from the geography seeds.
    parents = con.execute("""
        SELECT 'commune' AS niveau, c.code_commune AS code_zone, 'epci' AS parent_niveau, c.code_epci AS parent
        FROM referentiel.communes c
        UNION ALL
        SELECT 'epci', c.code_epci, 'territoire', mode(t.code_territoire)
        FROM referentiel.communes c JOIN referentiel.commune_territoire t USING (code_commune) GROUP BY c.code_epci
        UNION ALL
        SELECT DISTINCT 'territoire', code_territoire, 'departement', '62' FROM referentiel.commune_territoire
    """).df()
    with_id = cells.assign(id=np.arange(len(cells)))
    child = with_id.merge(parents, on=["niveau", "code_zone"]).merge(
        with_id[["table", "annee", "dimensions", "colonne", "niveau", "code_zone", "id"]].rename(
            columns={"niveau": "parent_niveau", "code_zone": "parent", "id": "pid"}),
        on=["table", "annee", "dimensions", "colonne", "parent_niveau", "parent"])
    for pid, kids in child.groupby("pid")["id"]:
        kids = kids.to_numpy()
        if math.isclose(true[pid], true[kids].sum(), abs_tol=1e-6):
            add([pid, *kids], [1.0] + [-1.0] * len(kids))

    # Identities of a row (c = a, c = a + b) discovered on the marts.
    for table, (_, counts) in tables.items():
        wide = with_id[with_id["table"] == table].pivot_table(
            index=["niveau", "code_zone", "annee", "dimensions"], columns="colonne", values=["vraie", "id"],
            aggfunc="first")
        values = wide["vraie"][counts].to_numpy()
        ids = wide["id"][counts].to_numpy().astype(int)
        nonzero = values.any(axis=0)
        for c in np.flatnonzero(nonzero):
            for a in np.flatnonzero(nonzero):
                if a != c and (values[:, a] == values[:, c]).all():
                    for i, j in zip(ids[:, c], ids[:, a], strict=True):
                        add([i, j], [1.0, -1.0])
            for a, b in itertools.combinations([o for o in np.flatnonzero(nonzero) if o != c], 2):
                if (values[:, a] + values[:, b] == values[:, c]).all():
                    for i, j, k in zip(ids[:, c], ids[:, a], ids[:, b], strict=True):
                        add([i, j, k], [1.0, -1.0, -1.0])

    # Dimension totals discovered on the marts.
    long_tables = [t for t, (dims, _) in tables.items() if dims]
    totals = [total.set_index(KEY) for _, total in with_id[with_id["dimensions"] == ""].groupby(["table", "colonne"])]
    for table in long_tables:
        detail = with_id[with_id["table"] == table]
        for _, part in detail.groupby(["colonne", "dim0"]):
            sums = part.groupby(KEY)["vraie"].sum()
            members = part.groupby(KEY)["id"].agg(list)
            for t in totals:
                joined = t["vraie"].reindex(sums.index)
                if joined.isna().any() or not np.allclose(joined, sums):
                    continue
                if t.loc[t.index.difference(sums.index), "vraie"].any():
                    continue
                for total_id, kids in zip(t.loc[members.index, "id"], members, strict=True):
                    add([int(total_id), *kids], [1.0] + [-1.0] * len(kids))

    published_elsewhere(con, index, add)
    ratios(con, cells, index, add)

    audit = Audit(cellules=len(cells), relations=len(equations), largeurs=largeurs)
    _attack(cells, equations, seuils, largeurs, limite_s, audit)
    audit.duree_s = round(time.perf_counter() - start, 2)
    return audit


def published_elsewhere(con, index: dict, add) -> None:
    """Counts published by the portraits, the plan indicators and the diagnostic comparison."""
    def cell(table, niveau, zone, annee, colonne):
        return index.get((table, niveau, zone, int(annee), "", colonne))

    # The themes' tables whose counts are cells (tables_secret): the open data's have none to protect.
    theme_tables = sorted({key[0] for key in index if key[0].endswith("_indicateurs")})
    themes = {c: t for t in theme_tables
              for (c,) in con.execute("SELECT column_name FROM duckdb_columns() WHERE schema_name = 'diffusion' "
                                      "AND table_name = ? AND column_name LIKE 'nb\\_%' ESCAPE '\\'", [t]).fetchall()}
    for niveau in ("departement", "territoire", "epci"):
        frame = con.execute(f"SELECT * FROM diffusion.portrait_{niveau}").df()
        code = f"code_{niveau}"
        for colonne in frame.columns:
            table = themes.get(colonne)
            if table is None or colonne in ("nb_communes", "nb_epci"):
                continue
            year = "millesime_pppi" if table == "pppi_indicateurs" else "annee"
            for zone, annee, v in frame[[code, year, colonne]].dropna().itertuples(index=False):
                i = cell(table, niveau, zone, annee, colonne)
                if i is not None:
                    add([i], [1.0], v)

    def sums(rows, columns_of, years_of, zones_of):
        for row in rows.itertuples(index=False):
            ids = [cell(themes.get(c, ""), row.niveau, z, a, c)
                   for c in columns_of(row) for a in years_of(row) for z in zones_of(row)]
            if ids and all(i is not None for i in ids):
                add(ids, [1.0] * len(ids), row.valeur)

    plan = con.execute("""
        SELECT p.niveau, p.code_zone, p.annee, r.numerateur AS colonnes, r.denominateur, p.numerateur, p.denominateur
               AS den FROM diffusion.indicateurs_plan p JOIN referentiel.indicateurs_plan_referentiel r
               USING (code_indicateur) WHERE r.mode = 'calcule'""").df()
    sums(plan.dropna(subset=["numerateur"]).rename(columns={"numerateur": "valeur"}),
         lambda r: r.colonnes.split("+"), lambda r: [r.annee], lambda r: [r.code_zone])
    sums(plan.dropna(subset=["den", "denominateur"]).rename(columns={"den": "valeur"}),
         lambda r: [r.denominateur], lambda r: [r.annee], lambda r: [r.code_zone])

    # The diagnostic sums its numerator in its zone and its denominator in the denominator's zone, as published;
    # an arrondissement is the sum of its EPCI.
    arrondissements = {}
    for epci, arrondissement in con.execute("SELECT DISTINCT code_epci, code_arrondissement "
                                            "FROM referentiel.communes").fetchall():
        arrondissements.setdefault(arrondissement, []).append(epci)
    diag = con.execute("""
        SELECT d.niveau_calcul, d.code_zone_calcul, d.niveau_denominateur, d.code_zone_denominateur,
               c.numerateur AS colonnes, c.denominateur AS colonne_den, d.periode_calculee, d.derniere_annee,
               d.numerateur_calcule, d.denominateur_calcule, d.numerateur_derniere_annee,
               d.denominateur_derniere_annee
        FROM diffusion.diagnostic_ecarts d
        JOIN referentiel.correspondance_indicateurs c USING (code_indicateur)""").df()

    def period(r):
        start, _, end = str(r.periode_calculee).partition("-")
        return range(int(start), int(end or start) + 1) if start.isdigit() else []

    def latest(r):
        return [int(r.derniere_annee)] if not pd.isna(r.derniere_annee) else []

    def numerator(r):
        return r.colonnes.split("+")

    def denominator(r):
        return [r.colonne_den]

    for value, columns, years, part in (
            ("numerateur_calcule", numerator, period, "calcul"),
            ("numerateur_derniere_annee", numerator, latest, "calcul"),
            ("denominateur_calcule", denominator, period, "denominateur"),
            ("denominateur_derniere_annee", denominator, latest, "denominateur")):
        rows = diag.dropna(subset=[value, f"code_zone_{part}"]).rename(columns={value: "valeur"})
        level, zone = rows[f"niveau_{part}"], rows[f"code_zone_{part}"]
        rows = rows.assign(niveau=np.where(level == "arrondissement", "epci", level),
                           zones=[arrondissements.get(z, []) if lv == "arrondissement" else [z]
                                  for lv, z in zip(level, zone, strict=True)])
        sums(rows, columns, years, lambda r: r.zones)


def ratios(con, cells: pd.DataFrame, index: dict, add) -> None:
    """A published ratio r = n / d whose numerator or denominator is masked: n - r d = 0."""
    for table, ratio, num, den in con.execute("SELECT modele, ratio, numerateur, denominateur "
                                              "FROM referentiel.ratios").fetchall():
        dims = [c for (c,) in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'diffusion' AND table_name = ? "
            "AND data_type = 'VARCHAR' AND column_name NOT IN ('niveau', 'code_zone')", [table]).fetchall()]
        keys = ", ".join(KEY + dims)
        dimensions = f"concat_ws('|', {', '.join(dims)})" if dims else "''"
        rows = con.execute(f"""
            SELECT d.niveau, d.code_zone, d.annee, {dimensions} AS dimensions,
                   d.{ratio} AS r, m.{ratio} AS vrai, m.{num} AS n, m.{den} AS d
            FROM diffusion.{table} d JOIN marts.{table} m USING ({keys})
            WHERE d.{ratio} IS NOT NULL AND (list_contains(d.colonnes_masquees, '{num}')
                  OR list_contains(d.colonnes_masquees, '{den}'))""").df()
        for r in rows.itertuples(index=False):
            if not (r.d and math.isclose(r.vrai, r.n / r.d, rel_tol=1e-9)):
                continue  # the ratio is not this numerator over this denominator here
            i = index.get((table, r.niveau, r.code_zone, int(r.annee), r.dimensions, num))
            j = index.get((table, r.niveau, r.code_zone, int(r.annee), r.dimensions, den))
            if i is not None and j is not None:
                add([i, j], [1.0, -float(r.r)])


def _attack(cells: pd.DataFrame, equations, seuils, largeurs, limite_s: float, audit: Audit) -> None:
    published = cells["publiee"].to_numpy()
    true = cells["vraie"].to_numpy()
    masked = np.isnan(published)
    audit.masquees = int(masked.sum())
    fiscal = cells["table"].str.startswith("pppi").to_numpy()  # PPPI: fiscal source
    threshold = np.where(fiscal, largeurs["fiscal"], largeurs["individuel"])
    subject = cells["niveau"].isin(SECRET_LEVELS).to_numpy()
    primary = subject & (true >= 1) & (true < np.where(fiscal, seuils["fiscal"], seuils["individuel"]))
    dept = cells[cells["niveau"] == "departement"].set_index(["table", "annee", "dimensions", "colonne"])["vraie"]
    cap = cells.join(dept.rename("dept"), on=["table", "annee", "dimensions", "colonne"])["dept"].to_numpy()
    required = np.where(primary, np.fmin(threshold, np.nan_to_num(cap, nan=np.inf)), 1.0)

    for i in np.flatnonzero(primary & ~masked):
        audit.failles.append(_faille(cells, i, "publiee", true[i], true[i]))

    # Equations over the masked cells only (published ones are constants), grouped by shared masked cells.
    reduced, touching = [], {}
    for ids, coefs, constant in equations:
        hidden = masked[ids]
        if not hidden.any():
            continue
        rhs = constant - float(coefs[~hidden] @ published[ids[~hidden]])
        reduced.append((ids[hidden], coefs[hidden], rhs))
        for c in ids[hidden]:
            touching.setdefault(int(c), []).append(len(reduced) - 1)
    seen: set[int] = set()
    for s in np.flatnonzero(masked):
        if s in seen:
            continue
        group, todo = [], [int(s)]
        seen.add(int(s))
        while todo:
            c = todo.pop()
            group.append(c)
            for e in touching.get(c, []):
                for o in reduced[e][0]:
                    if int(o) not in seen:
                        seen.add(int(o))
                        todo.append(int(o))
        rows = sorted({e for c in group for e in touching.get(c, [])})
        if not rows:
            continue  # in no relation: unbounded
        col = {c: k for k, c in enumerate(group)}
        a = np.zeros((len(rows), len(group)))
        b = np.zeros(len(rows))
        for r, e in enumerate(rows):
            ids, coefs, rhs = reduced[e]
            for c, k in zip(ids, coefs, strict=True):
                a[r, col[int(c)]] += k
            b[r] = rhs
        _bounds_of_group(cells, group, a, b, true[group], required[group], limite_s, audit)

    for table, part in cells.groupby("table"):
        hidden = np.isnan(part["publiee"].to_numpy())
        prim = primary[part.index.to_numpy()]
        epci = (part["niveau"] == "epci").to_numpy()
        audit.par_table[table] = {
            "cellules": len(part), "primaires": int((hidden & prim).sum()),
            "secondaires": int((hidden & ~prim).sum()),
            "part_epci_masquee": round(float(hidden[epci].mean()) if epci.any() else 0.0, 4)}


def _bounds_of_group(cells, group, a, b, x, required, limite_s: float, audit: Audit) -> None:
    """Interval of each masked cell of one group: min and max over {y >= 0, a y = b} (HiGHS).

    Each optimum is a table the attacker cannot rule out, so the range of a cell over the optima found so far
    (and the true table) is inside its interval: once it spans the required width the cell needs no program of
    its own. For each cell not yet shown wide enough: its maximum, and its minimum if still needed (optima of
    random objectives first cost more programs than they saved: 15,562 against 13,643 on the scale-1 demo,
    same findings). Past `limite_s` seconds, the cells not yet cleared are failures."""
    n = len(group)
    if not np.allclose(a @ x, b):  # published values that are not the marts': no witness from the true table
        x = np.full(n, np.nan)
    low_seen, high_seen = x.astype(float).copy(), x.astype(float).copy()
    deadline = time.perf_counter() + limite_s

    solver = _Solver(a, b)

    def optimum(cost):
        remaining = deadline - time.perf_counter()
        if remaining <= 0:
            return "temps"
        audit.programmes += 1
        status, y = solver.minimise(cost, remaining)
        if status != "optimal":
            return None if status == "unbounded" else "temps"
        np.fmin(low_seen, y, out=low_seen)
        np.fmax(high_seen, y, out=high_seen)
        return y

    def width(k):
        if np.isnan(low_seen[k]):
            return -1
        return math.floor(high_seen[k] + 1e-6) - math.ceil(low_seen[k] - 1e-6)

    for k, c in enumerate(group):
        bounds = {}
        for sense in (-1.0, 1.0):
            if width(k) >= required[k]:
                break
            cost = np.zeros(n)
            cost[k] = sense
            bounds[sense] = optimum(cost)
        if width(k) >= required[k]:
            continue
        if any(isinstance(v, str) for v in bounds.values()):
            audit.failles.append(_faille(cells, c, "temps", math.nan, math.nan))
            continue
        high = math.inf if bounds.get(-1.0, 0) is None else math.floor(high_seen[k] + 1e-6)
        low = math.ceil(low_seen[k] - 1e-6)
        audit.failles.append(_faille(cells, c, "exacte" if high - low < 1 else "etroite", low, high))


class _Solver:
    """min cost . y over {y >= 0, a y = b} with HiGHS. The group's model is loaded once and each objective is
    solved from the previous optimal basis (scipy's `linprog`, the same solver, starts from scratch at each
    call: 4.0 ms against 0.5 ms per solve of a small model, measured here)."""

    def __init__(self, a: np.ndarray, b: np.ndarray):
        import highspy

        self.highspy = highspy
        self.h = highspy.Highs()
        self.h.setOptionValue("output_flag", False)
        m, n = a.shape
        inf = highspy.kHighsInf
        self.h.addVars(n, np.zeros(n), np.full(n, inf))
        rows, cols = np.nonzero(a)
        starts = np.searchsorted(rows, np.arange(m)).astype(np.int32)
        self.h.addRows(m, b, b, len(rows), starts, cols.astype(np.int32), a[rows, cols])
        self.n = n

    def minimise(self, cost: np.ndarray, time_limit: float):
        self.h.setOptionValue("time_limit", float(time_limit))
        self.h.changeColsCost(self.n, np.arange(self.n, dtype=np.int32), cost.astype(float))
        self.h.run()
        status = self.h.getModelStatus()
        if status == self.highspy.HighsModelStatus.kOptimal:
            return "optimal", np.asarray(self.h.getSolution().col_value)
        if status in (self.highspy.HighsModelStatus.kUnbounded, self.highspy.HighsModelStatus.kUnboundedOrInfeasible):
            return "unbounded", None
        return "other", None


def _faille(cells: pd.DataFrame, i: int, motif: str, low: float, high: float) -> Faille:
    r = cells.iloc[int(i)]
    return Faille(r["table"], r["niveau"], r["code_zone"], int(r["annee"]), r["dimensions"], r["colonne"],
                  float(r["vraie"]), low, high, motif)
