"""Every value the ingestion accepts casts in staging, to the value the producers' format means; every value it
refuses is quarantined with its value.

Values at the edges of each column kind's range (hand-written) and random ones are written into one FSL extract
(every kind has a column there), loaded by the Loader, then staged by the real dbt staging model. The expected
meaning of each text is computed here, in Python, from the documented formats (docs/sources/README.md), not by
the macros under test.
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import os
import random
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from observatoire.extracts import FSL
from observatoire.ingestion.loader import Loader
from observatoire.settings import GEOGRAPHY_DIR, NOMENCLATURES_DIR, PROJECT_DIR
from observatoire.warehouse import connect
from tests.fabrique import fsl_row, write_csv

KEY = b"cle-de-test-formats"
EXTRACTED = date(2024, 8, 5)
FILE = f"fsl_2024-07_extrait_{EXTRACTED}.csv"
INT_MIN, INT_MAX = -(2**31), 2**31 - 1
AMOUNT_MAX = Decimal("999999999999.99")
EXACT_MAX = 2**53 - 1  # 2^53 is also the double of 2^53 + 1


# --- what each text means, written from the producers' documentation ----------------------------------------------
def as_integer(text: str):
    return int(text) if re.fullmatch(r"-?[0-9]+", text) and INT_MIN <= int(text) <= INT_MAX else None


def as_amount(text: str):
    bare = re.sub("[ \u00a0\u202f]", "", text)
    if not re.fullmatch(r"-?[0-9]+([,.][0-9]{1,2})?", bare):
        return None
    value = Decimal(bare.replace(",", "."))
    return value if abs(value) <= AMOUNT_MAX else None


def as_date(text: str):
    m = re.fullmatch(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})", text)
    if not m or not 1900 <= int(m.group(3)) <= 2099:
        return None
    try:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        return None


def as_boolean(text: str):
    return {"O": True, "N": False}.get(text)


def as_code_text(text: str):
    """A code as the producer meant it: text as delivered, or the exact digits of a number a spreadsheet wrote
    with a decimal separator or an exponent (None when those digits cannot be known)."""
    if re.fullmatch(r"[0-9]+", text) or not re.fullmatch(r"-?[0-9]+([.,][0-9]*)?([eE][+-]?[0-9]+)?", text):
        return text
    value = Decimal(text.replace(",", "."))
    if value != value.to_integral_value() or not 0 <= value <= EXACT_MAX:
        return None
    return str(int(value))


def seed_codes(path: Path, column: int | str = 0) -> set[str]:
    with open(path, encoding="utf-8", newline="") as f:
        if isinstance(column, int):
            return {r[column] for r in list(csv.reader(f))[1:] if r}
        return {r[column] for r in csv.DictReader(f)}


# --- generated values -----------------------------------------------------------------------------------------------
def integers(rng: random.Random) -> list[str]:
    edges = [str(INT_MIN), str(INT_MAX), str(INT_MIN - 1), str(INT_MAX + 1), "0", "-0", "007", "99999999999",
             "1", "+5", "5.0", "1e3", "1_000", "12 000", "0x10", "５", "-", "1-2"]
    randoms = [str(rng.choice([1, -1]) * rng.randrange(10 ** rng.randrange(1, 13))) for _ in range(40)]
    return edges + randoms


def amounts(rng: random.Random) -> list[str]:
    edges = ["0", "0,00", "999999999999,99", "999999999999.99", "1000000000000,00", "1000000000000",
             "1234567890123,45", "999999999999,995", "12,345", "12,3", "12.5", "1 234,56", "1\u00a0234,56",
             "1\u202f234,56", ",5", "5,", "1e3", "1.234,56", "+1", "--1", "1,2,3", "9" * 40]
    randoms = []
    for _ in range(40):
        whole = rng.randrange(10 ** rng.randrange(1, 15))
        randoms.append(f"{whole},{rng.randrange(100):02d}" if rng.random() < 0.7 else f"{whole}.{rng.randrange(10)}")
    return edges + randoms


def dates(rng: random.Random) -> list[str]:
    edges = ["01/01/1900", "31/12/1899", "01/01/0000", "1/1/2000", "29/02/2024", "29/02/2023", "31/04/2024",
             "00/01/2024", "01/13/2024", "32/01/2024", "05/08/2024", "06/08/2024", "2024-03-01", "1/1/24",
             "05/06/2024 00:00", "31/12/2099", "01/01/2100", "1/01/2024"]
    randoms = [f"{rng.randrange(0, 33):02d}/{rng.randrange(0, 14):02d}/{rng.randrange(1890, 2030)}" for _ in range(40)]
    return edges + randoms


def booleans(rng: random.Random) -> list[str]:
    return ["O", "N", "o", "n", "Oui", "Non", "0", "1", "OO", "V", "F"]


def communes(rng: random.Random) -> list[str]:
    edges = ["62041", "62041.0", "62041,0", "6.2041e4", "6,2041E+04", "062041", "62041.5", "-62041", "1e20",
             "62000", "59350", "62041.00", "6.2041E+4"]
    return edges + [str(rng.randrange(62000, 62999)) + rng.choice(["", ".0", ",0"]) for _ in range(30)]


def codes(rng: random.Random) -> list[str]:
    return ["ACCES", "acces", "ENERGIE", "INCONNU", "1", "1.0", "ACCES-", "EAU"]


def identifiers(rng: random.Random) -> list[str]:
    edges = ["6.2191e+16", "9007199254740990", "9.007199254740991e15", "9.007199254740992e15", "1e20", "-5",
             "-5.0", "1.5", "0.30000000000000004", "6.2041e4", "62042,0", "1e-7", "2.0E+3", "0.0"]
    randoms = []
    for _ in range(30):
        n = rng.randrange(10 ** rng.randrange(1, 18))
        digits = str(n)
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        randoms.append(rng.choice([f"{mantissa}e+{len(digits) - 1:02d}", f"{n}.0", f"{mantissa}E{len(digits) - 1}"]))
    return edges + randoms


@dataclass(frozen=True)
class Kind:
    header: str
    values: object  # generator of texts
    meaning: object  # text -> typed value, None when invalid
    staged: str  # staging column


KINDS = {
    "entier": Kind("Nombre de personnes", integers, as_integer, "nb_personnes"),
    "decimal": Kind("Montant accordé", amounts, as_amount, "montant_accorde"),
    "date": Kind("Date de dépôt", dates, as_date, "date_depot"),
    "booleen": Kind("Garantie de loyer", booleans, as_boolean, "garantie_loyer"),
    "commune": Kind("Code commune", communes, as_code_text, "code_commune_extrait"),
    "code": Kind("Volet", codes, as_code_text, "volet"),
    "identifiant": Kind("N° dossier", identifiers, as_code_text, "numero_dossier"),
}


def pseudonym(text: str) -> str:
    return hmac.new(KEY, text.encode("utf-8"), hashlib.sha256).hexdigest()


@dataclass
class Case:
    line: int
    kind: str
    text: str
    meaning: object
    dossier: str  # the clear case number of the row


@pytest.fixture(scope="module")
def staged(tmp_path_factory):
    """The generated extract loaded by the Loader, then staged by dbt (the real staging model and its seeds)."""
    rng = random.Random(20261202)
    folder = tmp_path_factory.mktemp("formats")
    rows, cases = [], []
    for kind_name, kind in KINDS.items():
        for text in kind.values(rng):
            dossier = f"FSL-FMT-{len(rows):06d}"
            row = fsl_row(**{"N° dossier": dossier, "Date de décision": "", "Décision": "", "Forme de l'aide": "",
                             "Logement identifié": ""})
            row[kind.header] = text
            if kind_name == "identifiant":
                dossier = text
            rows.append(row)
            cases.append(Case(len(rows) + 1, kind_name, text, kind.meaning(text.strip(" ")), dossier))
    write_csv(folder / "depot" / "fsl" / FILE, rows)
    warehouse = folder / "observatoire.duckdb"
    con = connect(warehouse)
    try:
        [result] = Loader(con, KEY, workers=1).load_source(FSL, folder / "depot" / "fsl")
    finally:
        con.close()
    assert result.statut == "CHARGE", result.message
    env = {k: v for k, v in os.environ.items() if not k.startswith("OBSERVATOIRE_")}
    env |= {"OBSERVATOIRE_ENTREPOT": str(warehouse), "DO_NOT_TRACK": "1"}
    dbt = Path(sys.executable).parent / "dbt"
    run = subprocess.run(
        [str(dbt), "build", "--select", f"+{FSL.staging}", "--exclude", "resource_type:test",
         "resource_type:unit_test", "--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
         "--target-path", str(folder / "target"), "--log-path", str(folder / "logs")],
        env=env, capture_output=True, text=True, timeout=900, cwd=folder)
    assert run.returncode == 0, run.stdout[-5000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rejects: dict[int, list[tuple]] = {}
        for line, column, value, reason in con.execute(
                "SELECT ligne, colonne, valeur, motif FROM raw.rejets WHERE fichier = ?", [FILE]).fetchall():
            rejects.setdefault(line, []).append((column, value, reason))
        columns = ["numero_dossier", *(k.staged for k in KINDS.values() if k.staged != "numero_dossier")]
        stage = {r[0]: dict(zip(columns, r, strict=True)) for r in con.execute(
            f"SELECT {', '.join(columns)} FROM staging.{FSL.staging}").fetchall()}
        raw_count = con.execute("SELECT count(*) FROM raw.fsl").fetchone()[0]
    finally:
        con.close()
    return cases, rejects, stage, raw_count


def test_the_generated_values_reach_every_edge(staged):
    cases, rejects, stage, _ = staged
    for kind in KINDS:
        accepted = [c for c in cases if c.kind == kind and c.line not in rejects]
        refused = [c for c in cases if c.kind == kind and c.line in rejects]
        assert accepted and refused, kind
    accepted = {c.text for c in cases if c.line not in rejects}
    assert {str(INT_MAX), str(INT_MIN), "999999999999,99", "01/01/1900", "9.007199254740991e15"} <= accepted


def test_every_accepted_value_casts_in_staging_to_what_it_means(staged):
    cases, rejects, stage, raw_count = staged
    accepted = [c for c in cases if c.line not in rejects]
    assert raw_count == len(accepted) == len(stage)
    for c in accepted:
        assert c.meaning is not None, f"ligne {c.line} : {c.text!r} accepté sans être une valeur de type {c.kind}"
        key = pseudonym(as_code_text(c.dossier) if c.kind == "identifiant" else c.dossier)
        row = stage[key]
        if c.kind != "identifiant":
            assert row[KINDS[c.kind].staged] == c.meaning, (c, row)


def test_every_refused_value_is_quarantined_with_its_value(staged):
    cases, rejects, _, _ = staged
    business = ("date postérieure à la date d'extraction", "code inconnu de la liste",
                "code commune inconnu du COG", "montant négatif")
    known_codes = seed_codes(NOMENCLATURES_DIR / "fsl_volets.csv")
    known_communes = seed_codes(GEOGRAPHY_DIR / "correspondance_communes.csv", "code_commune_origine")
    for c in cases:
        if c.line not in rejects:
            continue
        [(column, value, reason)] = rejects[c.line]
        assert column == KINDS[c.kind].header and reason, (c, rejects[c.line])
        # The value is shown, except an identifier's, which never reaches the warehouse in clear; a code is shown
        # as it was read (a spreadsheet's 62941.0 is the code 62941), or as delivered when it could not be read.
        shown = {"identifiant": None, "code": c.meaning, "commune": c.meaning}.get(c.kind) or c.text.strip(" ")
        assert value == (None if c.kind == "identifiant" else shown), (c, value)
        if c.meaning is not None:  # a well-formed value refused by a business rule, which says so
            assert any(reason.startswith(b) for b in business), (c, reason)
            refusal = {"date": lambda v: v > EXTRACTED, "decimal": lambda v: v < 0,
                       "code": lambda v: v not in known_codes, "commune": lambda v: v not in known_communes}
            assert c.kind in refusal and refusal[c.kind](c.meaning), (c, reason)
