"""The secret statistique tried as an attacker would, with code written apart from the masking pattern
(models/intermediate/diffusion/) and from the refresh's own audit (observatoire/quality/secret_audit.py).

- the two-step DALO attack of issue 13 (EPCI total = sum of its typology rows; territory minus the other EPCI),
  generalised to every relation with a single unknown, repeated until nothing more is found;
- an interval attack by linear programming on the whole published layer: its relations are rebuilt here from
  the geography seeds, the marts and the tables' definitions, each kept where it holds on the unmasked marts;
- a small hand-made example (one territory, three EPCI, one dimension) run through the real dbt models.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pytest
from scipy.optimize import linprog

from observatoire.settings import PROJECT_DIR

THEMES = ["sne_indicateurs", "dalo_indicateurs", "fsl_indicateurs", "ccapex_indicateurs", "pppi_indicateurs"]
NOT_PEOPLE = {"nb_communes", "nb_epci", "nb_recours_departement", "nb_communes_secret_producteur"}


@pytest.fixture(scope="module")
def con(demo):
    connection = duckdb.connect(str(demo.published), read_only=True)
    yield connection
    connection.close()


# --- the attacker's knowledge ------------------------------------------------------------------------------
class Published:
    """Every count cell: its true value (marts) and what the diffusion layer shows (None when masked)."""

    def __init__(self, con):
        self.true: dict[tuple, float] = {}
        self.shown: dict[tuple, float | None] = {}
        self.equations: list[tuple[list[tuple], float]] = []  # (cells, constant): sum of cells = constant
        for table in THEMES + ["sne_tension_typologie", "dalo_recours_detail"]:
            dims = {"sne_tension_typologie": ["typologie"], "dalo_recours_detail": ["dimension", "code"]}.get(table, [])
            counts = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = ? "
                "AND column_name LIKE 'nb\\_%' ESCAPE '\\'", [table]).fetchall() if c not in NOT_PEOPLE]
            keys = ["niveau", "code_zone", "annee", *dims]
            select = ", ".join(keys + [f"m.{c}, d.{c}" for c in counts])
            for row in con.execute(f"SELECT {select} FROM marts.{table} m JOIN diffusion.{table} d "
                                   f"USING ({', '.join(keys)})").fetchall():
                key, values = row[:len(keys)], row[len(keys):]
                for i, c in enumerate(counts):
                    cell = (table, *key[:3], tuple(key[3:]), c)
                    self.true[cell] = float(values[2 * i] or 0)
                    self.shown[cell] = None if values[2 * i + 1] is None else float(values[2 * i + 1])

    def value(self, cell):
        """What the attacker sees: a shown value, 0 for a detail row the table leaves out, None if masked."""
        if cell not in self.shown:
            return 0.0 if cell[0] == "dalo_recours_detail" else None
        return self.shown[cell]

    def relation(self, total, parts) -> None:
        """total = sum(parts), kept when it holds on the unmasked marts."""
        if total in self.true and abs(self.true[total] - sum(self.true.get(p, 0.0) for p in parts)) < 1e-9:
            self.equations.append(([total, *[("-", p) for p in parts]], 0.0))


def attacker(con) -> Published:
    k = Published(con)
    epci_of = dict(con.execute("SELECT code_commune, code_epci FROM referentiel.communes").fetchall())
    territory_of_commune = dict(con.execute("SELECT code_commune, code_territoire FROM referentiel.commune_territoire")
                                .fetchall())
    territory_of = {}
    for commune, epci in epci_of.items():
        territory_of.setdefault(epci, territory_of_commune[commune])
    parent = {("commune", c): ("epci", e) for c, e in epci_of.items()}
    parent |= {("epci", e): ("territoire", t) for e, t in territory_of.items()}
    parent |= {("territoire", t): ("departement", "62") for t in set(territory_of_commune.values())}

    children = defaultdict(set)
    for cell in k.true:
        table, niveau, zone, annee, dims, colonne = cell
        if (niveau, zone) in parent:
            p_niveau, p_zone = parent[(niveau, zone)]
            children[(table, p_niveau, p_zone, annee, dims, colonne)].add(cell)
    for total, parts in children.items():
        k.relation(total, parts)

    additive = defaultdict(list)
    for table, total, part in con.execute("SELECT modele, total, partie FROM referentiel.relations_additives")\
            .fetchall():
        additive[(table, total)].append(part)
    for cell in list(k.true):
        for part in [additive.get((cell[0], cell[5]))] if (cell[0], cell[5]) in additive else []:
            k.relation(cell, [(*cell[:5], p) for p in part])

    by_zone = defaultdict(list)
    for cell in k.true:
        if cell[0] in ("sne_tension_typologie", "dalo_recours_detail"):
            group = cell[4][0] if cell[0] == "dalo_recours_detail" else ""
            by_zone[(cell[0], group, *cell[1:4], cell[5])].append(cell)
    for (table, _, niveau, zone, annee, colonne), parts in by_zone.items():
        target = "dalo_indicateurs" if table == "dalo_recours_detail" else "sne_indicateurs"
        k.relation((target, niveau, zone, annee, (), colonne), parts)

    # A count shown in a portrait is published too.
    for niveau in ("departement", "territoire", "epci"):
        frame = con.execute(f"SELECT * FROM diffusion.portrait_{niveau}").df()
        shown = {}
        for column in [c for c in frame.columns if c.startswith("nb_") and c not in NOT_PEOPLE]:
            year = "millesime_pppi" if "pppi" in column else "annee"
            for zone, annee, v in frame[[f"code_{niveau}", year, column]].dropna().itertuples(index=False):
                shown[(niveau, zone, int(annee), column)] = float(v)
        for cell in [c for c in k.true if c[1] == niveau and c[0] in THEMES]:
            if (cell[1], cell[2], cell[3], cell[5]) in shown:
                k.equations.append(([cell], shown[(cell[1], cell[2], cell[3], cell[5])]))
    return k


def _terms(equation):
    cells, constant = equation
    return [(c[1], -1.0) if c[0] == "-" else (c, 1.0) for c in cells], constant


# --- attacks -----------------------------------------------------------------------------------------------
def propagation_attack(k: Published) -> dict[tuple, float]:
    """Solve every relation with a single unknown, again and again (the issue's two steps, and more)."""
    found: dict[tuple, float] = {}
    progress = True
    while progress:
        progress = False
        for equation in k.equations:
            terms, constant = _terms(equation)
            unknown = [(c, s) for c, s in terms if k.value(c) is None and c not in found]
            if len(unknown) == 1:
                known = sum(s * (found[c] if c in found else k.value(c)) for c, s in terms if (c, s) != unknown[0])
                cell, sign = unknown[0]
                found[cell] = (constant - known) / sign
                progress = True
    return found


def interval_attack(k: Published) -> list[tuple]:
    """Masked cells whose value is the only one compatible with everything published (all counts >= 0)."""
    masked = [c for c, v in k.shown.items() if v is None]
    index = {c: i for i, c in enumerate(masked)}
    rows = []
    for equation in k.equations:
        terms, constant = _terms(equation)
        row, rhs = {}, constant
        for c, s in terms:
            v = k.value(c)
            if v is None:
                row[index[c]] = row.get(index[c], 0.0) + s
            else:
                rhs -= s * v
        if row:
            rows.append((row, rhs))
    # Groups of masked cells tied by equations, attacked one by one.
    group_of = list(range(len(masked)))

    def root(i):
        while group_of[i] != i:
            group_of[i] = group_of[group_of[i]]
            i = group_of[i]
        return i

    for row, _ in rows:
        first, *others = row
        for o in others:
            group_of[root(o)] = root(first)
    members, equations = defaultdict(list), defaultdict(list)
    for i in range(len(masked)):
        members[root(i)].append(i)
    for row, rhs in rows:
        equations[root(next(iter(row)))].append((row, rhs))
    exact = []
    for g, cells in members.items():
        if not equations[g]:
            continue
        col = {c: j for j, c in enumerate(cells)}
        a = np.zeros((len(equations[g]), len(cells)))
        b = np.array([rhs for _, rhs in equations[g]])
        for r, (row, _) in enumerate(equations[g]):
            for c, s in row.items():
                a[r, col[c]] += s
        seen = [np.array([k.true[masked[c]] for c in cells])]  # the truth is one solution
        rng = np.random.default_rng(13)
        for _ in range(4):  # more solutions: some cells as high, others as low, as they can go together
            seen.append(linprog(rng.choice([-1.0, 1.0], len(cells)), A_eq=a, b_eq=b, method="highs").x)
        spread = np.ptp(np.array(seen), axis=0)
        for j, c in enumerate(cells):
            if spread[j] >= 1:
                continue  # two tables the attacker cannot tell apart differ on this cell
            objective = np.zeros(len(cells))
            objective[j] = 1.0
            low = linprog(objective, A_eq=a, b_eq=b, method="highs").fun
            high = -linprog(-objective, A_eq=a, b_eq=b, method="highs").fun
            if np.floor(high + 1e-6) - np.ceil(low - 1e-6) < 1:
                exact.append((masked[c], low, high))
    return exact


# --- tests -------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def knowledge(con):
    return attacker(con)


def test_the_two_step_dalo_attack_of_the_issue_finds_nothing(knowledge):
    desvres_samer = ("dalo_indicateurs", "epci", "200018083", 2019, (), "nb_recours")
    assert 1 <= knowledge.true[desvres_samer] <= 4, "la démonstration ne reproduit plus le cas de l'issue"
    assert knowledge.value(desvres_samer) is None
    typologies = [c for c in knowledge.true if c[:4] == ("dalo_recours_detail", "epci", "200018083", 2019)
                  and c[4][0] == "typologie"]
    assert typologies and any(knowledge.value(c) is None for c in typologies), \
        "toutes les typologies publiées : leur somme donne le total masqué"
    found = propagation_attack(knowledge)
    assert not found, f"{len(found)} cellule(s) masquée(s) retrouvée(s), par exemple {list(found.items())[:5]}"


def test_an_interval_attack_on_the_published_layer_recovers_no_masked_cell(knowledge):
    masked = sum(v is None for v in knowledge.shown.values())
    assert masked > 1000 and len(knowledge.equations) > 5000, (masked, len(knowledge.equations))
    exact = interval_attack(knowledge)
    assert not exact, f"{len(exact)} cellule(s) retrouvée(s) exactement, par exemple {exact[:5]}"


def test_the_attack_finds_a_leak_when_there_is_one(con):
    """The attacker is not blind: publish one masked EPCI count of a territory whose other EPCI are shown,
    and the propagation attack gives the value back."""
    k = attacker(con)
    cell = next(c for c, v in k.shown.items() if v is None and c[0] == "dalo_indicateurs" and c[1] == "epci"
                and 1 <= k.true[c] <= 4)
    siblings = [c for c in k.shown if c[0] == cell[0] and c[1] == "epci" and c[3:] == cell[3:] and c != cell]
    for c in siblings:
        k.shown[c] = k.true[c]  # everything else published: the territory's total gives the cell
    for c in [c for c in k.shown if c[0] == cell[0] and c[1] == "territoire" and c[3:] == cell[3:]]:
        k.shown[c] = k.true[c]
    found = propagation_attack(k)
    assert found.get(cell) == k.true[cell]


# --- a hand-made example through the real dbt models ------------------------------------------------------
# One département made of one territory (Arrageois) and its three EPCI, DALO 2022, one dimension (typologie):
#            nb_recours   T1   T2
#   A (CU d'Arras)    3    3    -     (T2 absent: a published 0)
#   B (Sud Artois)    8    5    3
#   C (Osartis)      10    6    4
#   Arrageois = 62   21   14    7
# Primary (1 to 4): A, A.T1, B.T2, C.T2. Each is found again from a published total: A = 21 - 8 - 10,
# A.T1 = 14 - 5 - 6, B.T2 = 8 - 5, C.T2 = 10 - 6. The joint pattern masks, with them, B (A's smallest sibling
# covering the width of 5: 8), B.T1 (5, for B.T2 in B's row) and C.T1 (6, for C.T2 in C's row), and nothing
# else: then A = A.T1 ranges over [0, 11], C.T2 and B.T2 over [0, 7], B.T1 over [0, 11], C.T1 over [3, 10], B
# over [0, 11]; C (10) and the territory stay published.
A, B, C = "200033579", "200035442", "200044048"
EXAMPLE = {("dalo_indicateurs", "epci", A, ""): 3, ("dalo_indicateurs", "epci", B, ""): 8,
           ("dalo_indicateurs", "epci", C, ""): 10, ("dalo_indicateurs", "territoire", "ARR", ""): 21,
           ("dalo_indicateurs", "departement", "62", ""): 21}
DETAIL = [("departement", "62", "T1", 14), ("departement", "62", "T2", 7), ("territoire", "ARR", "T1", 14),
          ("territoire", "ARR", "T2", 7), ("epci", A, "T1", 3), ("epci", B, "T1", 5), ("epci", B, "T2", 3),
          ("epci", C, "T1", 6), ("epci", C, "T2", 4)]


def _mask_example(demo, tmp_path, totals: dict[tuple, int], detail: list[tuple]) -> Path:
    """A copy of the published demo whose DALO marts hold only the example (DALO 2022, one territory and its
    three EPCI), with the masking model and the DALO diffusion tables run on it by dbt."""
    copy = tmp_path / "observatoire.duckdb"
    shutil.copyfile(demo.published, copy)
    copy.chmod(0o644)
    con = duckdb.connect(str(copy))
    for table in THEMES + ["sne_tension_typologie", "dalo_recours_detail"]:
        con.execute(f"DELETE FROM marts.{table}")
    for niveau in ("departement", "territoire", "epci"):  # the demo's portraits would tell other values
        con.execute(f"DELETE FROM diffusion.portrait_{niveau}")
    con.execute("DELETE FROM intermediate.int_geo__zones")
    con.execute(f"""INSERT INTO intermediate.int_geo__zones (niveau, code_zone, libelle_zone, code_territoire)
        VALUES ('departement', '62', 'Pas-de-Calais', NULL), ('territoire', 'ARR', 'Arrageois', 'ARR'),
               ('epci', '{A}', 'A', 'ARR'), ('epci', '{B}', 'B', 'ARR'), ('epci', '{C}', 'C', 'ARR')""")
    departement = totals[("dalo_indicateurs", "departement", "62", "")]
    for (_, niveau, zone, _), n in totals.items():
        con.execute("INSERT INTO marts.dalo_indicateurs (niveau, code_zone, annee, annee_complete, nb_recours, "
                    "nb_recours_logement, nb_recours_hebergement, nb_decisions, nb_decisions_favorables, "
                    "nb_decisions_prioritaire_urgent, nb_menages_reloges, nb_menages_restant_a_reloger, "
                    "nb_recours_departement) VALUES (?, ?, 2022, true, ?, 0, 0, 0, 0, 0, 0, 0, ?)",
                    [niveau, zone, n, departement])
    for niveau, zone, code, n in detail:
        con.execute("INSERT INTO marts.dalo_recours_detail (niveau, code_zone, annee, dimension, code, nb_recours, "
                    "rang) VALUES (?, ?, 2022, 'typologie', ?, ?, 1)", [niveau, zone, code, n])
    con.close()
    env = {**demo.env, "OBSERVATOIRE_ENTREPOT": str(copy)}
    dbt = Path(sys.executable).parent / "dbt"
    result = subprocess.run(
        [str(dbt), "run", "--select", "int_diffusion__masque diffusion_dalo_indicateurs diffusion_dalo_recours_detail",
         "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR), "--target-path",
         str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=600, cwd=os.fspath(tmp_path))
    assert result.returncode == 0, result.stdout[-6000:]
    return copy


def test_a_hand_made_example_gets_its_known_pattern(demo, tmp_path):
    copy = _mask_example(demo, tmp_path, EXAMPLE, DETAIL)
    con = duckdb.connect(str(copy), read_only=True)
    masked = set(con.execute("SELECT niveau, code_zone, cle_dimensions, colonne, motif "
                             "FROM intermediate.int_diffusion__masque").fetchall())
    assert masked == {
        ("epci", A, "", "nb_recours", "primaire"), ("epci", A, "typologie|T1", "nb_recours", "primaire"),
        ("epci", B, "typologie|T2", "nb_recours", "primaire"), ("epci", C, "typologie|T2", "nb_recours", "primaire"),
        ("epci", B, "", "nb_recours", "secondaire"), ("epci", B, "typologie|T1", "nb_recours", "secondaire"),
        ("epci", C, "typologie|T1", "nb_recours", "secondaire")}
    # The diffusion tables apply it: NULL and listed, the rank of a masked detail row with it.
    shown = dict(con.execute("SELECT code_zone, nb_recours FROM diffusion.dalo_indicateurs").fetchall())
    assert shown == {"62": 21, "ARR": 21, A: None, B: None, C: 10}
    detail = {(z, c): (n, r, m) for z, c, n, r, m in con.execute(
        "SELECT code_zone, code, nb_recours, rang, colonnes_masquees FROM diffusion.dalo_recours_detail").fetchall()}
    assert detail[(C, "T1")] == (None, None, ["nb_recours"]) and detail[("ARR", "T2")] == (7, 1, [])
    con.close()


# A value counted by a single EPCI of the département: T1 is A's alone (1 recours), so the département's T1 is
# A's own figure. Were B's and C's T1 rows absent (known zeros), nothing could hide A.T1 (the small demo, scale
# 0.05, was blocked by the audit for this); with their 0 rows published (dalo_recours_detail is dense), one of
# those zeros can be masked with it.
#            nb_recours   T1   T2
#   A               7    1    6
#   B               8    0    8
#   C               9    0    9
#   Arrageois = 62  24    1   23
SOLE = {("dalo_indicateurs", "epci", A, ""): 7, ("dalo_indicateurs", "epci", B, ""): 8,
        ("dalo_indicateurs", "epci", C, ""): 9, ("dalo_indicateurs", "territoire", "ARR", ""): 24,
        ("dalo_indicateurs", "departement", "62", ""): 24}
SOLE_DETAIL = [("departement", "62", "T1", 1), ("departement", "62", "T2", 23), ("territoire", "ARR", "T1", 1),
               ("territoire", "ARR", "T2", 23), ("epci", A, "T1", 1), ("epci", A, "T2", 6), ("epci", B, "T1", 0),
               ("epci", B, "T2", 8), ("epci", C, "T1", 0), ("epci", C, "T2", 9)]


def test_a_value_counted_by_a_single_epci_is_hidden_among_the_published_zeros(demo, tmp_path):
    copy = _mask_example(demo, tmp_path, SOLE, SOLE_DETAIL)
    con = duckdb.connect(str(copy), read_only=True)
    k = attacker(con)
    con.close()
    sole = ("dalo_recours_detail", "epci", A, 2022, ("typologie", "T1"), "nb_recours")
    assert k.true[sole] == 1 and k.value(sole) is None
    assert any(k.value(c) is None for c in k.shown if c[2] in (B, C) and c[4] == ("typologie", "T1")), \
        "aucun zéro de T1 masqué : A.T1 est le total du département"
    exact = interval_attack(k)
    assert not exact, f"{len(exact)} cellule(s) retrouvée(s) exactement : {exact}"


def test_the_dalo_detail_has_a_row_for_every_zone_and_every_value_of_the_departement(con):
    """An absent row is a known 0: each value counted in the département in a year has a row, 0 included, in
    every zone that year (what lets the pattern mask a zero next to a value a single EPCI counts)."""
    missing = con.execute("""
        SELECT count(*) FROM marts.dalo_recours_detail d
        JOIN intermediate.int_geo__zones_annees z ON z.annee = d.annee
        ANTI JOIN marts.dalo_recours_detail r
            ON r.niveau = z.niveau AND r.code_zone = z.code_zone AND r.annee = d.annee
            AND r.dimension = d.dimension AND r.code = d.code
        WHERE d.niveau = 'departement'""").fetchone()[0]
    assert missing == 0
    zeros = con.execute("SELECT count(*) FROM marts.dalo_recours_detail WHERE nb_recours = 0 "
                        "AND niveau = 'epci'").fetchone()[0]
    assert zeros > 0
