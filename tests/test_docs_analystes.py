"""The analysts' guide (docs/analystes.md) stays true: every ```sql block in it runs, read-only, on the demo
warehouse published by the session fixture `demo`, without error and with at least one row."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "analystes.md"
SQL_BLOCK = re.compile(r"^```sql\n(.*?)^```", re.S | re.M)


def sql_blocks() -> list[tuple[str, str]]:
    """(title of the heading above the block, SQL) for every ```sql block of the guide, in order."""
    text = GUIDE.read_text(encoding="utf-8")
    blocks = []
    for match in SQL_BLOCK.finditer(text):
        titles = re.findall(r"^(#{2,3} .+)$", text[: match.start()], re.M)
        blocks.append((titles[-1].lstrip("# ") if titles else "?", match.group(1)))
    return blocks


BLOCKS = sql_blocks()


def test_guide_has_ten_worked_queries():
    text = GUIDE.read_text(encoding="utf-8")
    worked = re.findall(r"^### \d+\. (.+)$", text, re.M)
    with_sql = {title for title, _ in BLOCKS}
    assert len(worked) == 10, worked
    assert all(any(t.endswith(w) for t in with_sql) for w in worked), "une requête commentée n'a pas de bloc SQL"
    assert "read_only=True" in text and "-readonly" in text


@pytest.fixture(scope="module")
def published(demo):
    connection = duckdb.connect(str(demo.published), read_only=True)
    yield connection
    connection.close()


@pytest.mark.parametrize("title, sql", BLOCKS, ids=[f"{i + 1:02d}-{t[:40]}" for i, (t, _) in enumerate(BLOCKS)])
def test_guide_query_runs_and_returns_rows(published, title, sql):
    # Each query of the guide must run without error on the demo warehouse and return at least one row.
    try:
        rows = published.execute(sql).fetchall()
    except duckdb.Error as error:
        pytest.fail(f"La requête de « {title} » échoue sur l'entrepôt de démonstration : {error}")
    assert rows, f"La requête de « {title} » ne renvoie aucune ligne sur l'entrepôt de démonstration"
