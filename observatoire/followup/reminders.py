"""``observatoire suivi relancer``: per pilot, what is still missing for a COTECH, as a text ready to paste into
an e-mail. Read from the published warehouse (what was loaded by the last refresh)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from observatoire.followup import referential
from observatoire.warehouse import connect, has_table


def missing(published: Path, cotech: date) -> dict[str, dict[str, list]]:
    """Per pilot: the values due and not reported (fiche, indicator, zone, period) and the fiches led whose
    progress is not reported, at a COTECH."""
    con = connect(published, read_only=True)
    try:
        if not has_table(con, "marts", "suivi_indicateurs"):
            raise ValueError("l'entrepôt publié n'a pas encore de suivi des fiches actions : lancer « observatoire "
                             "actualiser » avec une version du projet qui le construit.")
        values = con.execute(
            "SELECT pilote, fiche, libelle_indicateur, libelle_zone, periode FROM marts.suivi_indicateurs "
            "WHERE date_cotech = ? AND origine = 'collecté' AND NOT renseigne ORDER BY ALL", [cotech]).fetchall()
        progress = con.execute(
            "SELECT pilote, fiche, titre FROM marts.suivi_fiches WHERE date_cotech = ? AND statut_action IS NULL "
            "AND pilote IS NOT NULL ORDER BY ALL", [cotech]).fetchall()
    finally:
        con.close()
    found: dict[str, dict[str, list]] = {}
    for pilot, *rest in values:
        found.setdefault(pilot, {"valeurs": [], "avancement": []})["valeurs"].append(rest)
    for pilot, *rest in progress:
        found.setdefault(pilot, {"valeurs": [], "avancement": []})["avancement"].append(rest)
    return found


def email_texts(published: Path, cotech: date, contacts: dict[str, str]) -> list[str]:
    """One text per pilot with something missing (empty list: everything was returned)."""
    texts = []
    for pilot, what in sorted(missing(published, cotech).items()):
        label = referential.pilots().get(pilot, pilot)
        lines = [f"À : {contacts.get(pilot) or '(adresse à renseigner dans seeds/plan/pilotes_plan.csv)'}",
                 f"Objet : PDALHPD 62 — suivi des fiches actions avant le COTECH du {cotech:%d/%m/%Y}", "",
                 "Bonjour,", "",
                 f"Pour préparer le COTECH du {cotech:%d/%m/%Y}, l'observatoire n'a pas encore reçu de {label} :"]
        for fiche, titre in what["avancement"]:
            lines.append(f"- fiche {fiche} (« {titre[:90]}{'…' if len(titre) > 90 else ''} ») : son avancement")
        grouped: dict[tuple[str, str, str], list[str]] = {}
        for fiche, indicator, zone, period in what["valeurs"]:
            grouped.setdefault((fiche, indicator, period), []).append(zone)
        for (fiche, indicator, period), zones in grouped.items():
            where = zones[0] if len(zones) == 1 else f"{len(zones)} zones ({', '.join(zones[:3])}…)"
            lines.append(f"- fiche {fiche} : « {indicator} », {period}, {where}")
        lines += ["", "Merci de compléter les cellules jaunes du classeur reçu et de nous le renvoyer tel quel "
                      "(sans renommer ni supprimer de feuille ou de colonne).", "", "L'observatoire du PDALHPD"]
        texts.append("\n".join(lines))
    return texts
