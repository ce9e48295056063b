"""What replaces a personal value as a file is read: case numbers become an HMAC-SHA256 pseudonym (a TEMP
macro holding the key, never stored in the warehouse file), birth dates become an age band at the extraction
date. Custody of the key itself (its fingerprint in the warehouse) is observatoire/ingestion/key_custody.py."""

from __future__ import annotations

import csv
import hashlib
from datetime import date

from observatoire.settings import NOMENCLATURES_DIR
from observatoire.warehouse import literal

PSEUDONYM_MACRO = "pseudonyme"


def pseudonym_sql(value: str) -> str:
    """SQL: the pseudonym of a case number (the macro of ``install_pseudonym_macro``)."""
    return f"{PSEUDONYM_MACRO}({value})"


def install_pseudonym_macro(con, key: bytes) -> None:
    """HMAC-SHA256 written in SQL so that clear numbers never leave DuckDB's reader; the macro is TEMP, so the
    key is never stored in the warehouse file."""
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    ipad = bytes(b ^ 0x36 for b in block).hex()
    opad = bytes(b ^ 0x5C for b in block).hex()
    con.execute(
        f"CREATE OR REPLACE TEMP MACRO {PSEUDONYM_MACRO}(x) AS CASE WHEN nullif(trim(x), '') IS NULL THEN NULL "
        f"ELSE sha256(unhex('{opad}') || unhex(sha256(unhex('{ipad}') || encode(trim(x))))) END"
    )


def age_band_sql(birth: str, on: date) -> str:
    """The age band at ``on`` of a birth date (TIMESTAMP expression), NULL if unknown or later than ``on``.

    The birth date is used once (age = (on as YYYYMMDD - birth as YYYYMMDD) div 10000) and the band is read
    from a list indexed by age: a CASE per band evaluated the date parsing once per band and row."""
    with open(NOMENCLATURES_DIR / "tranches_age.csv", encoding="utf-8") as f:
        bands = list(csv.DictReader(f))
    oldest = max(int(b["age_max"]) for b in bands)
    by_age = ["NULL"]  # index 1: a negative age (birth after the extraction)
    for age in range(oldest + 1):
        code = next((b["code_tranche_age"] for b in bands if int(b["age_min"]) <= age <= int(b["age_max"])), None)
        by_age.append(literal(code) if code else "NULL")
    age = f"floor(({on:%Y%m%d} - strftime({birth}, '%Y%m%d')::INTEGER) / 10000)::INTEGER"
    return f"[{', '.join(by_age)}][greatest({age}, -1) + 2]"
