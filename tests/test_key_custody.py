"""Custody of the pseudonymisation key: the warehouse keeps a fingerprint of its key (never the key), nothing is
loaded under another key, and `observatoire changer-cle` rebuilds the warehouse from the dépôt under a new key,
or refuses when the dépôt no longer holds every loaded file."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest
from conftest import KEY as DEMO_KEY
from conftest import Demo, demo_environment

from observatoire.extracts import FSL
from observatoire.ingestion import key_custody
from observatoire.ingestion.loader import Loader
from observatoire.warehouse import connect
from tests.fabrique import fsl_row, write_csv

NEW_KEY = "une-toute-nouvelle-cle-de-pseudonymisation"


# --- the fingerprint and the loader ----------------------------------------------------------------------------------
def test_the_fingerprint_tells_keys_apart_and_says_nothing_of_the_key():
    keys = [b"cle-de-test-1", b"cle-de-test-1 ", b"CLE-DE-TEST-1", b"cle-de-test-2", b"x" * 200]
    prints = [key_custody.fingerprint(k) for k in keys]
    assert len(set(prints)) == len(keys) and prints == [key_custody.fingerprint(k) for k in keys]
    for key, fp in zip(keys, prints, strict=True):
        assert key.hex() not in fp and key.decode() not in fp
        assert fp != hashlib.sha256(key).hexdigest()  # not a plain hash of the key, which could be tried


def _fsl_file(folder: Path, name: str, dossiers: list[str]) -> Path:
    return write_csv(folder / name, [fsl_row(**{"N° dossier": d}) for d in dossiers])


def _tables(con) -> dict[str, list]:
    names = [t for t, in con.execute("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'").fetchall()]
    return {t: sorted(map(str, con.execute(f"SELECT * FROM raw.{t}").fetchall())) for t in names}


def test_the_loader_records_its_key_and_loads_nothing_under_another(tmp_path):
    depot = tmp_path / "fsl"
    _fsl_file(depot, "fsl_2024-04_extrait_2024-05-06.csv", ["FSL-1", "FSL-2"])
    con = connect(tmp_path / "entrepot.duckdb")
    try:
        first = Loader(con, b"cle-a")
        assert first.key_note and "premier chargement" in first.key_note
        first.load_source(FSL, depot)
        assert con.execute("SELECT count(*) FROM raw.fsl").fetchone()[0] == 2
        [(fp, origin)] = con.execute("SELECT empreinte, origine FROM raw.cle_pseudonymisation").fetchall()
        assert fp == key_custody.fingerprint(b"cle-a") and "cle-a" not in origin
        assert Loader(con, b"cle-a").key_note is None  # the same key: nothing to say
        _fsl_file(depot, "fsl_2024-05_extrait_2024-06-05.csv", ["FSL-1", "FSL-3"])  # FSL-1 delivered again
        before = _tables(con)
        with pytest.raises(key_custody.KeyMismatch, match="clé de pseudonymisation"):
            Loader(con, b"cle-b").load_source(FSL, depot)
        assert _tables(con) == before
    finally:
        con.close()


def test_an_existing_warehouse_without_fingerprint_adopts_the_key_and_says_so(tmp_path):
    depot = tmp_path / "fsl"
    _fsl_file(depot, "fsl_2024-04_extrait_2024-05-06.csv", ["FSL-1"])
    path = tmp_path / "entrepot.duckdb"
    con = connect(path)
    Loader(con, b"cle-a").load_source(FSL, depot)
    con.execute("DROP TABLE raw.cle_pseudonymisation")  # as a warehouse built before key custody
    con.close()
    assert "pas encore d'empreinte" in key_custody.check_published(path, b"cle-a")
    con = connect(path)
    try:
        note = Loader(con, b"cle-a").key_note
        assert "adoptée" in note and "supposée être celle des chargements précédents" in note
        assert key_custody.recorded(con) == key_custody.fingerprint(b"cle-a")
    finally:
        con.close()
    assert key_custody.check_published(path, b"cle-a") is None
    with pytest.raises(key_custody.KeyMismatch, match="observatoire changer-cle"):
        key_custody.check_published(path, b"cle-b")


def test_missing_and_changed_files_are_listed(tmp_path):
    depot = tmp_path / "depot"
    names = [f"fsl_2024-0{m}_extrait_2024-0{m + 1}-05.csv" for m in (4, 5, 6)]
    for i, name in enumerate(names):
        _fsl_file(depot / "fsl", name, [f"FSL-{i}"])
    path = tmp_path / "entrepot.duckdb"
    con = connect(path)
    Loader(con, b"cle-a").load_source(FSL, depot / "fsl")
    con.close()
    assert key_custody.files_not_in_depot(path, depot) == (3, [])
    (depot / "fsl" / names[0]).unlink()
    _fsl_file(depot / "fsl", names[2], ["FSL-autre"])
    n, missing = key_custody.files_not_in_depot(path, depot)
    assert n == 3
    assert [m.ligne() for m in missing] == [f"fsl/{names[0]} (absent du dépôt)",
                                            f"fsl/{names[2]} (contenu modifié depuis son chargement)"]


# --- on the demo, end to end -----------------------------------------------------------------------------------------
def checksum(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _copy(demo: Demo, folder: Path) -> Demo:
    shutil.copytree(demo.data_dir, folder, ignore=shutil.ignore_patterns("entrepot", "journaux", "rapports"))
    return Demo(folder, demo_environment(folder), demo.rows_written)


def _redeliver_200_demands(d: Demo) -> Path:
    """A new SNE file carrying again 200 demands of the latest extract (same lines, later extraction date)."""
    folder = d.depot / "sne_demandes"
    latest = max(folder.iterdir(), key=lambda p: p.name.split("_extrait_")[1])
    lines = latest.read_bytes().splitlines(keepends=True)
    assert len(lines) > 201
    period = latest.name.split("_")[2]
    new = folder / f"sne_demandes_{period}_extrait_2024-07-15.csv"
    new.write_bytes(b"".join(lines[:201]))
    return new


def _counts(path: Path) -> dict[str, object]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            "raw": con.execute("SELECT count(*) FROM raw.sne_demandes").fetchone()[0],
            "staging": con.execute("SELECT count(*) FROM staging.stg_sne__demandes").fetchone()[0],
            "empreinte": key_custody.recorded(con),
            "pseudonymes": {r[0] for r in con.execute(
                "SELECT numero_unique FROM staging.stg_sne__demandes USING SAMPLE 500 ROWS").fetchall()},
        }
    finally:
        con.close()


@pytest.fixture(scope="module")
def rotated(demo, tmp_path_factory):
    """A copy of the demo that received 200 re-delivered demands, refreshed under another key (refused), rotated
    with a dépôt missing a file (refused), then rotated with the whole dépôt."""
    d = _copy(demo, tmp_path_factory.mktemp("rotation") / "data")
    before, published = _counts(d.published), checksum(d.published)
    _redeliver_200_demands(d)
    outcomes = {"refresh_other_key": d.observatoire("actualiser", check=False, OBSERVATOIRE_CLE_PSEUDO=NEW_KEY),
                "published_after_refresh": checksum(d.published)}
    gone = sorted((d.depot / "fsl").iterdir())[0]
    kept = gone.with_name(gone.name + ".mis_de_cote")
    gone.rename(kept)
    outcomes["rotation_missing_file"] = d.observatoire("changer-cle", check=False, OBSERVATOIRE_CLE_PSEUDO=NEW_KEY)
    outcomes["published_after_refused_rotation"] = checksum(d.published)
    outcomes["missing_file"] = gone.name
    kept.rename(gone)
    outcomes["rotation"] = d.observatoire("changer-cle", check=False, OBSERVATOIRE_CLE_PSEUDO=NEW_KEY)
    outcomes["after"] = _counts(d.published)
    outcomes["old_key_afterwards"] = d.observatoire("actualiser", check=False)  # the demo's key: refused now
    return d, before, published, outcomes


def test_a_refresh_under_another_key_stops_before_loading_anything(rotated):
    _, _, published, outcomes = rotated
    result = outcomes["refresh_other_key"]
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert "clé de pseudonymisation" in result.stderr and "Rien n'a été chargé" in result.stderr
    assert "observatoire changer-cle" in result.stderr
    assert "Actualisation en cours" not in result.stdout  # stopped before the job started
    assert outcomes["published_after_refresh"] == published


def test_a_rotation_is_refused_while_a_loaded_file_is_missing(rotated):
    _, _, published, outcomes = rotated
    result = outcomes["rotation_missing_file"]
    assert result.returncode == 2, result.stdout[-2000:] + result.stderr[-2000:]
    assert f"fsl/{outcomes['missing_file']} (absent du dépôt)" in result.stderr
    assert "clé de pseudonymisation refusé" in result.stderr
    assert outcomes["published_after_refused_rotation"] == published


def test_a_rotation_rebuilds_under_the_new_key_without_counting_anything_twice(rotated):
    _, before, _, outcomes = rotated
    result = outcomes["rotation"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    after = outcomes["after"]
    assert after["empreinte"] == key_custody.fingerprint(NEW_KEY.encode())
    assert before["empreinte"] == key_custody.fingerprint(DEMO_KEY.encode())
    assert after["raw"] == before["raw"] + 200  # the re-delivered lines are loaded...
    assert after["staging"] == before["staging"]  # ...and replace their earlier versions: not one demand more
    assert not after["pseudonymes"] & before["pseudonymes"]  # every identifier hashed again under the new key
    refused = outcomes["old_key_afterwards"]
    assert refused.returncode == 2 and "clé de pseudonymisation" in refused.stderr


def test_the_first_refresh_of_a_warehouse_without_fingerprint_adopts_the_key_and_says_so(demo, tmp_path):
    d = _copy(demo, tmp_path / "data")
    d.published.chmod(0o644)
    con = duckdb.connect(str(d.published))
    con.execute("DROP TABLE raw.cle_pseudonymisation")  # as a warehouse published before key custody
    con.close()
    d.published.chmod(0o444)
    result = d.observatoire("actualiser")
    assert "pas encore d'empreinte de clé de pseudonymisation : la clé actuelle est adoptée" in result.stdout
    assert _counts(d.published)["empreinte"] == key_custody.fingerprint(DEMO_KEY.encode())
