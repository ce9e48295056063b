"""The only module of the dossier that reads the warehouse.

The dossier opens the diffusion file (``diffusion_file``), never the internal warehouse. Everything that leaves
the observatory comes from the ``diffusion`` schema (secret statistique applied). The dossier also needs labels
and geography (``referentiel``, ``referentiel.zones``) and the freshness of each source
(``publication.fraicheur_sources``: counts per source, no file name). ``DiffusionReader.lignes`` refuses any query that
names another relation.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb

SCHEMA_DIFFUSION = "diffusion"
RELATIONS_AUTORISEES = {
    "referentiel.territoires", "referentiel.epci", "referentiel.communes", "referentiel.commune_territoire",
    "referentiel.correspondance_communes", "referentiel.zones", "publication.fraicheur_sources",
    "referentiel.ratios", "referentiel.dependances_secret", "referentiel.pilotes_plan",
}
_RELATION = re.compile(r"\b(?:from|join)\s+([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)?)", re.IGNORECASE)
_INTERDIT = re.compile(r"\b(?:attach|copy|read_\w+|install|load|pragma|create|insert|update|delete)\b", re.IGNORECASE)


class RelationInterdite(AssertionError):
    """A query of the dossier names a relation outside diffusion and the allowed reference tables."""


def verifier_requete(sql: str) -> list[str]:
    """Relations named by ``sql``; raises ``RelationInterdite`` unless all are diffusion or allowed ones."""
    relations = [r.lower() for r in _RELATION.findall(sql)]
    if not relations:
        raise RelationInterdite(f"Requête sans relation qualifiée : {sql!r}")
    for relation in relations:
        schema = relation.split(".")[0] if "." in relation else None
        if schema != SCHEMA_DIFFUSION and relation not in RELATIONS_AUTORISEES:
            raise RelationInterdite(
                f"Le dossier COTECH ne lit que le schéma diffusion (et la géographie, les libellés, la fraîcheur "
                f"des sources) : relation refusée « {relation} »")
    if _INTERDIT.search(sql):
        raise RelationInterdite(f"Instruction refusée dans une requête du dossier : {sql!r}")
    return relations


class DiffusionReader:
    """Read-only access to the diffusion file, restricted to the relations above."""

    def __init__(self, chemin: Path):
        self.chemin = Path(chemin)
        if not self.chemin.is_file():
            raise FileNotFoundError(f"Fichier de diffusion introuvable : {self.chemin}")
        self.con = duckdb.connect(str(self.chemin), read_only=True)
        self.relations_lues: set[str] = set()
        self._derivees: dict[str, set[str]] | None = None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> DiffusionReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def lignes(self, sql: str, parametres: list | None = None) -> list[dict]:
        self.relations_lues.update(verifier_requete(sql))
        cur = self.con.execute(sql, parametres or [])
        noms = [d[0] for d in cur.description]
        lignes = [dict(zip(noms, ligne, strict=True)) for ligne in cur.fetchall()]
        if "colonnes_masquees" in noms and any(n in self.derivees() for n in noms):
            for ligne in lignes:
                ligne["colonnes_masquees"] = self._masques_complets(ligne)
        return lignes

    def derivees(self) -> dict[str, set[str]]:
        """Column → the counts it is computed from (ratios, amounts, averages), transitively.

        ``colonnes_masquees`` of the diffusion layer lists the masked counts only; a ratio or amount derived from
        a masked count is NULL there too, and must be shown as masked (not as "not computable").
        """
        if self._derivees is None:
            brut: dict[str, set[str]] = {}
            for r in self.lignes(
                    "SELECT ratio AS colonne, numerateur AS source FROM referentiel.ratios UNION "
                    "SELECT ratio, denominateur FROM referentiel.ratios UNION "
                    "SELECT colonne, depend_de FROM referentiel.dependances_secret"):
                brut.setdefault(r["colonne"], set()).add(r["source"])

            def fermeture(colonne: str, vues: frozenset = frozenset()) -> set[str]:
                out = set()
                for source in brut.get(colonne, ()):
                    if source not in vues:
                        out |= {source} | fermeture(source, vues | {colonne})
                return out

            self._derivees = {c: fermeture(c) for c in brut}
        return self._derivees

    def _masques_complets(self, ligne: dict) -> list[str]:
        masquees = list(ligne.get("colonnes_masquees") or [])
        for colonne, sources in self.derivees().items():
            if colonne in ligne and colonne not in masquees and sources & set(masquees):
                masquees.append(colonne)
        return masquees

    # --- what the dossier needs -------------------------------------------------------------------------

    def fraicheur(self) -> list[dict]:
        return self.lignes(
            "SELECT source, derniere_extraction AS date_extraction, nb_fichiers_charges AS nb_fichiers "
            "FROM publication.fraicheur_sources WHERE nb_fichiers_charges > 0 ORDER BY source")

    def territoires(self) -> list[dict]:
        return self.lignes("SELECT code_territoire, nom_territoire, ordre FROM referentiel.territoires ORDER BY ordre")

    def zones(self) -> list[dict]:
        return self.lignes("SELECT niveau, code_zone, libelle_zone, code_territoire, code_epci, nb_communes, "
                           "nb_epci, population FROM referentiel.zones")

    def communes(self) -> list[dict]:
        return self.lignes(
            "SELECT c.code_commune, c.nom_commune, c.population, c.code_epci, t.code_territoire "
            "FROM referentiel.communes c JOIN referentiel.commune_territoire t USING (code_commune)")

    def correspondance_communes(self) -> dict[str, str]:
        return {r["code_commune_origine"]: r["code_commune_actuel"] for r in self.lignes(
            "SELECT code_commune_origine, code_commune_actuel FROM referentiel.correspondance_communes")}

    def portrait(self, niveau: str) -> list[dict]:
        table = {"departement": "portrait_departement", "territoire": "portrait_territoire",
                 "epci": "portrait_epci"}[niveau]
        return self.lignes(f"SELECT * FROM diffusion.{table} ORDER BY annee")

    def pppi_communes(self, millesime: int) -> list[dict]:
        return self.lignes("SELECT code_zone, annee, nb_rp_privees, nb_pppi, taux_pppi, colonnes_masquees "
                           "FROM diffusion.pppi_indicateurs WHERE niveau = 'commune' AND annee = ?", [millesime])

    def tension_typologie(self, annee: int) -> list[dict]:
        return self.lignes("SELECT niveau, code_zone, typologie, nb_demandes_en_cours, nb_attributions, "
                           "tension_demandes_attributions, colonnes_masquees FROM diffusion.sne_tension_typologie "
                           "WHERE annee = ? AND niveau IN ('departement', 'territoire') ORDER BY typologie", [annee])

    def dalo_detail(self, annee: int) -> list[dict]:
        return self.lignes("SELECT niveau, code_zone, dimension, code, nb_recours, rang, colonnes_masquees "
                           "FROM diffusion.dalo_recours_detail WHERE annee = ? "
                           "AND niveau IN ('departement', 'territoire') ORDER BY dimension, rang, code", [annee])

    def diagnostic(self) -> list[dict]:
        return self.lignes("SELECT * FROM diffusion.diagnostic_ecarts ORDER BY ligne_plan, id_valeur")

    def indicateurs_plan(self) -> list[dict]:
        return self.lignes("SELECT * FROM diffusion.indicateurs_plan ORDER BY fiche, code_indicateur, annee")

    def suivi_fiches(self) -> list[dict]:
        return self.lignes("SELECT * FROM diffusion.suivi_fiches ORDER BY date_cotech, axe, fiche")

    def suivi_completude(self) -> list[dict]:
        return self.lignes("SELECT * FROM diffusion.suivi_completude ORDER BY date_cotech, perimetre, code_perimetre")

    def suivi_indicateurs(self, date_cotech: dt.date) -> list[dict]:
        return self.lignes("SELECT * FROM diffusion.suivi_indicateurs WHERE origine = 'collecté' AND date_cotech = ? "
                           "ORDER BY fiche, code_indicateur, code_zone", [date_cotech])

    def pilotes(self) -> dict[str, str]:
        """Pilot code -> its short name."""
        return {r["code_pilote"]: r["sigle"]
                for r in self.lignes("SELECT code_pilote, sigle FROM referentiel.pilotes_plan")}
