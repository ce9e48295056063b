"""What the team downloads each year: for each open-data source, the publisher's page, the file name expected
for the latest millésime the publisher has released, and the millésimes loaded (``observatoire sources-ouvertes``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from observatoire.extracts import OPEN_SOURCES, Source
from observatoire.warehouse import connect


@dataclass(frozen=True)
class OpenSourceStatus:
    source: Source
    loaded: tuple[int, ...]  # millésimes whose file is loaded
    expected: int  # the latest millésime released by the publisher at the reference date

    @property
    def file_name(self) -> str:
        pub = self.source.publication
        assert pub is not None
        name = pub.example.format(millesime=self.expected)
        if "(?P<jour>" in pub.file_pattern:  # a stock file: named by its extraction day and time
            return re.sub(r"(\d{4})\d{4}-\d{4}", r"\1MMJJ-HHMM", name) + " (jour et heure de l'extraction)"
        return name

    @property
    def up_to_date(self) -> bool:
        return bool(self.loaded) and max(self.loaded) >= self.expected


def expected_millesime(source: Source, today: date) -> int:
    assert source.publication is not None
    return today.year - source.publication.lag_years - (today.month < source.publication.release_month)


def status(published: Path | None, today: date) -> list[OpenSourceStatus]:
    """Each open source's status; ``published`` is the published warehouse (None or missing: nothing loaded)."""
    loaded: dict[str, set[int]] = {}
    if published is not None and published.exists():
        con = connect(published, read_only=True)
        try:
            for name, year in con.execute(
                    "SELECT DISTINCT source, year(date_extraction) FROM raw.journal_chargements "
                    "WHERE statut = 'CHARGE' AND source IN (SELECT unnest(?))", [list(OPEN_SOURCES)]).fetchall():
                loaded.setdefault(name, set()).add(year)
        finally:
            con.close()
    return [OpenSourceStatus(s, tuple(sorted(loaded.get(name, ()))), expected_millesime(s, today))
            for name, s in OPEN_SOURCES.items()]


def render(statuses: list[OpenSourceStatus], depot: Path) -> str:
    lines = []
    for st in statuses:
        pub = st.source.publication
        assert pub is not None
        loaded = ", ".join(map(str, st.loaded)) if st.loaded else "aucun"
        verdict = "à jour" if st.up_to_date else f"millésime {st.expected} à télécharger"
        lines += [f"{st.source.name} — {st.source.label}",
                  f"  page du producteur : {pub.publisher}, « {pub.dataset} » ({pub.url})",
                  f"  fichier attendu : {st.file_name}, à déposer dans {depot / st.source.name}",
                  f"  millésimes chargés : {loaded} ; dernier millésime publié : {st.expected} ({verdict})", ""]
    return "\n".join(lines).rstrip() + "\n"
