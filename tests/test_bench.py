"""The benchmark's harness (observatoire/bench.py): what it measures and how it reports. No timing is asserted
here: timings live in docs/benchmarks.md."""

from __future__ import annotations

import sys

import pytest

from observatoire import bench


@pytest.mark.parametrize("step, stage", [
    ("entrepot_de_travail", "ingestion"), ("raw__sne_demandes", "ingestion"),
    ("raw__sne_demandes_validite", "controles"), ("raw__fsl_fraicheur", "controles"),
    ("marts__portrait_epci_coherence", "controles"), ("observatoire_dbt", "dbt"),
    ("entrepot_publie", "publication"), ("dossier_cotech", "dossier"),
    ("diffusion__diffusion_portrait_epci_secret_statistique", "secret"),
])
def test_each_dagster_step_belongs_to_a_stage(step, stage):
    assert bench.stage_of(step) == stage


def test_peak_memory_of_the_process_tree_is_measured():
    # A child process holding 300 MB: the sampled peak must see it, the exit code and output are kept.
    code = "import time; b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); time.sleep(1); print('fini')"
    m = bench.measure([sys.executable, "-c", code], env={}, interval=0.05)
    assert m.code_retour == 0 and "fini" in m.sortie
    assert m.pic_memoire_octets > 300 * 2**20


def _scale(scale: float, seconds: list[float]) -> bench.Echelle:
    stages = dict.fromkeys(bench.STAGES, 1.0)
    return bench.Echelle(scale, lignes=1000, fichiers=3, actualisations=[
        bench.Actualisation(s, 2**30, stages, 1000) for s in seconds],
        plancher={"ingestion": 2.0, "transformations": 3.0, "total": 5.0})


def test_the_median_refresh_is_reported_with_its_ratio_to_the_floor():
    e = _scale(1, [90.0, 70.0, 80.0])
    assert bench.median_refresh(e).duree_s == 80.0
    text = bench.markdown([e], 3)
    assert "| 1 | 3 | 1 000 | (en cache) | 3 | 80,0 s | 1,00 Gio |" in text
    assert "| 80,0 s | 16,00 |" in text  # 80 s against a 5 s floor


def test_the_incremental_refresh_is_the_median_of_its_measures_against_the_median_full_one(tmp_path):
    e = _scale(10, [200.0, 180.0, 220.0])
    e.incrementales = [bench.Actualisation(s, 2**30, dict.fromkeys(bench.STAGES, 1.0), 1000) for s in (60, 40, 50)]
    e.fichier_incremental = "sne_demandes_2026-10_extrait_2026-11-05.csv"
    text = bench.markdown([e], 3)
    assert "3 mesure(s) : 60,0 s, 40,0 s, 50,0 s" in text
    assert "| incrémentale (médiane) | 50,0 s |" in text and "Rapport incrémentale / complète : 25 %." in text
    # Saved and read back, as the next benchmark of another scale does.
    [again] = bench._merge_saved(tmp_path / "resultats.json", [e])
    assert [a.duree_s for a in again.incrementales] == [60, 40, 50]


def test_results_of_other_scales_are_kept_and_a_scale_measured_again_replaces_its_own(tmp_path):
    path = tmp_path / "resultats.json"
    bench._merge_saved(path, [_scale(1, [10.0]), _scale(10, [100.0])])
    merged = bench._merge_saved(path, [_scale(1, [20.0])])
    assert [(e.echelle, e.actualisations[0].duree_s) for e in merged] == [(1, 20.0), (10, 100.0)]


def test_the_page_keeps_its_hand_written_analysis(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Titre\n\nAvant.\n\n{bench.BEGIN}\nanciens résultats\n{bench.END}\n\nAnalyse.\n", "utf-8")
    bench.write_doc(doc, "nouveaux résultats\n")
    text = doc.read_text("utf-8")
    assert "anciens" not in text and "nouveaux résultats" in text
    assert text.startswith("# Titre\n\nAvant.") and text.endswith("Analyse.\n")


def test_the_benchmark_depot_is_one_the_loader_reads(tmp_path):
    """The loader refuses symbolic links leading out of its dépôt: the benchmark's dépôt holds real files (hard
    links to the cached extracts), all but the excluded one."""
    from observatoire.ingestion.loader import outside_depot

    cache = tmp_path / "cache" / "depot"
    files = [cache / "fsl" / "fsl_2024-01_extrait_2024-02-05.csv", cache / "fsl" / "fsl_2024-02_extrait_2024-03-05.csv"]
    for f in files:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("en-tête\n", encoding="utf-8")
    folder = bench._fresh_data_dir(tmp_path / "run", cache, exclude=files[1])
    [copied] = sorted((folder / "depot").rglob("*.csv"))
    assert copied.name == files[0].name and not copied.is_symlink()
    assert not outside_depot(copied, folder / "depot") and copied.read_text(encoding="utf-8") == "en-tête\n"


def test_the_floor_reads_every_source_with_the_loaders_own_reading(demo, tmp_path):
    """The floor (files read with the loader's SQL, dbt models as plain SQL) runs on the demo: every raw table
    holds at least the rows the real refresh kept, and the portraits come out."""
    import duckdb

    from observatoire.extracts import SOURCES

    timings = bench.floor(demo.depot, demo.published, tmp_path / "plancher")
    assert timings["total"] > 0
    floor = duckdb.connect(str(tmp_path / "plancher" / "observatoire.duckdb"), read_only=True)
    published = duckdb.connect(str(demo.published), read_only=True)
    try:
        for source in SOURCES:
            kept = published.execute(f"SELECT count(*) FROM raw.{source}").fetchone()[0]
            assert floor.execute(f"SELECT count(*) FROM raw.{source}").fetchone()[0] >= kept > 0, source
        query = "SELECT count(*) FROM marts.portrait_departement"
        assert floor.execute(query).fetchone() == published.execute(query).fetchone()
    finally:
        floor.close()
        published.close()
