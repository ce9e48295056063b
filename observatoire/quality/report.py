"""The French quality report that ends every refresh: console text and data/rapports/qualite.html.

Per source: files loaded, refused, duplicated or waiting in this run, what the source's folder holds that is
not an extract (sub-directories: ignored), rows quarantined by reason, the quality checks (passed, warned,
failed) and the freshness of the latest extract; then whether the warehouse was published.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from observatoire.extracts import SOURCES
from observatoire.ingestion.loader import depot_entries
from observatoire.warehouse import connect

CIBLE_ACCES = "entrepot_de_travail"  # the asset the file-permission warnings are attached to


@dataclass
class Controle:
    """One Dagster asset check evaluation."""

    cible: str  # asset key, e.g. raw/fsl or marts/portrait_territoire
    nom: str
    reussi: bool
    severite: str  # ERROR or WARN
    resume: str = ""


@dataclass
class RapportSource:
    source: str
    libelle: str
    charges: list[str] = field(default_factory=list)
    refus: list[str] = field(default_factory=list)
    doublons: list[str] = field(default_factory=list)
    en_attente: list[str] = field(default_factory=list)  # messages of files refused for now (future date)
    ignores: list[str] = field(default_factory=list)  # sub-directories of the source's folder
    lignes_chargees: int = 0
    rejets: list[tuple[str, int]] = field(default_factory=list)  # (motif, nombre)
    derniere_extraction: str | None = None
    controles: list[Controle] = field(default_factory=list)


@dataclass
class Rapport:
    debut: datetime
    publie: bool
    chemin_publie: Path
    sources: list[RapportSource]
    controles_marts: list[Controle]
    erreur: str = ""
    secret: dict | None = None  # this run's audit of the secret statistique (observatoire/quality/secret_audit.py)
    controles_acces: list[Controle] = field(default_factory=list)  # who can read the extracts and the key
    alerte: str = ""  # what was sent to the team about this run (observatoire/alerts.py)

    @property
    def controles(self) -> list[Controle]:
        return [c for s in self.sources for c in s.controles] + self.controles_marts + self.controles_acces

    def bilan(self) -> tuple[int, int, int]:
        """Checks passed, warned, failed (blocking)."""
        reussis = sum(c.reussi for c in self.controles)
        alertes = sum(not c.reussi and c.severite == "WARN" for c in self.controles)
        return reussis, alertes, len(self.controles) - reussis - alertes


def build(warehouse: Path, debut: datetime, publie: bool, chemin_publie: Path, controles: list[Controle],
               erreur: str = "", depot: Path | None = None) -> Rapport:
    """Read this run's ledger and quarantine from the warehouse the run wrote (published or working), and
    what the dépôt's source folders hold that ingestion ignores."""
    sources = []
    con = connect(warehouse, read_only=True) if warehouse.exists() else None
    try:
        for name, source in SOURCES.items():
            r = RapportSource(name, source.label)
            if depot is not None:
                r.ignores = [f"{p.name}/ : sous-dossier ignoré (seuls les fichiers de depot/{name}/ sont lus)"
                             if p.is_dir() else f"{p.name} : ni fichier ni dossier, ignoré"
                             for p in depot_entries(depot / name)[1]]
            if con is not None and _has_ledger(con):
                for fichier, statut, message, n in con.execute(
                        "SELECT fichier, statut, message, nb_lignes_chargees FROM raw.journal_chargements "
                        "WHERE source = ? AND charge_le >= ? ORDER BY fichier", [name, debut]).fetchall():
                    {"CHARGE": r.charges, "REFUSE": r.refus, "DOUBLON": r.doublons,
                     "EN_ATTENTE": r.en_attente}[statut].append(
                        fichier if statut == "CHARGE" else message)
                    r.lignes_chargees += n or 0
                r.rejets = con.execute(
                    "SELECT motif, count(*) FROM raw.rejets WHERE source = ? AND charge_le >= ? "
                    "GROUP BY motif ORDER BY 2 DESC", [name, debut]).fetchall()
                last = con.execute("SELECT max(date_extraction) FROM raw.journal_chargements "
                                   "WHERE source = ? AND statut = 'CHARGE'", [name]).fetchone()[0]
                r.derniere_extraction = last.strftime("%d/%m/%Y") if last else None
            r.controles = [c for c in controles if c.cible == f"raw/{name}"]
            sources.append(r)
    finally:
        if con is not None:
            con.close()
    acces = [c for c in controles if c.cible == CIBLE_ACCES]
    marts = [c for c in controles if not c.cible.startswith("raw/") and c.cible != CIBLE_ACCES]
    return Rapport(debut, publie, chemin_publie, sources, marts, erreur, run_secret_audit(debut), controles_acces=acces)


def nombre(n: int) -> str:
    """French thousands separator: 12 345."""
    return f"{n:,}".replace(",", "\u202f")


def _has_ledger(con) -> bool:
    return bool(con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' "
                            "AND table_name = 'journal_chargements'").fetchone()[0])


def _etat(c: Controle) -> str:
    return "réussi" if c.reussi else ("avertissement" if c.severite == "WARN" else "ÉCHEC bloquant")


def texte(rapport: Rapport) -> str:
    lignes = ["", "Rapport de qualité de l'actualisation du " + rapport.debut.strftime("%d/%m/%Y à %H:%M")]
    for s in rapport.sources:
        lignes.append(f"- {s.source} : {len(s.charges)} fichier(s) chargé(s), {len(s.refus)} refusé(s), "
                      f"{len(s.doublons)} doublon(s)"
                      + (f", {len(s.en_attente)} en attente" if s.en_attente else "")
                      + f" ; {nombre(s.lignes_chargees)} lignes chargées"
                      + (f", dernière extraction du {s.derniere_extraction}" if s.derniere_extraction else
                         ", aucune extraction"))
        for message in s.refus:
            lignes.append(f"    refusé : {message}")
        for message in s.en_attente:
            lignes.append(f"    en attente : {message}")
        for message in s.ignores:
            lignes.append(f"    ignoré : {message}")
        for motif, n in s.rejets:
            lignes.append(f"    {n} ligne(s) en quarantaine : {motif}")
        for c in s.controles:
            if not c.reussi:
                lignes.append(f"    contrôle {c.nom} ({_etat(c)}) : {c.resume}")
    for c in rapport.controles_marts:
        if not c.reussi:
            lignes.append(f"- {c.cible}, contrôle {c.nom} ({_etat(c)}) : {c.resume}")
    if rapport.secret:
        lignes += secret_text(rapport.secret)
    for c in rapport.controles_acces:
        if not c.reussi:
            lignes.append(f"- Protection des fichiers ({_etat(c)}) : {c.resume}")
    reussis, alertes, echecs = rapport.bilan()
    lignes.append(f"Contrôles : {reussis} réussi(s), {alertes} avertissement(s), {echecs} échec(s) bloquant(s).")
    if rapport.publie:
        lignes.append(f"Entrepôt publié : {rapport.chemin_publie}")
    else:
        lignes.append(f"Publication bloquée : l'entrepôt publié n'a pas été modifié ({rapport.chemin_publie})."
                      + (f" Cause : {rapport.erreur}" if rapport.erreur else ""))
    if rapport.alerte:
        lignes.append(rapport.alerte)
    return "\n".join(lignes)


def write_html(rapport: Rapport, chemin: Path) -> Path:
    e = html.escape
    reussis, alertes, echecs = rapport.bilan()
    parts = [
        "<!doctype html><html lang='fr'><head><meta charset='utf-8'>",
        "<title>Observatoire PDALHPD 62 : qualité de l'actualisation</title>",
        "<style>body{font-family:sans-serif;margin:2em;color:#222}table{border-collapse:collapse;margin:.5em 0 1.5em}"
        "td,th{border:1px solid #bbb;padding:.3em .6em;text-align:left;vertical-align:top}"
        "th{background:#eef}.ok{color:#176317}.warn{color:#a36200}.ko{color:#b00020;font-weight:bold}</style>",
        "</head><body>",
        f"<h1>Qualité de l'actualisation du {rapport.debut:%d/%m/%Y à %H:%M}</h1>",
        "<p class='ok'>Entrepôt publié : " + e(str(rapport.chemin_publie)) + "</p>" if rapport.publie else
        "<p class='ko'>Publication bloquée : l'entrepôt publié n'a pas été modifié."
        + (" Cause : " + e(rapport.erreur) if rapport.erreur else "") + "</p>",
        f"<p>Contrôles : {reussis} réussi(s), {alertes} avertissement(s), {echecs} échec(s) bloquant(s).</p>",
        f"<p>{e(rapport.alerte)}</p>" if rapport.alerte else "",
        "<h2>Par source</h2><table><tr><th>Source</th><th>Fichiers chargés</th><th>Refusés</th><th>Doublons</th>"
        "<th>En attente</th><th>Ignorés</th>"
        "<th>Lignes chargées</th><th>Lignes en quarantaine (motif)</th><th>Dernière extraction</th>"
        "<th>Contrôles</th></tr>",
    ]
    for s in rapport.sources:
        rejets = "<br>".join(f"{n} : {e(m)}" for m, n in s.rejets) or "aucune"
        refus = "<br>".join(e(m) for m in s.refus) or "0"
        en_attente = "<br>".join(e(m) for m in s.en_attente) or "0"
        ignores = "<br>".join(e(m) for m in s.ignores) or "aucun"
        controles = "<br>".join(f"<span class='{_classe(c)}'>{e(c.nom)} : {_etat(c)}</span>"
                                + (f" ({e(c.resume)})" if c.resume and not c.reussi else "") for c in s.controles)
        parts.append(f"<tr><td>{e(s.libelle)}</td><td>{len(s.charges)}</td><td>{refus}</td><td>{len(s.doublons)}</td>"
                     f"<td>{en_attente}</td><td>{ignores}</td><td>{nombre(s.lignes_chargees)}</td><td>{rejets}</td>"
                     f"<td>{s.derniere_extraction or 'aucune'}</td><td>{controles or 'non évalués'}</td></tr>")
    parts.append("</table>")
    if rapport.controles_marts:
        parts.append("<h2>Cohérence des marts</h2><table><tr><th>Table</th><th>Contrôle</th><th>État</th>"
                     "<th>Détail</th></tr>")
        for c in rapport.controles_marts:
            parts.append(f"<tr><td>{e(c.cible)}</td><td>{e(c.nom)}</td><td class='{_classe(c)}'>{_etat(c)}</td>"
                         f"<td>{e(c.resume)}</td></tr>")
        parts.append("</table>")
    if rapport.secret:
        parts.append(secret_html(rapport.secret))
    if rapport.controles_acces:
        parts.append("<h2>Protection des fichiers</h2><table><tr><th>Contrôle</th><th>État</th><th>Détail</th></tr>")
        for c in rapport.controles_acces:
            parts.append(f"<tr><td>{e(c.nom)}</td><td class='{_classe(c)}'>{_etat(c)}</td><td>{e(c.resume)}</td></tr>")
        parts.append("</table>")
    parts.append("<p>Détail des validations Great Expectations : <a href='gx/index.html'>Data Docs</a>.</p>"
                 "</body></html>")
    chemin.parent.mkdir(parents=True, exist_ok=True)
    chemin.write_text("\n".join(parts), encoding="utf-8")
    return chemin


# --- secret statistique: the cost in information of the masking, from this run's audit ----------------------
def run_secret_audit(debut: datetime) -> dict | None:
    """The audit written by the `secret_statistique` check of this run (None when it did not run)."""
    import json

    from observatoire.settings import SECRET_AUDIT_REPORT, settings

    path = settings().reports_dir / SECRET_AUDIT_REPORT
    if not path.exists() or datetime.fromtimestamp(path.stat().st_mtime) < debut:
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def secret_rows(secret: dict) -> list[tuple[str, int, int, int, str]]:
    """Per table: cells, primary-masked, secondary-masked, share of masked EPCI cells."""
    return [(table, t["cellules"], t["primaires"], t["secondaires"],
             f"{t['part_epci_masquee']:.1%}".replace(".", ",").replace("%", " %"))
            for table, t in sorted(secret["par_table"].items())]


def secret_text(secret: dict) -> list[str]:
    lignes = [f"Secret statistique : {secret['resume']}"]
    for table, n, primaires, secondaires, part in secret_rows(secret):
        lignes.append(f"    {table} : {nombre(primaires)} masquée(s) sous le seuil, {nombre(secondaires)} masquée(s) "
                      f"en second sur {nombre(n)} ; {part} des cellules des EPCI masquées")
    return lignes


def secret_html(secret: dict) -> str:
    e = html.escape
    rows = "".join(f"<tr><td>{e(t)}</td><td>{nombre(n)}</td><td>{nombre(p)}</td><td>{nombre(s)}</td><td>{e(part)}</td>"
                   "</tr>" for t, n, p, s, part in secret_rows(secret))
    return ("<h2>Secret statistique</h2><p>" + e(secret["resume"]) + "</p><table><tr><th>Table</th><th>Cellules</th>"
            "<th>Masquées sous le seuil (primaire)</th><th>Masquées en second (secondaire)</th>"
            "<th>Part des cellules des EPCI masquées</th></tr>" + rows + "</table>")


def _classe(c: Controle) -> str:
    return "ok" if c.reussi else ("warn" if c.severite == "WARN" else "ko")
