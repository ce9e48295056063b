"""The seed seeds/plan/suivi_attendus.csv: every value and progress report due at each COTECH of the calendar,
written from observatoire/followup/referential.py (the one definition of "due", which also writes the
workbooks), so that the marts count completeness against the very rows the pilots were sent.
``python -m observatoire.generators.followup_due`` rewrites it; ``--check`` (``make test``) fails when it is stale.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

from observatoire import generators
from observatoire.followup import referential
from observatoire.followup.layout import PROGRESS_SHEET

SEED = referential.PLAN_DIR / "suivi_attendus.csv"
HEADER = ("date_cotech", "periode_cotech", "pilote", "fiche", "feuille", "code_indicateur", "niveau", "code_zone",
          "periode")


def render() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for cotech, period in referential.calendar():
        pilots = referential.workbook_pilots(cotech)
        for pilot in pilots:
            for fiche in referential.led_fiches(pilot):
                writer.writerow((cotech.isoformat(), period, pilot, fiche, PROGRESS_SHEET, "", "", "", ""))
        for d in referential.due(cotech):
            writer.writerow((cotech.isoformat(), period, d.pilote, d.fiche, d.sheet, d.code_indicateur, d.niveau,
                             d.code_zone, d.periode))
    return out.getvalue()


def expected() -> dict[Path, str]:
    return {SEED: render()}


def main(argv: list[str] | None = None) -> int:
    return generators.command("observatoire.generators.followup_due", "seeds/plan et observatoire/followup/",
                              expected, argv)


if __name__ == "__main__":
    sys.exit(main())
