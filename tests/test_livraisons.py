"""Deliveries of the dépôt as an adversary makes them (issue 12, points 4 and 5): a file delivered again under
its name, a file dated after today, content changed behind a restored modification time, symbolic links
leading out of the dépôt, sub-directories. Expected outcomes are computed here from the files themselves
(csv module, Python's hmac), never with the loader's SQL."""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import KEY as DEMO_KEY
from conftest import Demo, demo_environment

from observatoire.extracts import SOURCES
from observatoire.ingestion.loader import Loader
from observatoire.quality import report as quality_report
from tests import test_ingestion
from tests.fabrique import fsl_row, write_csv

KEY = b"cle-de-test-livraisons"
NAME = "fsl_2024-03_extrait_2024-04-05.csv"
warehouse = test_ingestion.warehouse  # a fixture: an empty warehouse file


def load(con, depot: Path, today: date | None = None, source: str = "fsl"):
    return Loader(con, KEY, today=today).load_source(SOURCES[source], depot / source)


def pseudonym(number: str, key: bytes = KEY) -> str:
    return hmac.new(key, number.strip().encode(), hashlib.sha256).hexdigest()


def journal(con, name: str) -> list[tuple]:
    return con.execute("SELECT sha256, statut FROM raw.journal_chargements WHERE fichier = ? ORDER BY charge_le",
                       [name]).fetchall()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def rows(n: int, first: int = 1, **changes: str) -> list[dict[str, str]]:
    return [fsl_row(**{"N° dossier": f"FSL-2024-{first + i:06d}", **changes}) for i in range(n)]


# --- a file delivered again under its name ------------------------------------------------------------------
def test_a_file_delivered_again_under_its_name_is_a_new_delivery(warehouse, tmp_path):
    path = write_csv(tmp_path / "fsl" / NAME, rows(3))
    first_sha = sha(path)
    [first] = load(warehouse, tmp_path)
    corrected = rows(3)
    corrected[1]["Montant accordé"] = "812,50"
    corrected[2]["N° dossier"] = "FSL-2024-000099"  # a case number corrected by the producer
    write_csv(path, corrected)
    [second] = load(warehouse, tmp_path)
    assert (first.statut, second.statut) == ("CHARGE", "CHARGE")
    assert journal(warehouse, NAME) == [(first_sha, "CHARGE"), (sha(path), "CHARGE")]
    # Both copies stay in raw (the ledger and the rows say what was delivered when)...
    assert warehouse.execute("SELECT count(DISTINCT _sha256), count(DISTINCT _charge_le), count(*) FROM raw.fsl "
                             "WHERE _fichier = ?", [NAME]).fetchone() == (2, 2, 6)
    # ...and the same content once more under the same name is recognised: nothing is loaded again.
    assert load(warehouse, tmp_path) == []


def delivered_then_corrected(con, depot: Path) -> tuple[Path, bytes]:
    """A file loaded, then corrected under its name and loaded again: its path and its first content."""
    path = write_csv(depot / "fsl" / NAME, rows(2))
    original = path.read_bytes()
    load(con, depot)
    write_csv(path, rows(2, **{"Montant accordé": "100,00"}))
    load(con, depot)
    return path, original


def test_the_earlier_content_delivered_again_is_a_third_delivery(warehouse, tmp_path):
    """A correction withdrawn: the original content comes back under the same name and is current again."""
    path, original = delivered_then_corrected(warehouse, tmp_path)
    path.write_bytes(original)
    [third] = load(warehouse, tmp_path)
    assert third.statut == "CHARGE"
    shas = [s for s, _ in journal(warehouse, NAME)]
    assert len(shas) == 3 and shas[0] == shas[2] != shas[1]


def test_the_content_of_a_replaced_delivery_under_another_name_is_not_a_duplicate(warehouse, tmp_path):
    _, old = delivered_then_corrected(warehouse, tmp_path)
    (tmp_path / "fsl" / "fsl_2024-03_extrait_2024-04-05_bis.csv").write_bytes(old)
    [result] = load(warehouse, tmp_path)
    assert result.statut == "CHARGE", result.message


def test_loads_are_ordered_even_within_one_second(warehouse, tmp_path):
    """Deliveries of one name are ordered by their load time: two loaders started in the same second must not
    share it (the second delivery would be indistinguishable from the first)."""
    path = write_csv(tmp_path / "fsl" / NAME, rows(1))
    times = []
    for amount in ("1,00", "2,00", "3,00"):
        write_csv(path, rows(1, **{"Montant accordé": amount}))
        loader = Loader(warehouse, KEY)
        loader.load_source(SOURCES["fsl"], tmp_path / "fsl")
        times.append(loader.loaded_at)
    assert times == sorted(set(times))


# --- change detection ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("how", ["os.utime", "cp -p"])
def test_content_changed_with_size_and_mtime_restored_is_seen(warehouse, tmp_path, how):
    path = write_csv(tmp_path / "fsl" / NAME, rows(2))
    load(warehouse, tmp_path)
    before = path.stat()
    edited = path.read_bytes().replace(b"712,50", b"812,50")
    assert len(edited) == before.st_size and edited != path.read_bytes()
    if how == "os.utime":  # edited in place, then the times put back
        path.write_bytes(edited)
        os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    else:  # a copy keeping the times of its source, as cp -p and rsync -t do
        other = tmp_path / "ailleurs.csv"
        other.write_bytes(edited)
        os.utime(other, ns=(before.st_atime_ns, before.st_mtime_ns))
        shutil.copy2(other, path)
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    [result] = load(warehouse, tmp_path)
    assert result.statut == "CHARGE"
    assert [s for s, _ in journal(warehouse, NAME)][-1] == sha(path)


def test_an_untouched_dépôt_is_not_read_again(warehouse, tmp_path, monkeypatch):
    import observatoire.ingestion.loader as ingestion

    write_csv(tmp_path / "fsl" / NAME, rows(2))
    load(warehouse, tmp_path)
    read = []
    monkeypatch.setattr(ingestion, "sha256_file", lambda p: read.append(p) or sha(p))
    assert load(warehouse, tmp_path) == [] and read == []


# --- a file dated after today ---------------------------------------------------------------------------------
def test_a_file_dated_after_today_waits_then_loads_once_the_date_has_passed(warehouse, tmp_path):
    name = "fsl_2024-11_extrait_2024-12-05.csv"
    write_csv(tmp_path / "fsl" / name, rows(2))
    for today in (date(2024, 12, 2), date(2024, 12, 4)):  # examined again at each refresh
        [result] = load(warehouse, tmp_path, today=today)
        assert result.statut == "EN_ATTENTE"
        assert name in result.message and "05/12/2024" in result.message and "en attente" in result.message
        assert warehouse.execute("SELECT count(*) FROM raw.fsl").fetchone()[0] == 0
    [result] = load(warehouse, tmp_path, today=date(2024, 12, 5))
    assert result.statut == "CHARGE" and result.nb_lignes_chargees == 2
    assert [s for _, s in journal(warehouse, name)] == ["EN_ATTENTE", "EN_ATTENTE", "CHARGE"]
    assert load(warehouse, tmp_path, today=date(2024, 12, 6)) == []


def test_a_file_dated_after_today_with_a_definitive_fault_is_refused_at_once(warehouse, tmp_path):
    """Waiting would only delay the producer's correction: the fault is told now, and the file not read again."""
    name = "fsl_2024-11_extrait_2024-12-05.csv"
    (tmp_path / "fsl").mkdir()
    (tmp_path / "fsl" / name).write_bytes(b"")
    [refused] = load(warehouse, tmp_path, today=date(2024, 12, 1))
    assert refused.statut == "REFUSE" and "fichier vide" in refused.message
    assert load(warehouse, tmp_path, today=date(2024, 12, 10)) == []  # refused for good: not examined again


def test_the_reference_date_of_the_environment_is_the_loaders_today(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("OBSERVATOIRE_DATE_REFERENCE", "2024-04-04")
    write_csv(tmp_path / "fsl" / NAME, rows(1))
    [result] = Loader(warehouse, KEY).load_source(SOURCES["fsl"], tmp_path / "fsl")
    assert result.statut == "EN_ATTENTE"


# --- what the folder holds -----------------------------------------------------------------------------------
def test_a_symbolic_link_out_of_the_dépôt_is_refused_and_never_read(warehouse, tmp_path):
    outside = write_csv(tmp_path / "ailleurs" / "secret.csv", rows(2))
    (tmp_path / "depot" / "fsl").mkdir(parents=True)
    link = tmp_path / "depot" / "fsl" / NAME
    link.symlink_to(outside)
    broken = tmp_path / "depot" / "fsl" / "fsl_2024-04_extrait_2024-05-06.csv"
    broken.symlink_to(tmp_path / "depot" / "fsl" / "absent.csv")
    results = load(warehouse, tmp_path / "depot")
    assert [(r.fichier, r.statut) for r in results] == [(NAME, "REFUSE"), (broken.name, "REFUSE")]
    assert "lien symbolique" in results[0].message and str(outside) in results[0].message
    assert warehouse.execute("SELECT count(*) FROM raw.fsl").fetchone()[0] == 0
    assert sha(outside) not in {s for s, in warehouse.execute("SELECT sha256 FROM raw.journal_chargements")
                                .fetchall()}
    assert load(warehouse, tmp_path / "depot") == []  # refused once, not every refresh


def test_a_symbolic_link_inside_the_dépôt_is_followed(warehouse, tmp_path):
    archive = write_csv(tmp_path / "depot" / "archives" / "fsl_mars.csv", rows(2))
    (tmp_path / "depot" / "fsl").mkdir(parents=True)
    (tmp_path / "depot" / "fsl" / NAME).symlink_to(archive)
    [result] = load(warehouse, tmp_path / "depot")
    assert (result.statut, result.nb_lignes_chargees) == ("CHARGE", 2)


def test_a_sub_directory_is_reported_as_ignored(warehouse, tmp_path):
    write_csv(tmp_path / "depot" / "fsl" / "archives" / "fsl_2024-02_extrait_2024-03-05.csv", rows(2))
    write_csv(tmp_path / "depot" / "fsl" / NAME, rows(1))
    results = load(warehouse, tmp_path / "depot")
    assert [r.fichier for r in results] == [NAME]
    report = quality_report.build(tmp_path / "absent.duckdb", datetime(2024, 4, 6), True,
                                        tmp_path / "publie.duckdb", [], depot=tmp_path / "depot")
    text = quality_report.texte(report)
    assert "archives/ : sous-dossier ignoré" in text
    page = quality_report.write_html(report, tmp_path / "qualite.html").read_text(encoding="utf-8")
    assert "archives/ : sous-dossier ignoré" in page


# --- end to end: a published demo, then deliveries ---------------------------------------------------------
def _fsl_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def _published(d: Demo, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(d.published), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_corrected_file_under_its_name_and_a_future_file_end_to_end(demo, tmp_path):
    """A published demo; one loaded FSL file is corrected (one amount changed, one case number changed, one
    line removed) and dropped again under its name, with next month's file dated after the reference date.
    The refresh publishes (exit 0); staging holds exactly the case numbers the files now hold, with the
    corrected amount; the ledger keeps both sha256; the future file waits, then loads once the date has
    passed; a further refresh is not blocked."""
    d = Demo(tmp_path / "data", demo_environment(tmp_path / "data"), demo.rows_written)
    shutil.copytree(demo.data_dir, d.data_dir, ignore=shutil.ignore_patterns("entrepot", "journaux", "rapports"))
    folder = d.depot / "fsl"
    files = sorted(folder.glob("fsl_*.csv"))
    target = files[-3]
    header = target.read_text(encoding="utf-8-sig").splitlines()[0].split(";")
    lines = _fsl_rows(target)
    old_sha = sha(target)
    changed, renumbered, removed = lines[0], lines[1], lines.pop(2)
    changed["Montant accordé"] = "1234,56"
    renumbered["N° dossier"] = "FSL-CORRIGE-000001"
    with open(target, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=header, delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(lines)
    last = max(date.fromisoformat(p.stem.rsplit("_", 1)[1]) for p in files)
    future = folder / f"fsl_2099-01_extrait_{last + timedelta(days=40):%Y-%m-%d}.csv"
    write_csv(future, rows(3, first=990001))
    reference = last + timedelta(days=15)

    first = d.observatoire("actualiser", OBSERVATOIRE_DATE_REFERENCE=reference.isoformat())
    assert "Fichiers en attente" in first.stdout and future.name in first.stdout

    # Independently of the loader: every case number of the files now in the dépôt (FSL numbers are
    # delivered once), minus the lines the warehouse quarantined (named by file and line).
    rejected = set(_published(d, "SELECT fichier, ligne FROM raw.rejets WHERE source = 'fsl'"))
    demo_key = DEMO_KEY.encode()
    expected = {pseudonym(r["N° dossier"], demo_key) for p in files for i, r in enumerate(_fsl_rows(p), start=2)
                if (p.name, i) not in rejected}
    staged = dict(_published(d, "SELECT numero_dossier, montant_accorde::VARCHAR FROM staging.stg_fsl__demandes_aide"))
    assert set(staged) == expected
    elsewhere = {r["N° dossier"] for p in files if p != target for r in _fsl_rows(p)}
    assert (pseudonym(removed["N° dossier"], demo_key) in staged) == (removed["N° dossier"] in elsewhere)
    assert pseudonym("FSL-CORRIGE-000001", demo_key) in staged
    assert staged[pseudonym(changed["N° dossier"], demo_key)] == "1234.56"
    assert _published(d, "SELECT sha256 FROM raw.journal_chargements WHERE fichier = ? AND statut = 'CHARGE' "
                         "ORDER BY charge_le", [target.name]) == [(old_sha,), (sha(target),)]
    assert _published(d, "SELECT statut FROM raw.journal_chargements WHERE fichier = ?", [future.name]) == [
        ("EN_ATTENTE",)]

    # The future file's date passes, and another loaded file comes back broken under its name: refused, its
    # loaded delivery stays in force, and the refusal does not hide the file loaded in the same run.
    broken = files[-4]
    kept = {pseudonym(r["N° dossier"], demo_key) for r in _fsl_rows(broken)}
    broken.write_bytes(b"")
    later = last + timedelta(days=45)
    second = d.observatoire("actualiser", OBSERVATOIRE_DATE_REFERENCE=later.isoformat())
    assert "La livraison précédente de ce fichier reste en vigueur." in second.stdout
    assert _published(d, "SELECT statut FROM raw.journal_chargements WHERE fichier = ? ORDER BY charge_le",
                      [future.name]) == [("EN_ATTENTE",), ("CHARGE",)]
    assert _published(d, "SELECT statut FROM raw.journal_chargements WHERE fichier = ? ORDER BY charge_le",
                      [broken.name]) == [("CHARGE",), ("REFUSE",)]
    assert kept <= {k for k, in _published(d, "SELECT numero_dossier FROM staging.stg_fsl__demandes_aide")}
    assert {pseudonym(f"FSL-2024-{n:06d}", demo_key) for n in range(990001, 990004)} <= {
        k for k, in _published(d, "SELECT numero_dossier FROM staging.stg_fsl__demandes_aide")}
    again = d.observatoire("actualiser", OBSERVATOIRE_DATE_REFERENCE=later.isoformat())
    assert "Fichiers refusés : 0" in again.stdout
