"""Build the 2022 diagnostic baseline seed from the extraction of annexe 4 and section II of the plan.

    python -m observatoire.generators.diagnostic_seed [chemin/vers/annex4_indicators.csv]

Published values are copied as printed (normalised numbers, the plan's own inconsistencies kept); only a
territory code is added so that the marts can join on it.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from observatoire.settings import PROJECT_DIR, SEEDS_DIR

DEFAULT_SOURCE = PROJECT_DIR.parent / "shared" / "reference" / "annex4_indicators.csv"
SEED = SEEDS_DIR / "diagnostic" / "diagnostic_2022.csv"
TERRITORIES = {
    "Arrageois": "ARR", "Artois": "ART", "Audomarois": "AUD", "Boulonnais": "BOU", "Calaisis": "CAL",
    "Lens-Hénin": "LEN", "Montreuillois": "MON", "Ternois": "TER", "Pas-de-Calais (section II)": "62",
}
COLUMNS = ["code_zone", "niveau", "territoire_plan", "code_indicateur", "libelle_indicateur", "valeur",
           "valeur_texte", "unite", "annee", "perimetre_comparaison", "valeur_comparaison", "source", "ligne_plan"]


def _number(text: str) -> str:
    try:
        float(text)
    except ValueError:
        return ""
    return text


def build(source: Path = DEFAULT_SOURCE, seed: Path = SEED) -> int:
    with open(source, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for r in rows:
        code = TERRITORIES[r["territory"]]
        out.append({
            "code_zone": code, "niveau": "departement" if code == "62" else "territoire",
            "territoire_plan": r["territory"], "code_indicateur": r["indicator_code"],
            "libelle_indicateur": r["indicator_label_fr"], "valeur": _number(r["value"]),
            "valeur_texte": r["value"], "unite": r["unit"], "annee": r["year"],
            "perimetre_comparaison": r["comparison_scope"], "valeur_comparaison": r["comparison_value"],
            "source": r["source"], "ligne_plan": r["seed_line"],
        })
    seed.parent.mkdir(parents=True, exist_ok=True)
    with open(seed, "w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(out)
    return len(out)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    source = Path(args[0]) if args else DEFAULT_SOURCE
    n = build(source)
    print(f"{SEED} : {n} valeurs publiées du diagnostic 2022 (depuis {source}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
