"""The only module of the dossier that reads the warehouse.

Everything that leaves the observatory comes from the ``diffusion`` schema (secret statistique applied). The
dossier also needs labels and geography (``referentiel``, ``intermediate.int_geo__zones``) and the freshness of
each source (``raw.journal_chargements``, the file ledger: no individual data). ``Entrepot.lignes`` refuses
any query that names another relation, so a later edit cannot quietly read ``marts`` or ``staging``.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

SCHEMA_DIFFUSION = "diffusion"
RELATIONS_AUTORISEES = {
    "referentiel.territoires", "referentiel.epci", "referentiel.communes", "referentiel.commune_territoire",
    "referentiel.correspondance_communes", "intermediate.int_geo__zones", "raw.journal_chargements",
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
                f"Le dossier COTECH ne lit que le schéma diffusion (et la géographie, les libellés, le journal "
                f"des chargements) : relation refusée « {relation} »")
    if _INTERDIT.search(sql):
        raise RelationInterdite(f"Instruction refusée dans une requête du dossier : {sql!r}")
    return relations


class Entrepot:
    """Read-only access to the published warehouse, restricted to the relations above."""

    def __init__(self, chemin: Path):
        self.chemin = Path(chemin)
        if not self.chemin.is_file():
            raise FileNotFoundError(f"Entrepôt publié introuvable : {self.chemin}")
        self.con = duckdb.connect(str(self.chemin), read_only=True)
        self.relations_lues: set[str] = set()

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Entrepot:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def lignes(self, sql: str, parametres: list | None = None) -> list[dict]:
        self.relations_lues.update(verifier_requete(sql))
        cur = self.con.execute(sql, parametres or [])
        noms = [d[0] for d in cur.description]
        return [dict(zip(noms, ligne, strict=True)) for ligne in cur.fetchall()]

    # --- what the dossier needs -------------------------------------------------------------------------

    def fraicheur(self) -> list[dict]:
        return self.lignes(
            "SELECT source, max(date_extraction) AS date_extraction, count(*) AS nb_fichiers "
            "FROM raw.journal_chargements WHERE statut = 'CHARGE' GROUP BY source ORDER BY source")

    def territoires(self) -> list[dict]:
        return self.lignes("SELECT code_territoire, nom_territoire, ordre FROM referentiel.territoires ORDER BY ordre")

    def zones(self) -> list[dict]:
        return self.lignes("SELECT niveau, code_zone, libelle_zone, code_territoire, code_epci, nb_communes, "
                           "nb_epci, population FROM intermediate.int_geo__zones")

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
                           "AND niveau IN ('departement', 'territoire') ORDER BY dimension, rang", [annee])

    def diagnostic(self) -> list[dict]:
        return self.lignes("SELECT * FROM diffusion.diagnostic_ecarts ORDER BY ligne_plan, id_valeur")

    def indicateurs_plan(self) -> list[dict]:
        return self.lignes("SELECT * FROM diffusion.indicateurs_plan ORDER BY fiche, code_indicateur, annee")
