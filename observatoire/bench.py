"""`observatoire bench`: how long a refresh takes, stage by stage, from the Pas-de-Calais to national scale.

For each scale (1 = the Pas-de-Calais, 100 ≈ France):
1. demo extracts generated once into ``data/bench/echelle_<n>/depot`` (cached; generation timed);
2. full refreshes (``observatoire actualiser`` from an empty warehouse, as a separate process): wall time,
   peak memory of the process tree, and per stage (ingestion, dbt, contrôles, publication, dossier) the
   wall time of its Dagster steps, from the run's ``*.etapes.json``;
3. the floor: the same transformations as plain SQL in one DuckDB connection, no Dagster, dbt nor GX: each
   file read into raw with the same SQL expressions, then the compiled dbt models in dependency order;
4. at the incremental scale: one new monthly extract dropped after a full refresh, and refreshed.
Results go to ``data/bench/resultats.json`` and ``docs/benchmarks.md``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from pathlib import Path

from observatoire.extracts import SOURCES, extraction_date
from observatoire.settings import PROJECT_DIR, settings

# A fixed calendar, so that two benchmarks measure the same volume whatever the day.
UNTIL = "2026-10"
REFERENCE_DATE = "2026-11-20"
KEY = "cle-du-banc-d-essai"
# "masquage" (the masking pattern, a model of the dbt build) is taken out of "dbt"; "secret" is the attacker's
# audit of the diffusion layer (a Dagster check).
STAGES = ("ingestion", "controles", "dbt", "masquage", "secret", "publication", "dossier")
PATTERN_MODEL = "model.observatoire.int_diffusion__masque"
INCREMENTAL_SOURCE = "sne_demandes"  # the largest monthly extract
DOC = PROJECT_DIR / "docs" / "benchmarks.md"


def stage_of(step_key: str) -> str:
    """The benchmark stage of a Dagster step of the `actualisation` job."""
    if step_key.endswith("_secret_statistique"):
        return "secret"
    if step_key.endswith(("_validite", "_fraicheur", "_coherence")):
        return "controles"
    return {"observatoire_dbt": "dbt", "entrepot_publie": "publication", "dossier_cotech": "dossier"}.get(
        step_key, "ingestion")


# --- measuring a process --------------------------------------------------------------------------------
def _tree_rss(root: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(f"/proc/{entry.name}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm") as f:
                total += int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, IndexError, ValueError):
            pass
    return total


@dataclass
class Mesure:
    commande: str
    duree_s: float
    pic_memoire_octets: int
    code_retour: int
    sortie: str = ""


def measure(args: list[str], env: dict[str, str], interval: float = 0.2) -> Mesure:
    """Run a command; its wall time and the peak resident memory of its process tree (sampled)."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output, _ = proc.communicate()
    done.set()
    sampler.join()
    return Mesure(" ".join(Path(a).name if i == 0 else a for i, a in enumerate(args)),
                  round(time.perf_counter() - start, 2), peak, proc.returncode, output[-4000:])


def _environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OBSERVATOIRE_", "DAGSTER_"))}
    env.update(OBSERVATOIRE_DATA=str(data_dir), OBSERVATOIRE_CLE_PSEUDO=KEY, OBSERVATOIRE_DATE_REFERENCE=REFERENCE_DATE,
               DO_NOT_TRACK="1", GX_ANALYTICS_ENABLED="False")
    return env


def _observatoire(*args: str) -> list[str]:
    return [sys.executable, "-m", "observatoire.cli", *args]


# --- the steps of the benchmark -------------------------------------------------------------------------
@dataclass
class Actualisation:
    duree_s: float
    pic_memoire_octets: int
    etapes: dict[str, float]  # stage -> seconds (sum of its Dagster steps)
    lignes: int  # rows loaded into raw


@dataclass
class Echelle:
    echelle: float
    lignes: int = 0
    fichiers: int = 0
    generation: Mesure | None = None
    actualisations: list[Actualisation] = field(default_factory=list)
    plancher: dict[str, float] = field(default_factory=dict)
    incrementales: list[Actualisation] = field(default_factory=list)  # one per repetition
    fichier_incremental: str = ""


def scale_dir(root: Path, scale: float) -> Path:
    return root / f"echelle_{scale:g}"


def generate_cached(root: Path, scale: float, log) -> Mesure | None:
    """Demo extracts of this scale, generated once (a marker records what was generated)."""
    folder = scale_dir(root, scale)
    marker = folder / "depot" / ".generation.json"
    wanted = {"echelle": scale, "jusqua": UNTIL}
    if marker.exists():
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        if {k: recorded.get(k) for k in wanted} == wanted:
            log(f"échelle {scale:g} : extractions déjà générées ({folder / 'depot'})")
            return Mesure(**recorded["mesure"]) if "mesure" in recorded else None
    shutil.rmtree(folder / "depot", ignore_errors=True)
    log(f"échelle {scale:g} : génération des extractions de démonstration...")
    m = measure(_observatoire("generer-demo", "--echelle", f"{scale:g}", "--jusqua", UNTIL),
                _environment(folder))
    if m.code_retour:
        raise RuntimeError(f"génération à l'échelle {scale:g} en échec :\n{m.sortie}")
    m.sortie = m.sortie[m.sortie.rfind("Extractions de démonstration"):]  # without the progress bar
    marker.write_text(json.dumps(wanted | {"mesure": asdict(m)}, indent=1), encoding="utf-8")
    return m


def _depot_files(depot: Path) -> list[Path]:
    return sorted(p for p in depot.rglob("*") if p.is_file() and not p.name.startswith("."))


def _fresh_data_dir(folder: Path, depot: Path, exclude: Path | None = None) -> Path:
    """An empty data folder whose dépôt holds hard links to the cached extracts (all but ``exclude``): the
    loader refuses a symbolic link leading out of its dépôt, and a copy would cost 20 GB at scale 100."""
    shutil.rmtree(folder, ignore_errors=True)
    for f in _depot_files(depot):
        if f != exclude:
            link = folder / "depot" / f.relative_to(depot)
            link.parent.mkdir(parents=True, exist_ok=True)
            os.link(f, link)
    return folder


def refresh(data_dir: Path) -> Actualisation:
    """One `observatoire actualiser` in its own process, measured; stages from its *.etapes.json."""
    before = set((data_dir / "journaux").glob("*.etapes.json"))
    # The set-up's writes (a copied warehouse: gigabytes at scale 10) are flushed first, not during the
    # measure: without this, the first incremental refresh after its copy took 89 s and the third 63 s.
    os.sync()
    m_started = time.time()
    m = measure(_observatoire("actualiser"), _environment(data_dir))
    if m.code_retour:
        raise RuntimeError(f"actualisation en échec dans {data_dir} :\n{m.sortie}")
    (steps_file,) = set((data_dir / "journaux").glob("*.etapes.json")) - before
    stages = dict.fromkeys(STAGES, 0.0)
    for step, seconds in json.loads(steps_file.read_text(encoding="utf-8"))["etapes"].items():
        stages[stage_of(step)] += seconds
    stages["masquage"] = pattern_seconds(since=m_started)
    stages["dbt"] -= stages["masquage"]
    import duckdb

    con = duckdb.connect(str(data_dir / "publie" / "observatoire.duckdb"), read_only=True)
    rows = con.execute("SELECT coalesce(sum(nb_lignes_chargees), 0) FROM raw.journal_chargements "
                       "WHERE statut = 'CHARGE'").fetchone()[0]
    con.close()
    return Actualisation(m.duree_s, m.pic_memoire_octets, {k: round(v, 2) for k, v in stages.items()}, int(rows))


def pattern_seconds(since: float) -> float:
    """Time of the masking pattern's model in the dbt build run by Dagster since `since` (0 if not rebuilt)."""
    runs = [p for p in (PROJECT_DIR / "target").glob("observatoire_dbt-*/run_results.json")
            if p.stat().st_mtime >= since]
    if not runs:
        return 0.0
    results = json.loads(max(runs, key=lambda p: p.stat().st_mtime).read_text(encoding="utf-8"))["results"]
    return round(sum(r["execution_time"] for r in results if r["unique_id"] == PATTERN_MODEL), 2)


def latest_manifest() -> Path:
    """The manifest of the latest complete dbt build run by Dagster: the one that holds every SQL model's compiled
    code (an incremental build compiles only the nodes it rebuilds)."""
    runs = sorted((PROJECT_DIR / "target").glob("observatoire_dbt-*/manifest.json"), key=lambda p: p.stat().st_mtime)
    for run in reversed(runs):
        nodes = json.loads(run.read_text(encoding="utf-8"))["nodes"].values()
        if all("compiled_code" in n for n in nodes if n["resource_type"] == "model" and n.get("language") != "python"):
            return run
    raise RuntimeError("aucune construction dbt complète exécutée par Dagster : lancer d'abord une actualisation "
                       "depuis un entrepôt vide.")


def floor(depot: Path, published: Path, folder: Path) -> dict[str, float]:
    """The engine's own time: extracts read into raw and compiled dbt models run as plain SQL, one connection.

    Raw: each file read with the same SQL expressions as the loader (pseudonymisation, age bands), without
    its checks, quarantine and ledger. Seeds and Python models are copied from the published warehouse (reference
    tables of a few thousand rows, the masking pattern); models are created from the compiled SQL of the latest
    dbt build, in dependency order."""
    from observatoire.ingestion import raw_schema
    from observatoire.ingestion.loader import Loader
    from observatoire.ingestion.reading import csv_header, detect_encoding, map_header, read_file, select_columns
    from observatoire.warehouse import connect, load_extension

    shutil.rmtree(folder, ignore_errors=True)
    con = connect(folder / "observatoire.duckdb")  # dbt's database name: the file's stem
    loaded_at = datetime.now().replace(microsecond=0)
    start = time.perf_counter()
    Loader(con, KEY.encode(), loaded_at)  # the formats, pseudonymisation macro and raw tables the reading uses
    for source in SOURCES.values():
        raw_schema.ensure_source_table(con, source)
        for path in _depot_files(depot / source.name):
            extracted = extraction_date(path.name, source)
            names = ", ".join(f'"{c.stored_name}"' for c in source.stored_columns)
            # The loader's reading for a workbook and for open data (small files in their publishers' layouts).
            if path.suffix.lower() == ".xlsx" or source.publication:
                mapping, _ = read_file(con, source, path, extracted)
                relation = "SELECT * FROM _fichier"
            else:
                encoding = detect_encoding(path)
                if encoding == "CP1252":
                    load_extension(con, "encodings")
                header = csv_header(path, encoding)
                mapping, _ = map_header(path.name, source, header, 1)
                columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
                # Line numbers as the loader takes them: the rowid of a first copy, in the file's order.
                con.execute(f"CREATE OR REPLACE TEMP TABLE _lu AS SELECT "
                            f"{select_columns(mapping, extracted, lambda i: f'c{i}')} "
                            f"FROM read_csv('{path}', delim=';', quote='\"', escape='\"', header=true, "
                            f"auto_detect=false, columns={columns}, encoding='{encoding}')")
                relation = "SELECT *, rowid + 2 AS _ligne FROM _lu"
            present = {c.name for c in mapping.values()} | {c.name for c in source.columns if c.from_name}
            values = ", ".join(f'"{c.stored_name}"' if c.name in present else "NULL" for c in source.stored_columns)
            con.execute(f"INSERT INTO raw.{source.name} ({names}, _fichier, _sha256, _ligne, _date_extraction, "
                        f"_charge_le) SELECT {values}, ?, '', _ligne, ?, ? FROM ({relation})",
                        [path.name, extracted, loaded_at])
        con.execute(f"""INSERT INTO raw.journal_chargements
            SELECT '{source.name}', _fichier, '', NULL, _date_extraction, 'CHARGE', count(*), count(*), 0, NULL,
                   NULL, _charge_le FROM raw.{source.name} GROUP BY ALL""")
    ingestion = time.perf_counter() - start

    manifest = json.loads(latest_manifest().read_text(encoding="utf-8"))
    nodes = {k: n for k, n in manifest["nodes"].items() if n["resource_type"] in ("seed", "model")}
    start = time.perf_counter()
    con.execute(f"ATTACH '{published}' AS publie (READ_ONLY)")
    for uid in _topological(nodes):
        node = nodes[uid]
        relation = f'"{node["schema"]}"."{node["alias"]}"'
        con.execute(f'CREATE SCHEMA IF NOT EXISTS "{node["schema"]}"')
        materialized = node["config"]["materialized"]
        # A Python model (the masking pattern) has no SQL form: copied like a seed; its own time is the
        # refresh's « masquage » stage.
        if node["resource_type"] == "seed" or node.get("language") == "python":
            con.execute(f"CREATE TABLE {relation} AS SELECT * FROM publie.{relation}")
        elif materialized == "view":
            con.execute(f"CREATE VIEW {relation} AS {node['compiled_code']}")
        elif materialized != "ephemeral":
            con.execute(f"CREATE TABLE {relation} AS {node['compiled_code']}")
    con.execute("DETACH publie")
    con.execute("CHECKPOINT")
    con.close()
    transformations = time.perf_counter() - start
    return {"ingestion": round(ingestion, 2), "transformations": round(transformations, 2),
            "total": round(ingestion + transformations, 2)}


def _topological(nodes: dict[str, dict]) -> list[str]:
    order: list[str] = []
    seen: set[str] = set()

    def visit(uid: str) -> None:
        if uid in seen:
            return
        seen.add(uid)
        for dep in nodes[uid]["depends_on"].get("nodes", []):
            if dep in nodes:
                visit(dep)
        order.append(uid)

    for uid in sorted(nodes):
        visit(uid)
    return order


def incremental(root: Path, scale: float, log, repetitions: int = 1) -> tuple[list[Actualisation], str]:
    """A full refresh without the newest monthly extract; then, ``repetitions`` times, its data folder put back
    as it was, the extract dropped in, and refreshed. Always in the same folder, as in production: the
    warehouse path is part of dbt's profile, and a changed profile makes dbt parse the whole project again."""
    depot = scale_dir(root, scale) / "depot"
    newest = _depot_files(depot / INCREMENTAL_SOURCE)[-1]
    data_dir = scale_dir(root, scale) / "incrementale" / "avec_le_fichier"
    before = scale_dir(root, scale) / "incrementale" / "sans_le_fichier"
    _fresh_data_dir(data_dir, depot, exclude=newest)
    log(f"échelle {scale:g} : actualisation complète sans {newest.name}...")
    refresh(data_dir)
    # The dépôt stays in place between repetitions: linking a file again changes its inode's ctime, and the
    # loader would hash every file again. Everything else is put back as it was.
    shutil.rmtree(before, ignore_errors=True)
    shutil.copytree(data_dir, before, ignore=lambda folder, names: ["depot"] if Path(folder) == data_dir else [])
    added = data_dir / "depot" / INCREMENTAL_SOURCE / newest.name
    runs = []
    for i in range(repetitions):
        added.unlink(missing_ok=True)
        for entry in data_dir.iterdir():
            if entry.is_dir() and entry.name != "depot":
                shutil.rmtree(entry)
            elif not entry.is_dir():
                entry.unlink()
        shutil.copytree(before, data_dir, dirs_exist_ok=True)
        os.link(newest, added)
        log(f"échelle {scale:g} : actualisation après le dépôt de {newest.name} {i + 1}/{repetitions}...")
        runs.append(refresh(data_dir))
        log(f"  {runs[-1].duree_s:.1f} s, étapes {runs[-1].etapes}")
    return runs, newest.name


# --- the whole benchmark --------------------------------------------------------------------------------
def run(scales: list[float], repetitions: int = 3, incremental_scale: float | None = 10,
        root: Path | None = None, doc: Path | None = DOC, log=print) -> list[Echelle]:
    root = root or settings().data_dir / "bench"
    results = []
    for scale in scales:
        e = Echelle(scale)
        e.generation = generate_cached(root, scale, log)
        depot = scale_dir(root, scale) / "depot"
        e.fichiers = len(_depot_files(depot))
        run_dir = scale_dir(root, scale) / "complete"
        for i in range(repetitions):
            log(f"échelle {scale:g} : actualisation complète {i + 1}/{repetitions}...")
            a = refresh(_fresh_data_dir(run_dir, depot))
            log(f"  {a.duree_s:.1f} s, pic mémoire {a.pic_memoire_octets / 2**30:.2f} Gio, étapes {a.etapes}")
            e.actualisations.append(a)
        e.lignes = e.actualisations[-1].lignes
        log(f"échelle {scale:g} : plancher (SQL compilé, une connexion DuckDB)...")
        e.plancher = floor(depot, run_dir / "publie" / "observatoire.duckdb", scale_dir(root, scale) / "plancher")
        log(f"  {e.plancher}")
        if incremental_scale is not None and scale == incremental_scale:
            e.incrementales, e.fichier_incremental = incremental(root, scale, log, repetitions)
        results.append(e)
        results = _merge_saved(root / "resultats.json", results)
    if doc:
        write_doc(doc, markdown(results, repetitions))
        log(f"Résultats : {root / 'resultats.json'} ; synthèse : {doc}")
    return results


BEGIN, END = "<!-- résultats : début (écrit par observatoire bench) -->", "<!-- résultats : fin -->"


def write_doc(doc: Path, results_md: str) -> None:
    """Replace the generated part of the page (between its markers), keeping the hand-written analysis."""
    text = doc.read_text(encoding="utf-8") if doc.exists() else f"{BEGIN}\n{END}\n"
    head, _, rest = text.partition(BEGIN)
    _, _, tail = rest.partition(END)
    doc.write_text(f"{head}{BEGIN}\n{results_md}{END}{tail}", encoding="utf-8")


def _merge_saved(path: Path, measured: list[Echelle]) -> list[Echelle]:
    """Save these results with those of other scales measured before (a scale measured again replaces its
    earlier results); return them all, by scale."""
    saved = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    by_scale = {d["echelle"]: _echelle(d) for d in saved}
    by_scale.update({e.echelle: e for e in measured})
    merged = [by_scale[k] for k in sorted(by_scale)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(r) for r in merged], indent=1), encoding="utf-8")
    return merged


def _echelle(d: dict) -> Echelle:
    d = {k: v for k, v in d.items() if k != "incrementale"}  # results saved before the repetitions
    return Echelle(**{**d, "generation": Mesure(**d["generation"]) if d.get("generation") else None,
                      "actualisations": [Actualisation(**a) for a in d["actualisations"]],
                      "incrementales": [Actualisation(**a) for a in d.get("incrementales", [])]})


def median_refresh(e: Echelle) -> Actualisation:
    """The full refresh of median wall time."""
    return _median(e.actualisations)


def _median(runs: list[Actualisation]) -> Actualisation:
    ordered = sorted(runs, key=lambda a: a.duree_s)
    return ordered[(len(ordered) - 1) // 2]


def machine() -> str:
    memory = next((int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal")), 0)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
               platform.processor())
    import dagster
    import dbt.version
    import duckdb
    import great_expectations

    return (f"{os.cpu_count()} cœurs ({cpu}), {memory / 2**20:.0f} Gio de mémoire, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}, DuckDB {duckdb.__version__}, "
            f"dbt-core {dbt.version.__version__}, Dagster {dagster.__version__}, "
            f"Great Expectations {great_expectations.__version__}")


def _fmt(seconds: float) -> str:
    return f"{seconds:,.1f} s".replace(",", " ").replace(".", ",")


def _int(n: float) -> str:
    return f"{n:,.0f}".replace(",", " ")


def _ratio(x: float) -> str:
    return f"{x:.2f}".replace(".", ",")


STAGE_LABELS = {"ingestion": "ingestion", "controles": "contrôles", "dbt": "dbt", "masquage": "masquage (dbt)",
                "secret": "audit du secret", "publication": "publication",
                "dossier": "dossier"}


def _gib(n: int) -> str:
    return f"{n / 2**30:.2f} Gio".replace(".", ",")


def markdown(results: list[Echelle], repetitions: int) -> str:
    scales = ",".join(f"{e.echelle:g}" for e in results)
    lines = [
        f"Mesuré le {date.today():%d/%m/%Y} sur : {machine()}.",
        "",
        f"Reproduire : `make bench` (ou `.venv/bin/observatoire bench --echelles {scales} "
        f"--repetitions {repetitions}`). Les extractions de démonstration (janvier 2018 à {UNTIL}) sont générées "
        "une fois par échelle dans `data/bench/` ; chaque actualisation complète part d'un entrepôt vide et "
        "s'exécute dans son propre processus (`observatoire actualiser`, ingestion, contrôles Great Expectations, "
        "dbt build, publication et dossier du COTECH compris). Valeurs : médiane des actualisations complètes "
        "de l'échelle (leur nombre : colonne « mesures ») ; mémoire : pic de la mémoire résidente de l'arbre de "
        "processus (échantillonnée toutes les 0,2 s). Détail brut : `data/bench/resultats.json`.",
        "",
        "## Actualisation complète",
        "",
        "| échelle | fichiers | lignes chargées | génération | mesures | actualisation | pic mémoire | lignes/s | "
        "plancher | rapport au plancher |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for e in results:
        a = median_refresh(e)
        generation = _fmt(e.generation.duree_s) if e.generation else "(en cache)"
        ratio = a.duree_s / e.plancher["total"] if e.plancher.get("total") else float("nan")
        lines.append(f"| {e.echelle:g} | {e.fichiers} | {_int(e.lignes)} | {generation} | {len(e.actualisations)} | "
                     f"{_fmt(a.duree_s)} | {_gib(a.pic_memoire_octets)} | {_int(a.lignes / a.duree_s)} | "
                     f"{_fmt(e.plancher['total'])} | {_ratio(ratio)} |")
    lines += ["", "## Par étape (médiane)", "",
              "Temps des étapes Dagster de chaque étape (les contrôles de qualité sont les vérifications "
              "d'actifs : validité et fraîcheur des sources, cohérence des portraits) ; « masquage (dbt) » : le "
              "calcul du schéma du secret statistique, un modèle du dbt build, retiré de « dbt » ; « audit du "
              "secret » : l'attaque de la couche diffusion avant publication ; « démarrage et reste » : "
              "lancement du processus, imports, préparation du job, rapport de qualité.", "",
              "| échelle | " + " | ".join(STAGE_LABELS[s] for s in STAGES)
              + " | démarrage et reste | ingestion (lignes/s) | dbt (lignes/s) |",
              "|---|" + "---|" * (len(STAGES) + 3)]
    for e in results:
        steps = {s: statistics.median(a.etapes.get(s, 0.0) for a in e.actualisations) for s in STAGES}
        a = median_refresh(e)
        rest = a.duree_s - sum(a.etapes.values())
        lines.append(f"| {e.echelle:g} | " + " | ".join(_fmt(steps[s]) for s in STAGES) + f" | {_fmt(rest)} | "
                     f"{_int(e.lignes / max(steps['ingestion'], 1e-9))} | {_int(e.lignes / max(steps['dbt'], 1e-9))} |")
    lines += ["", "## Plancher : le même travail en SQL pur", "",
              "Chaque fichier lu dans `raw` avec les mêmes expressions SQL que le chargeur (pseudonymisation, "
              "tranches d'âge) mais sans ses contrôles, sa quarantaine ni son journal ; puis le SQL compilé "
              "des modèles dbt exécuté dans l'ordre des dépendances, sans tests ; une seule connexion DuckDB, "
              "ni Dagster, ni dbt, ni Great Expectations.", "",
              "| échelle | lecture des extractions | modèles | total | actualisation complète | rapport |",
              "|---|---|---|---|---|---|"]
    for e in results:
        a = median_refresh(e)
        lines.append(f"| {e.echelle:g} | {_fmt(e.plancher['ingestion'])} | {_fmt(e.plancher['transformations'])} | "
                     f"{_fmt(e.plancher['total'])} | {_fmt(a.duree_s)} | {_ratio(a.duree_s / e.plancher['total'])} |")
    for e in results:
        if e.incrementales:
            full = median_refresh(e)
            inc = _median(e.incrementales)
            lines += ["", "## Actualisation incrémentale", "",
                      f"À l'échelle {e.echelle:g}, après une actualisation complète sans lui, dépôt d'une nouvelle "
                      f"extraction mensuelle (`{e.fichier_incremental}`) puis actualisation ; avant chaque mesure, "
                      f"l'état sans lui est remis en place dans le même dossier, comme en exploitation "
                      f"({len(e.incrementales)} mesure(s) : "
                      + ", ".join(_fmt(a.duree_s) for a in e.incrementales) + ").", "",
                      "| | durée | " + " | ".join(STAGE_LABELS[s] for s in STAGES) + " | pic mémoire |",
                      "|---|---|" + "---|" * (len(STAGES) + 1),
                      f"| complète (médiane) | {_fmt(full.duree_s)} | "
                      + " | ".join(_fmt(full.etapes.get(s, 0.0)) for s in STAGES)
                      + f" | {_gib(full.pic_memoire_octets)} |",
                      f"| incrémentale (médiane) | {_fmt(inc.duree_s)} | "
                      + " | ".join(_fmt(inc.etapes.get(s, 0.0)) for s in STAGES)
                      + f" | {_gib(inc.pic_memoire_octets)} |", "",
                      f"Rapport incrémentale / complète : {inc.duree_s / full.duree_s:.0%}.".replace("%", " %")]
    return "\n".join(lines) + "\n"
