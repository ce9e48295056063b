"""Periods of the extract files and their extraction dates (the date written in the file name)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from observatoire.demo.common import month_index, month_of
from observatoire.extracts import file_name

FIRST_MONTH = month_index(2018, 1)
MONTHLY_EXTRACTION_DAY = 5  # the 5th of the next month
QUARTERLY_EXTRACTION_DAY = 10  # ~10 days after the quarter's end
PPPI_DELIVERY = (2, 10, 15)  # millésime + 2 years, 15 October


@dataclass(frozen=True)
class FileSpec:
    source: str
    period: str
    extracted: date
    fmt: str = "csv"
    encoding: str = "utf-8"

    @property
    def name(self) -> str:
        return file_name(self.source, self.period, self.extracted, self.fmt)


def parse_month(value: str) -> int:
    try:
        year, month = value.split("-")
        y, m = int(year), int(month)
        if not 1 <= m <= 12 or len(year) != 4:
            raise ValueError
    except ValueError:
        raise ValueError(f"mois invalide « {value} » (attendu AAAA-MM)") from None
    return month_index(y, m)


def month_label(m: int) -> str:
    y, mo = month_of(m)
    return f"{y:04d}-{mo:02d}"


def first_day(m: int) -> date:
    y, mo = month_of(m)
    return date(y, mo, 1)


def last_day(m: int) -> date:
    return first_day(m + 1) - timedelta(days=1)


def monthly_extraction(m: int) -> date:
    return first_day(m + 1).replace(day=MONTHLY_EXTRACTION_DAY)


def quarters(first: int, last: int) -> list[tuple[int, int]]:
    """(year, quarter) of the complete quarters between months first and last."""
    out = []
    for m in range(first, last + 1):
        y, mo = month_of(m)
        if mo % 3 == 0 and m - 2 >= first:
            out.append((y, mo // 3))
    return out


def quarter_label(year: int, q: int) -> str:
    return f"{year:04d}-T{q}"


def quarter_months(year: int, q: int) -> tuple[int, int]:
    start = month_index(year, 3 * q - 2)
    return start, start + 2


def quarterly_extraction(year: int, q: int) -> date:
    return first_day(quarter_months(year, q)[1] + 1).replace(day=QUARTERLY_EXTRACTION_DAY)


def pppi_extraction(millesime: int) -> date:
    years, month, day = PPPI_DELIVERY
    return date(millesime + years, month, day)
