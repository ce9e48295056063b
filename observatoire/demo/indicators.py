"""Recompute the calibrated indicators from extract files, with the definitions of calibration.py.

Used by the tests and to print the calibration table (``python -m observatoire.demo.indicators <dépôt>``).
It reads the files as the ingestion would (latest extraction per key) with DuckDB, independently of the
generator's internals, so it checks what is really written.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pyarrow as pa

from observatoire.demo import calibration as cal
from observatoire.settings import GEOGRAPHY_DIR

Key = tuple[str, str, str]  # (indicator, area, year)

EXTRACTED = r"regexp_extract(filename, 'extrait_(\d{4}-\d{2}-\d{2})', 1)"


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"""
        CREATE TABLE terr AS
        SELECT c.code_commune, t.code_territoire, c.code_epci, c.code_arrondissement
        FROM read_csv('{(GEOGRAPHY_DIR / "communes.csv").as_posix()}', all_varchar = true) c
        JOIN read_csv('{(GEOGRAPHY_DIR / "commune_territoire.csv").as_posix()}', all_varchar = true) t
        USING (code_commune)""")
    return con


def _csv(folder: Path, pattern: str, encoding: str = "utf-8") -> str:
    return (f"read_csv('{(folder / pattern).as_posix()}', delim = ';', header = true, all_varchar = true, "
            f"filename = true, encoding = '{encoding}')")


def _arrow_csv(files: list[Path], encoding: str) -> pa.Table:
    from pyarrow import csv

    tables = []
    for f in files:
        header = f.read_bytes().split(b"\n", 1)[0].decode(encoding).strip().split(";")
        t = csv.read_csv(f, read_options=csv.ReadOptions(encoding=encoding),
                         parse_options=csv.ParseOptions(delimiter=";"),
                         convert_options=csv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                            strings_can_be_null=True))
        tables.append(t.append_column("filename", pa.array([f.name] * t.num_rows)))
    return pa.concat_tables(tables)


def _date(col: str) -> str:
    return f"strptime(\"{col}\", '%d/%m/%Y')::DATE"


def _num(col: str) -> str:
    return f"CAST(replace(\"{col}\", ',', '.') AS DOUBLE)"


def _by_area(con, sql: str, indicator: str, out: dict, value_col: str = "v") -> None:
    """sql returns (area, year, value); the département is added when the query groups by territory."""
    for area, year, value in con.execute(sql).fetchall():
        out[(indicator, str(area), str(year))] = float(value) if value is not None else float("nan")


def _grouped(expr_num: str, expr_den: str | None, source: str, where: str = "TRUE", year: str = "annee") -> str:
    """Per territory and département: sum(num) / sum(den) (or sum(num))."""
    ratio = f"sum({expr_num}) / nullif(sum({expr_den}), 0)" if expr_den else f"sum({expr_num})"
    return f"""
        SELECT code_territoire, {year}, {ratio} FROM {source} WHERE {where} GROUP BY ALL
        UNION ALL
        SELECT '{cal.DEPT}', {year}, {ratio} FROM {source} WHERE {where} GROUP BY ALL"""


def sne(con, depot: Path, out: dict) -> None:
    dem = depot / "sne_demandes"
    att = depot / "sne_attributions"
    if not any(dem.glob("*.csv")):
        return
    con.execute(f"""
        CREATE OR REPLACE TABLE demandes AS
        SELECT d.*, t.code_territoire FROM (
            SELECT *, row_number() OVER (PARTITION BY "Numéro unique" ORDER BY {EXTRACTED} DESC) AS rn
            FROM {_csv(dem, '*.csv')}) d
        JOIN terr t ON t.code_commune = d."Commune souhaitée 1" WHERE rn = 1""")
    con.execute(f"""
        CREATE OR REPLACE TABLE attributions AS
        SELECT a.*, t.code_territoire, year({_date("Date d'attribution")}) AS annee,
               date_diff('day', {_date("Date de dépôt initial")}, {_date("Date d'attribution")}) / 30.4375 AS delai,
               "Typologie attribuée" AS typo
        FROM {_csv(att, '*.csv')} a JOIN terr t ON t.code_commune = a."Code commune du logement" """)
    years = [y for (y,) in con.execute("SELECT DISTINCT annee FROM attributions ORDER BY 1").fetchall()]
    last_day = con.execute(f"SELECT max({_date('Date de dépôt initial')}) FROM demandes").fetchone()[0]
    con.execute("""CREATE OR REPLACE TABLE stock (code_territoire VARCHAR, annee INT, typo VARCHAR)""")
    for y in years:
        if last_day is None or str(last_day) < f"{y}-12-01":
            continue
        con.execute(f"""
            INSERT INTO stock
            SELECT code_territoire, {y},
                   'T' || list_min(list_transform(string_split("Typologies souhaitées", '/'),
                                                  x -> CAST(substr(x, 2) AS INT)))
            FROM demandes
            WHERE {_date("Date de dépôt initial")} <= DATE '{y}-12-31'
              AND ("Date de radiation" IS NULL OR {_date("Date de radiation")} > DATE '{y}-12-31')""")
    con.execute("""
        CREATE OR REPLACE TABLE sne_cells AS
        WITH s AS (SELECT code_territoire, annee, typo, count(*) AS n FROM stock GROUP BY ALL),
             a AS (SELECT code_territoire, annee, typo, count(*) AS n, sum(delai) AS delai,
                          count(*) FILTER (WHERE "Ménage prioritaire DALO" = 'O'
                                           OR "Ménage prioritaire PDALHPD" = 'O') AS prio,
                          count(*) FILTER (WHERE "Quartile de ressources" IN ('1', '2')) AS q12
                   FROM attributions GROUP BY ALL)
        SELECT coalesce(s.code_territoire, a.code_territoire) AS code_territoire,
               coalesce(s.annee, a.annee) AS annee, coalesce(s.typo, a.typo) AS typo,
               coalesce(s.n, 0) AS stock, coalesce(a.n, 0) AS attr, coalesce(a.delai, 0) AS delai,
               coalesce(a.prio, 0) AS prio, coalesce(a.q12, 0) AS q12
        FROM s FULL JOIN a USING (code_territoire, annee, typo)""")
    stocked = "annee IN (SELECT DISTINCT annee FROM stock)"
    _by_area(con, _grouped("stock", "attr", "sne_cells", stocked), "sne_tension_ratio", out)
    _by_area(con, _grouped("stock", "attr", "sne_cells", f"typo = 'T1' AND {stocked}"), "sne_tension_t1", out)
    _by_area(con, _grouped("stock", "attr", "sne_cells", f"typo = 'T2' AND {stocked}"), "sne_tension_t2", out)
    _by_area(con, _grouped("delai", "attr", "sne_cells"), "sne_attribution_delay_months", out)
    _by_area(con, _grouped("attr", None, "sne_cells"), "sne_attributions_count", out)
    _by_area(con, _grouped("attr", None, "sne_cells"), "sne_demandes_satisfaites", out)
    _by_area(con, _grouped("stock", None, "sne_cells", stocked), "sne_demandes_en_cours", out)
    _by_area(con, _grouped("100.0 * prio", "attr", "sne_cells"), "attributions_prioritaires_pct", out)
    _by_area(con, _grouped("100.0 * q12", "attr", "sne_cells"), "sne_attributions_q1_q2_pct", out)
    _by_area(con, _grouped("100.0 * stock * (typo IN ('T1', 'T2'))::INT", "stock", "sne_cells", stocked),
             "sne_demand_t1_t2_share_pct", out)
    _by_area(con, _grouped("100.0 * stock * (typo = 'T1')::INT", "stock", "sne_cells", stocked),
             "sne_demand_t1_share_pct", out)
    for y in years:  # rank of the territories' tension (1 = highest)
        ranked = con.execute(f"""
            SELECT code_territoire, rank() OVER (ORDER BY sum(stock) / nullif(sum(attr), 0) DESC)
            FROM sne_cells WHERE annee = {y} AND {stocked} GROUP BY code_territoire""").fetchall()
        for area, r in ranked:
            out[("sne_tension_rank", area, str(y))] = float(r)


def dalo(con, depot: Path, out: dict) -> None:
    folder = depot / "dalo"
    files = sorted(folder.glob("dalo_*"))
    if not files:
        return
    tables = []
    for f in files:
        if f.suffix == ".csv":
            t = con.execute(f"SELECT * EXCLUDE (filename) FROM {_csv(folder, f.name)}").arrow().read_all()
        else:
            from openpyxl import load_workbook

            ws = load_workbook(f, read_only=True).worksheets[0]
            rows = list(ws.iter_rows(values_only=True))
            width = len(rows[0])
            rows = [tuple(r) + (None,) * (width - len(r)) for r in rows]
            t = pa.table({h: pa.array([None if r[i] is None else str(r[i]) for r in rows[1:]], pa.string())
                          for i, h in enumerate(rows[0])})
        tables.append(t.append_column("filename", pa.array([f.name] * t.num_rows)))
    con.register("dalo_files", pa.concat_tables(tables, promote_options="permissive"))
    con.execute(f"""
        CREATE OR REPLACE TABLE dalo AS
        SELECT d.*, t.code_territoire, year({_date("Date de dépôt")}) AS annee FROM (
            SELECT *, row_number() OVER (PARTITION BY "N° recours" ORDER BY {EXTRACTED} DESC) AS rn
            FROM dalo_files) d JOIN terr t ON t.code_commune = d."Code commune" WHERE rn = 1""")
    con.execute("""CREATE OR REPLACE TABLE dalo_cells AS
        SELECT code_territoire, annee::VARCHAR AS annee, count(*) AS n, count(*) FILTER (WHERE "Décision" = 'PU') AS pu
        FROM dalo GROUP BY ALL
        UNION ALL
        SELECT code_territoire, '2018-2020', count(*), count(*) FILTER (WHERE "Décision" = 'PU')
        FROM dalo WHERE annee BETWEEN 2018 AND 2020 GROUP BY ALL""")
    _by_area(con, _grouped("n", None, "dalo_cells"), "dalo_recours_count", out)
    _by_area(con, _grouped("pu", None, "dalo_cells"), "dalo_reconnus_pu_count", out)
    shares = con.execute("""
        SELECT code_territoire, annee, 100.0 * n / sum(n) OVER (PARTITION BY annee) FROM dalo_cells""").fetchall()
    for area, year, v in shares:
        out[("dalo_share_of_dept_pct", area, year)] = float(v)


def fsl(con, depot: Path, out: dict) -> None:
    folder = depot / "fsl"
    if not any(folder.glob("*.csv")):
        return
    con.execute(f"""
        CREATE OR REPLACE TABLE fsl AS
        SELECT f.*, t.code_territoire, year({_date("Date de décision")}) AS annee,
               coalesce({_num("Montant accordé")}, 0) AS montant
        FROM {_csv(folder, '*.csv')} f JOIN terr t ON t.code_commune = f."Code commune" """)
    aide = "(\"Décision\" = 'ACCORD' AND montant > 0)"
    garantie = "(\"Décision\" = 'ACCORD' AND \"Forme de l'aide\" = 'GARANTIE' AND \"Garantie de loyer\" = 'O')"
    acc, mai = "\"Volet\" = 'ACCES'", "\"Volet\" = 'MAINTIEN'"
    eet = "\"Volet\" IN ('ENERGIE', 'EAU', 'TELEPHONE')"
    specs = {
        "fsl_acces_dossiers_enregistres": ("1", None, acc),
        "fsl_acces_dossiers_instruits": ("1", None, acc),
        "fsl_acces_dossiers_acceptes": ("1", None, f"{acc} AND \"Décision\" IN ('ACCORD', 'ACCORD_PRINCIPE')"),
        "fsl_acces_aides_accordees": ("1", None, f"{acc} AND {aide}"),
        "fsl_acces_montant_eur": ("montant", None, f"{acc} AND {aide}"),
        "fsl_acces_aide_moyenne_eur": ("montant", "1", f"{acc} AND {aide}"),
        "fsl_acces_garanties_loyer": ("1", None, f"{acc} AND {garantie}"),
        "fsl_acces_garanties_loyer_parc_public": ("1", None, f"{acc} AND {garantie} AND \"Type de parc\" = 'PUBLIC'"),
        "fsl_maintien_dossiers_enregistres": ("1", None, mai),
        "fsl_maintien_aides_accordees": ("1", None, f"{mai} AND {aide}"),
        "fsl_maintien_dossiers_accordes": ("1", None, f"{mai} AND {aide}"),
        "fsl_maintien_montant_eur": ("montant", None, f"{mai} AND {aide}"),
        "fsl_maintien_aide_moyenne_eur": ("montant", "1", f"{mai} AND {aide}"),
        "fsl_maintien_accords_principe": ("1", None, f"{mai} AND \"Décision\" = 'ACCORD_PRINCIPE'"),
        "fsl_maintien_garanties_loyer": ("1", None, f"{mai} AND {garantie}"),
        "fsl_eet_dossiers_enregistres": ("1", None, eet),
        "fsl_eet_dossiers_accordes": ("1", None, f"{eet} AND \"Décision\" = 'ACCORD'"),
    }
    for volet in ("ASLL", "AML", "FAL"):
        specs[f"fsl_{volet.lower()}_menages"] = ("1", None, f"\"Volet\" = '{volet}' AND \"Décision\" = 'ACCORD'")
        specs[f"fsl_{volet.lower()}_montant_eur"] = ("montant", None, f"\"Volet\" = '{volet}'")
    for indicator, (num, den, where) in specs.items():
        _by_area(con, _grouped(num, den, "fsl", where), indicator, out)
    for volet in ("AML", "FAL", "ASLL"):
        rows = con.execute(f"""
            SELECT code_territoire, annee, 100.0 * n / sum(n) OVER (PARTITION BY annee)
            FROM (SELECT code_territoire, annee, count(*) AS n FROM fsl WHERE "Volet" = '{volet}' GROUP BY ALL)
            """).fetchall()
        for area, year, v in rows:
            out[(f"fsl_{volet.lower()}_share_of_dept_pct", area, str(year))] = float(v)


def ccapex(con, depot: Path, out: dict) -> None:
    folder = depot / "ccapex"
    if not any(folder.glob("*.csv")):
        return
    # Windows-1252 files: decoded by pyarrow (DuckDB reads only UTF-8, UTF-16 and Latin-1 natively).
    con.register("ccapex_files", _arrow_csv(sorted(folder.glob("*.csv")), "cp1252"))
    con.execute(f"""
        CREATE OR REPLACE TABLE ccapex AS
        SELECT c.*, t.code_territoire, t.code_arrondissement, year({_date("Date de l'étape")}) AS annee
        FROM ccapex_files c JOIN terr t ON t.code_commune = c."Code commune" """)
    for indicator, stage in (("ccapex_assignations", "ASSIGNATION"), ("ccapex_dsf_realises", "DSF_REALISE"),
                             ("ccapex_dsf_portes_closes", "DSF_PORTE_CLOSE"),
                             ("ccapex_commandements_payer", "COMMANDEMENT_PAYER"),
                             ("ccapex_commandements_quitter", "COMMANDEMENT_QUITTER"),
                             ("ccapex_cfp_demandes", "CFP_DEMANDE"), ("ccapex_cfp_accordes", "CFP_ACCORDE"),
                             ("ccapex_expulsions", "EXPULSION_EFFECTIVE")):
        _by_area(con, f"""
            SELECT code_territoire, annee, count(DISTINCT "N° procédure") FROM ccapex
            WHERE "Étape" = '{stage}' GROUP BY ALL
            UNION ALL SELECT '{cal.DEPT}', annee, count(DISTINCT "N° procédure") FROM ccapex
            WHERE "Étape" = '{stage}' GROUP BY ALL""", indicator, out)
    _by_area(con, f"""
        SELECT 'TER', annee, 100.0 * count(*) FILTER (WHERE code_territoire = 'TER') / count(*) FROM ccapex
        WHERE "Étape" = 'COMMANDEMENT_PAYER' AND code_arrondissement = '{cal.ARRONDISSEMENT_ARRAS}' GROUP BY ALL""",
             "ccapex_commandements_payer_share_of_arrondissement_pct", out)
    _by_area(con, _grouped("100.0 * (\"Type de bailleur\" IN ('PERSONNE_PHYSIQUE', 'PERSONNE_MORALE'))::INT", "1",
                           "ccapex", "\"Étape\" = 'COMMANDEMENT_PAYER'"),
             "ccapex_commandements_payer_parc_prive_pct", out)
    _by_area(con, f"""
        WITH a AS (SELECT "N° procédure" AS p, code_territoire, min(annee) AS annee,
                          min({_date("Date de l'étape")}) AS d FROM ccapex WHERE "Étape" = 'ASSIGNATION' GROUP BY ALL),
             s AS (SELECT DISTINCT "N° procédure" AS p, {_date("Date de l'étape")} AS d FROM ccapex
                   WHERE "Étape" = 'DETTE_SOLDEE')
        SELECT '{cal.DEPT}', annee, 100.0 * count(DISTINCT s.p) / count(DISTINCT a.p)
        FROM a LEFT JOIN s ON s.p = a.p AND s.d > a.d GROUP BY ALL""", "ccapex_assignes_dette_soldee_pct", out)


def pppi(con, depot: Path, out: dict) -> None:
    folder = depot / "pppi"
    if not any(folder.glob("*.csv")):
        return
    cols = {"rp": "Résidences principales privées", "pppi": "PPPI total", "lp": "PPPI locataires",
            "po": "PPPI propriétaires occupants", "av": "PPPI construits avant 1949"}
    casts = ", ".join(f"CAST(\"{h}\" AS BIGINT) AS {k}" for k, h in cols.items())
    con.execute(f"""
        CREATE OR REPLACE TABLE pppi AS
        SELECT t.code_territoire, t.code_epci, "Millésime" AS annee, {casts}
        FROM {_csv(folder, '*.csv')} p JOIN terr t ON t.code_commune = p."Code commune" """)
    _by_area(con, _grouped("100.0 * pppi", "rp", "pppi"), "pppi_pct", out)
    _by_area(con, _grouped("pppi", None, "pppi"), "pppi_logements", out)
    _by_area(con, _grouped("100.0 * lp", "pppi", "pppi"), "pppi_locataires_pct", out)
    _by_area(con, _grouped("100.0 * po", "pppi", "pppi"), "pppi_po_pct", out)
    _by_area(con, _grouped("100.0 * av", "pppi", "pppi"), "pppi_avant_1949_pct", out)
    _by_area(con, "SELECT code_epci, annee, 100.0 * sum(pppi) / sum(rp) FROM pppi GROUP BY ALL", "pppi_pct_epci", out)


def measure(depot_dir: Path) -> dict[Key, float]:
    depot_dir = Path(depot_dir)
    con = _connect()
    out: dict[Key, float] = {}
    for fn in (sne, dalo, fsl, ccapex, pppi):
        fn(con, depot_dir, out)
    con.close()
    return out


def compare(measures: dict[Key, float], source: str | None = None) -> list[tuple[cal.Target, float | None, bool]]:
    rows = []
    for t in cal.targets(source):
        got = measures.get((t.indicator, t.area, t.year))
        rows.append((t, got, got is not None and t.accepts(got)))
    return rows


def report(depot_dir: Path) -> str:
    lines = ["| source | indicateur | zone | année | cible | obtenu | écart | ok | ligne |",
             "|---|---|---|---|---|---|---|---|---|"]
    for t, got, ok in compare(measure(depot_dir)):
        gap = "" if got is None or not t.value else f"{100 * (got / t.value - 1):+.1f} %"
        target = {"min": "> ", "max": "< "}.get(t.bound, "") + f"{t.value:g}"
        flag = "oui" if ok else ("non" if t.asserted else "non (non visé)")
        lines.append(f"| {t.source} | {t.indicator} | {t.area} | {t.year} | {target} | "
                     f"{'' if got is None else f'{got:.4g}'} | {gap} | {flag} | {t.seed_line or ''} |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1])))
