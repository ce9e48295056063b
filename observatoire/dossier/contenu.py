"""The content of the COTECH dossier as a format-free model (sections of blocks), built from ``diffusion``.

Every figure is formatted here, in French, once; the PDF (typst) and the HTML site render the same model.
Blocks: ``titre`` (sub-heading), ``paragraphe``, ``chiffres`` (label / value / comment rows), ``tableau``
(headers, rows of formatted cells, the indexes of count columns, source and notes) and ``figures`` (one or two
SVG charts or maps, each with its title and source line).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from observatoire.dossier import cartes, graphiques
from observatoire.dossier.donnees import DiffusionReader
from observatoire.dossier.formats import (
    MASQUE,
    NON_DISPONIBLE,
    NOTE_NON_DISPONIBLE,
    NOTE_SECRET,
    cellule,
    date_fr,
    est_masque,
    euros,
    nombre,
    pourcentage,
)
from observatoire.extracts import SOURCES


def _libelles(source: str) -> tuple[str, str]:
    """Short label and producer of a source named in the freshness summary (extracts.py declares them)."""
    declared = SOURCES.get(source)
    return (declared.short_label, declared.producer) if declared else (source, "")


SRC_SNE = "Source : SNE (demandes en cours au 31/12, attributions de l'année) ; traitement Observatoire PDALHPD 62."
SRC_DALO = "Source : ComDALO (recours déposés dans l'année) ; traitement Observatoire PDALHPD 62."
SRC_FSL = "Source : FSL du Pas-de-Calais (aides accordées dans l'année) ; traitement Observatoire PDALHPD 62."
SRC_CCAPEX = "Source : CCAPEX / EXPLOC (étapes de procédure de l'année) ; traitement Observatoire PDALHPD 62."
SRC_IGN = "Fond de carte : IGN – Admin Express COG 2018 simplifié (Licence Ouverte)."
SRC_POP = "population municipale INSEE (COG 2026)"
SRC_FINESS = ("Source : FINESS (ANS), équipements sociaux, places installées ; les centres d'hébergement d'urgence, "
              "l'HUDA et l'ALT n'y figurent pas (pas de catégorie FINESS) : les totaux de l'annexe qui les comptent "
              "ne se comparent pas à ces places ; traitement Observatoire PDALHPD 62.")
SRC_INSEE = ("Sources : Insee, recensement de la population (bases chiffres clés) et Filosofi ; SDES, RPLS ; "
             "Cnaf, foyers allocataires du RSA par commune (data.caf.fr) ; données ouvertes ; "
             "la part des ménages allocataires du RSA rapporte les foyers au RSA de décembre aux ménages du dernier "
             "recensement publié (dénominateur choisi par l'observatoire : l'annexe ne dit pas le sien) ; "
             "le taux de pauvreté d'un territoire est dérivé de ceux de ses EPCI (personnes pauvres / personnes des "
             "ménages fiscaux) ; traitement Observatoire PDALHPD 62.")
# Short French labels of the DALO motives (referentiel.dalo_motifs has the long regulatory wording)
MOTIFS_DALO = {
    "DELAI_ANORMAL": "Délai anormalement long", "DEPOURVU_LOGEMENT": "Dépourvu de logement",
    "MENACE_EXPULSION": "Menacé d'expulsion", "HEBERGE_STRUCTURE": "Hébergé en structure",
    "LOCAUX_IMPROPRES": "Locaux impropres ou insalubres", "SUROCCUPATION": "Logement suroccupé ou non décent",
    "HANDICAP": "Logement non adapté au handicap",
}
VOLETS_FSL = ["nb_aides_acces", "nb_aides_maintien", "nb_aides_energie", "nb_aides_eau", "nb_aides_telephone"]


@dataclass
class Section:
    ident: str
    titre: str
    blocs: list[dict] = field(default_factory=list)
    sous_titre: str = ""

    def titre2(self, texte: str) -> None:
        self.blocs.append({"type": "titre", "texte": texte})

    def paragraphe(self, texte: str) -> None:
        self.blocs.append({"type": "paragraphe", "texte": texte})

    def chiffres(self, lignes: list[list[str]]) -> None:
        self.blocs.append({"type": "chiffres", "lignes": lignes})

    def tableau(self, titre: str, entetes: list[str], lignes: list[list[str]], *, comptes: list[int] = (),
                source: str = "", notes: list[str] = (), total: list[bool] | None = None,
                premiere_large: bool = True, ident: str = "", largeurs: list[float] = ()) -> None:
        masque = any(c == MASQUE for ligne in lignes for c in ligne)
        nd = any(c == NON_DISPONIBLE for ligne in lignes for c in ligne)
        notes = list(notes) + ([NOTE_SECRET] if masque else []) + ([NOTE_NON_DISPONIBLE] if nd else [])
        self.blocs.append({"type": "tableau", "titre": titre, "entetes": entetes, "lignes": lignes,
                           "comptes": list(comptes), "source": source, "notes": notes,
                           "total": total or [False] * len(lignes), "premiere_large": premiere_large,
                           "ident": ident, "largeurs": list(largeurs)})

    def figures(self, *elements: dict) -> None:
        self.blocs.append({"type": "figures", "elements": list(elements)})


def _par_mille(numerateur, population) -> float | None:
    if numerateur is None or not population:
        return None
    return float(numerateur) * 1000 / population


def _somme(ligne: dict, colonnes: list[str]) -> tuple[float | None, bool]:
    if est_masque(ligne, *colonnes):
        return None, True
    if any(ligne.get(c) is None for c in colonnes):
        return None, False
    return float(sum(ligne[c] for c in colonnes)), False


class DossierBuilder:
    """Builds the sections and the SVG figures (``self.svg``: file name → SVG text)."""

    def __init__(self, entrepot: DiffusionReader, jour: dt.date):
        self.e = entrepot
        self.jour = jour
        self.svg: dict[str, str] = {}
        self.dep = entrepot.portrait("departement")
        self.ter = entrepot.portrait("territoire")
        self.epci = entrepot.portrait("epci")
        self.territoires = entrepot.territoires()
        completes = [r["annee"] for r in self.dep if r["annee_complete"]]
        self.annee = max(completes) if completes else max(r["annee"] for r in self.dep)
        self.derniere = max(r["annee"] for r in self.dep)
        self.annees = [a for a in sorted({r["annee"] for r in self.dep}) if a >= 2018 and a <= self.annee]
        self.dep_a = self._ligne(self.dep, self.annee)
        self.millesime = self.dep_a["millesime_pppi"]
        self.fraicheur = entrepot.fraicheur()
        communes = entrepot.communes()
        self.commune_epci = {c["code_commune"]: c["code_epci"] for c in communes}
        self.commune_ter = {c["code_commune"]: c["code_territoire"] for c in communes}
        zones = entrepot.zones()
        self.epci_ter = {z["code_zone"]: z["code_territoire"] for z in zones if z["niveau"] == "epci"}
        self.fond = cartes.Fond.charger(entrepot.correspondance_communes())
        self.pppi_communes = {r["code_zone"]: r for r in entrepot.pppi_communes(self.millesime)} \
            if self.millesime else {}
        self.typologies = entrepot.tension_typologie(self.annee)
        self.dalo = entrepot.dalo_detail(self.annee)
        self.diagnostic = entrepot.diagnostic()
        self.plan = entrepot.indicateurs_plan()
        self.suivi_fiches = entrepot.suivi_fiches()
        self.suivi_completude = entrepot.suivi_completude()
        self.pilotes = entrepot.pilotes()
        dernier = [r["date_cotech"] for r in self.suivi_fiches if r["est_dernier"]]
        self.dernier_cotech = dernier[0] if dernier else None
        self.suivi_valeurs = entrepot.suivi_indicateurs(self.dernier_cotech) if dernier else []
        self._bornes: dict[str, list[float]] = {}

    # --- helpers ------------------------------------------------------------------------------------------

    @staticmethod
    def _ligne(lignes: list[dict], annee: int, **cle) -> dict:
        for r in lignes:
            if r["annee"] == annee and all(r.get(k) == v for k, v in cle.items()):
                return r
        return {}

    def _serie(self, lignes: list[dict], colonne: str, **cle) -> list:
        out = []
        for a in self.annees:
            r = self._ligne(lignes, a, **cle)
            out.append(None if not r or est_masque(r, colonne) or r.get(colonne) is None else float(r[colonne]))
        return out

    def _masques_serie(self, lignes: list[dict], colonnes: list[str], **cle) -> bool:
        return any(est_masque(self._ligne(lignes, a, **cle), *colonnes) for a in self.annees)

    def _figure(self, nom: str, svg: str, titre: str, source: str, note: str = "") -> dict:
        self.svg[nom] = svg
        return {"fichier": nom, "titre": titre, "source": source, "note": note}

    def _valeurs_epci(self, indicateur: str) -> dict[str, cartes.Valeur]:
        out = {}
        for r in self.epci:
            if r["annee"] != self.annee:
                continue
            v, m = self._indicateur(r, indicateur)
            out[r["code_epci"]] = cartes.Valeur(v, m)
        return out

    def _indicateur(self, r: dict, indicateur: str) -> tuple[float | None, bool]:
        """Value of a mapped indicator in a portrait row, and whether it is masked."""
        if indicateur == "tension":
            return r.get("tension_demandes_attributions"), est_masque(r, "tension_demandes_attributions")
        if indicateur == "pppi":
            return r.get("taux_pppi"), est_masque(r, "taux_pppi")
        if indicateur == "assignations":
            if est_masque(r, "nb_assignations"):
                return None, True
            return _par_mille(r.get("nb_assignations"), r.get("population")), False
        if indicateur == "fsl":
            total, masque = _somme(r, VOLETS_FSL)
            return (None, True) if masque else (_par_mille(total, r.get("population")), False)
        raise KeyError(indicateur)

    CARTES = {
        "tension": ("Tension (demandes en cours / attributions)", "ratio", 1,
                    "Tension", SRC_SNE),
        "pppi": ("Taux de parc privé potentiellement indigne", "pct", 1, "Taux de PPPI",
                 "Source : Filocom (DGFiP), traitement PPPI ; résidences principales privées."),
        "assignations": ("Assignations pour 1 000 habitants", "nombre", 1, "Pour 1 000 hab.",
                         f"Source : CCAPEX / EXPLOC ; {SRC_POP}."),
        "fsl": ("Aides financières FSL pour 1 000 habitants", "nombre", 1, "Pour 1 000 hab.",
                f"Source : FSL du Pas-de-Calais (accès, maintien, énergie, eau, téléphone) ; {SRC_POP}."),
    }

    def _carte_epci(self, indicateur: str, nom: str, territoire: str | None = None) -> dict:
        titre, genre, dec, legende, source = self.CARTES[indicateur]
        valeurs = self._valeurs_epci(indicateur)
        if indicateur not in self._bornes:
            self._bornes[indicateur] = cartes.classes(
                [v.valeur for v in valeurs.values() if v.valeur is not None and not v.masque])
        communes = {c for c, t in self.commune_ter.items() if t == territoire} if territoire else None
        annee = self.millesime if indicateur == "pppi" else self.annee
        svg = cartes.carte(f"{titre} par EPCI, {annee}", self.fond, self.commune_epci, valeurs,
                           genre="pct" if genre == "pct" else "nombre", decimales=dec,
                           bornes=self._bornes[indicateur], contours=self.commune_ter, communes=communes,
                           legende_titre=legende)
        dessines = {e for c, e in self.commune_epci.items()
                    if territoire is None or self.commune_ter.get(c) == territoire}
        masques = [v for e, v in valeurs.items() if v.masque and e in dessines]
        note = "EPCI en gris : valeur masquée (secret statistique)." if masques else ""
        return self._figure(nom, svg, f"{titre} par EPCI, {annee}",
                            f"{source} Classes par quantiles des EPCI du département ; traits noirs : territoires. "
                            f"{SRC_IGN}", note)

    def _carte_pppi_communes(self, nom: str, territoire: str | None = None) -> dict:
        valeurs = {c: cartes.Valeur(r.get("taux_pppi"), est_masque(r, "taux_pppi", "nb_pppi"))
                   for c, r in self.pppi_communes.items()}
        if "pppi_communes" not in self._bornes:
            self._bornes["pppi_communes"] = cartes.classes(
                [v.valeur for v in valeurs.values() if v.valeur is not None and not v.masque])
        communes = {c for c, t in self.commune_ter.items() if t == territoire} if territoire else None
        zone_de = {c: c for c in self.commune_ter}
        svg = cartes.carte(f"Taux de PPPI par commune, {self.millesime}", self.fond, zone_de, valeurs,
                           bornes=self._bornes["pppi_communes"],
                           contours=self.commune_epci if territoire else self.commune_ter, communes=communes,
                           legende_titre="Taux de PPPI")
        perimetre = [c for c in zone_de if communes is None or c in communes]
        nb_masquees = sum(1 for c in perimetre if valeurs.get(c) and valeurs[c].masque)
        note = (f"{nombre(nb_masquees)} commune(s) sur {nombre(len(perimetre))} en gris : effectif PPPI "
                f"inférieur à 11 logements ou masquage secondaire (secret statistique).")
        traits = "EPCI" if territoire else "territoires"
        return self._figure(nom, svg, f"Taux de PPPI par commune, millésime {self.millesime}",
                            f"Source : Filocom {self.millesime} (DGFiP), traitement PPPI. Traits noirs : {traits}. "
                            f"{SRC_IGN}", note)

    def _courbes(self, nom, titre, lignes, colonnes_libelles, source, decimales=0, barres=False, **cle) -> dict:
        series = [(lib, self._serie(lignes, col, **cle)) for col, lib in colonnes_libelles]
        trace = graphiques.barres if barres else graphiques.courbes
        svg = trace(titre, self.annees, series, decimales=decimales)
        masque = self._masques_serie(lignes, [c for c, _ in colonnes_libelles], **cle)
        note = "Valeur absente du graphique : masquée (secret statistique)." if masque else ""
        return self._figure(nom, svg, f"{titre}, {self.annees[0]}-{self.annees[-1]}", source, note)

    # --- sections -----------------------------------------------------------------------------------------

    def couverture(self) -> dict:
        lignes = []
        for f in self.fraicheur:
            libelle = _libelles(f["source"])[0]
            lignes.append([libelle, date_fr(f["date_extraction"]), nombre(f["nb_fichiers"])])
        return {"titre": "Dossier du comité technique",
                "sous_titre": "Observatoire du Plan départemental d'action pour le logement et l'hébergement "
                              "des personnes défavorisées (PDALHPD) du Pas-de-Calais",
                "date": date_fr(self.jour), "annee": str(self.annee),
                "derniere": str(self.derniere),
                "fraicheur": {"entetes": ["Source", "Dernière extraction chargée", "Fichiers chargés"],
                              "lignes": lignes},
                "avertissement": (f"Chiffres de l'année {self.annee} (dernière année close), sauf mention "
                                  f"contraire ; parc privé potentiellement indigne : millésime {self.millesime}. "
                                  f"L'année {self.derniere}, incomplète, n'est pas présentée. Toutes les valeurs "
                                  f"proviennent de la couche de diffusion de l'entrepôt : le secret statistique y "
                                  f"est appliqué (« {MASQUE} » dans les tableaux).")}

    def _tableau_territoires(self, s: Section) -> None:
        lignes, total = [], []
        for t in self.territoires:
            r = self._ligne(self.ter, self.annee, code_territoire=t["code_territoire"])
            lignes.append(self._ligne_zone(t["nom_territoire"], r))
            total.append(False)
        lignes.append(self._ligne_zone("Pas-de-Calais", self.dep_a))
        total.append(True)
        s.tableau(f"Les territoires en {self.annee}", self.ENTETES_ZONES, lignes, comptes=[2, 3, 5, 6, 7],
                  ident="territoires", largeurs=self.LARGEURS_ZONES, total=total,
                  source=f"Sources : SNE, ComDALO, FSL, CCAPEX ({self.annee}) ; Filocom {self.millesime} (PPPI) ; "
                         f"{SRC_POP}.")

    ENTETES_ZONES = ["Zone", "Population", "Demandes en cours", "Attribu\u00adtions", "Tension", "Recours DALO",
                     "Aides FSL accès", "Assigna\u00adtions", "Taux PPPI"]
    # PDF column widths (relative) of the zone tables: each header's longest word fits on one line
    LARGEURS_ZONES = [2.4, 1.05, 1.0, 0.9, 0.75, 0.8, 0.95, 0.95, 0.8]

    def _ligne_zone(self, nom: str, r: dict) -> list[str]:
        return [nom, cellule(r, "population"), cellule(r, "nb_demandes_en_cours"), cellule(r, "nb_attributions"),
                cellule(r, "tension_demandes_attributions", "decimal1"), cellule(r, "nb_recours"),
                cellule(r, "nb_aides_acces"), cellule(r, "nb_assignations"), cellule(r, "taux_pppi", "pct")]

    def _chiffres_cles(self, r: dict, ref: dict | None) -> dict[str, list[list[str]]]:
        """Key figures by theme for a portrait row ``r`` (``ref``: the département, for comparison)."""
        pop = r.get("population")

        def comp(col, genre):
            return f"Pas-de-Calais : {cellule(ref, col, genre)}" if ref else ""

        fsl_total, fsl_masque = _somme(r, VOLETS_FSL)
        fsl_1000 = MASQUE if fsl_masque else nombre(_par_mille(fsl_total, pop), 1)
        assign_1000 = MASQUE if est_masque(r, "nb_assignations") else nombre(
            _par_mille(r.get("nb_assignations"), pop), 1)
        rp, filo, caf = r.get("millesime_contexte"), r.get("millesime_revenus"), r.get("millesime_allocataires")
        evolution = r.get("evolution_population")
        return {
            # Open data (Insee, CAF): census millésime rp, Filosofi millésime filo, the CAF's December caf, the
            # latest released by the year.
            "insee": [
                [f"Population au recensement {rp or ''}".rstrip(), cellule(r, "population_recensement"),
                 f"{'+' if (evolution or 0) > 0 else ''}{nombre(evolution)} habitants depuis "
                 f"{r.get('millesime_precedent')}" if evolution is not None else ""],
                ["Part des 60 à 74 ans / des 75 ans ou plus",
                 f"{cellule(r, 'part_population_60_74', 'pct')} / {cellule(r, 'part_population_75_plus', 'pct')}",
                 f"Pas-de-Calais : {cellule(ref, 'part_population_60_74', 'pct')} / "
                 f"{cellule(ref, 'part_population_75_plus', 'pct')}" if ref else ""],
                ["Indice de jeunesse (moins de 20 ans / 60 ans ou plus)", cellule(r, "indice_jeunesse", "decimal2"),
                 comp("indice_jeunesse", "decimal2")],
                ["Ménages (résidences principales)", cellule(r, "nb_residences_principales"), ""],
                ["Taux de chômage des 15-64 ans (recensement)", cellule(r, "taux_chomage_recensement", "pct"),
                 comp("taux_chomage_recensement", "pct")],
                [f"Taux de pauvreté (Filosofi {filo or ''})".replace(" )", ")"), cellule(r, "taux_pauvrete", "pct"),
                 comp("taux_pauvrete", "pct")],
                [f"Part des ménages allocataires du RSA (CAF, décembre {caf or ''})".replace(" )", ")"),
                 cellule(r, "part_foyers_rsa", "pct"),
                 f"{comp('part_foyers_rsa', 'pct')} ; {cellule(r, 'nb_foyers_rsa')} foyers au RSA / ménages du "
                 f"recensement {r.get('millesime_recensement_menages') or ''}".strip(" ;")
                 if r.get("nb_foyers_rsa") is not None else comp("part_foyers_rsa", "pct")],
                ["Niveau de vie médian", cellule(r, "mediane_niveau_vie", "euros") if r.get("mediane_niveau_vie")
                 is not None else "non publié", comp("mediane_niveau_vie", "euros") if r.get("mediane_niveau_vie")
                 is not None else "l'Insee ne publie pas de médiane pour ce territoire ; elle ne se déduit pas de "
                                  "celles de ses EPCI"],
            ],
            "logement": [
                [f"Logements (recensement {rp or ''})".replace(" )", ")"), cellule(r, "nb_logements"), ""],
                ["Part des résidences principales occupées par leur propriétaire",
                 cellule(r, "part_proprietaires_occupants", "pct"), comp("part_proprietaires_occupants", "pct")],
                ["Résidences principales louées vides HLM", cellule(r, "nb_rp_locataires_hlm"), ""],
                ["Taux de vacance", cellule(r, "taux_vacance", "pct"), comp("taux_vacance", "pct")],
                ["Part des résidences secondaires", cellule(r, "part_residences_secondaires", "pct"),
                 comp("part_residences_secondaires", "pct")],
                [f"Logements locatifs sociaux (RPLS, 1er janvier {r.get('millesime_logement_social') or ''})"
                 .replace(" )", ")"), cellule(r, "nb_logements_sociaux"),
                 f"{pourcentage(r['nb_logements_sociaux'] / ref['nb_logements_sociaux'])} du parc du département"
                 if ref and r.get("nb_logements_sociaux") and ref.get("nb_logements_sociaux") else ""],
                ["Part des logements individuels dans le parc social", cellule(r, "part_ls_individuels", "pct"),
                 comp("part_ls_individuels", "pct")],
            ],
            # FINESS (ANS): installed places by family; CHU, HUDA and ALT are not in FINESS (docs/sources/finess.md).
            "hebergement": [
                [f"{libelle} (FINESS {r.get('millesime_hebergement') or ''})".replace(" )", ")"),
                 cellule(r, f"{famille}_places"), f"{cellule(r, f'{famille}_etablissements')} établissement(s)"]
                for famille, libelle in (
                    ("chrs", "Places en CHRS"), ("autre_centre_accueil", "Places en autres centres d'accueil"),
                    ("lhss", "Lits halte soins santé"), ("cada_cph", "Places en CADA et CPH (asile)"),
                    ("pension_famille", "Places en pensions de famille et résidences accueil"),
                    ("residence_sociale", "Places en autres résidences sociales"),
                    ("fjt", "Places en foyers de jeunes travailleurs"))
            ] + [["Places d'hébergement pour 10 000 habitants (hors urgence)",
                  cellule(r, "places_hebergement_pour_10000_habitants", "decimal1"),
                  comp("places_hebergement_pour_10000_habitants", "decimal1")]],
            "contexte": [
                ["Communes", cellule(r, "nb_communes"), ""],
                ["EPCI à fiscalité propre", cellule(r, "nb_epci"), ""],
                ["Population municipale", cellule(r, "population"),
                 f"{pourcentage(pop / ref['population'])} du département" if ref and pop else ""],
                ["Superficie", f"{cellule(r, 'superficie_km2')}\u00a0km²", ""],
                ["Densité", f"{cellule(r, 'densite_hab_km2')}\u00a0hab./km²",
                 f"Pas-de-Calais : {cellule(ref, 'densite_hab_km2')}\u00a0hab./km²" if ref else ""],
            ],
            "offre": [
                [f"Résidences principales privées ({r.get('millesime_pppi')})", cellule(r, "nb_rp_privees"), ""],
                ["Parc privé potentiellement indigne (PPPI)", cellule(r, "nb_pppi"), ""],
                ["Taux de PPPI", cellule(r, "taux_pppi", "pct"), comp("taux_pppi", "pct")],
                ["Part des PPPI occupés par des locataires", cellule(r, "part_pppi_locataires", "pct"),
                 comp("part_pppi_locataires", "pct")],
                ["PPPI construits avant 1949", cellule(r, "nb_pppi_avant_1949"), ""],
            ],
            "demande": [
                ["Demandes de logement social en cours au 31/12", cellule(r, "nb_demandes_en_cours"), ""],
                ["dont demandes de mutation", cellule(r, "part_demandes_mutation", "pct"),
                 comp("part_demandes_mutation", "pct")],
                ["dont demandeurs de moins de 25 ans", cellule(r, "part_demandes_moins_25_ans", "pct"),
                 comp("part_demandes_moins_25_ans", "pct")],
                ["Attributions de l'année", cellule(r, "nb_attributions"), ""],
                ["Tension (demandes / attributions)", cellule(r, "tension_demandes_attributions", "decimal1"),
                 comp("tension_demandes_attributions", "decimal1")],
                ["Délai moyen d'attribution (mois)", cellule(r, "delai_moyen_attribution_mois", "decimal1"),
                 comp("delai_moyen_attribution_mois", "decimal1")],
                ["Ancienneté moyenne des demandes en cours (mois)", cellule(r, "anciennete_moyenne_mois", "decimal1"),
                 comp("anciennete_moyenne_mois", "decimal1")],
            ],
            "prioritaire": [
                ["Attributions à des ménages prioritaires", cellule(r, "nb_attributions_prioritaires"), ""],
                ["Part des attributions aux prioritaires (objectif légal 25 %)",
                 cellule(r, "part_attributions_prioritaires", "pct"), comp("part_attributions_prioritaires", "pct")],
                ["Attributions à des ménages reconnus DALO", cellule(r, "nb_attributions_prioritaires_dalo"), ""],
                ["Recours DALO / DAHO déposés", cellule(r, "nb_recours"),
                 f"{cellule(r, 'part_recours_departement', 'pct')} des recours du département" if ref else ""],
                ["Décisions de la commission de médiation", cellule(r, "nb_decisions"), ""],
                ["Taux de décisions favorables", cellule(r, "taux_decisions_favorables", "pct"),
                 comp("taux_decisions_favorables", "pct")],
                ["Ménages relogés ou accueillis", cellule(r, "nb_menages_reloges"), ""],
                ["Ménages reconnus restant à reloger", cellule(r, "nb_menages_restant_a_reloger"), ""],
            ],
            "fsl": [
                ["Dossiers FSL accès", cellule(r, "nb_dossiers_acces"), ""],
                ["Aides financières accès accordées", cellule(r, "nb_aides_acces"),
                 f"montant : {cellule(r, 'montant_aides_acces', 'euros')}"],
                ["Aide moyenne accès", cellule(r, "aide_moyenne_acces", "euros"), comp("aide_moyenne_acces", "euros")],
                ["Aides maintien accordées", cellule(r, "nb_aides_maintien"),
                 f"montant : {cellule(r, 'montant_aides_maintien', 'euros')}"],
                ["Aides énergie / eau / téléphone",
                 " / ".join(cellule(r, c) for c in ("nb_aides_energie", "nb_aides_eau", "nb_aides_telephone")), ""],
                ["Ménages accompagnés ASLL / AML / FAL",
                 " / ".join(cellule(r, c) for c in ("nb_menages_asll", "nb_menages_aml", "nb_menages_fal")), ""],
                ["Aides FSL (tous volets) pour 1 000 habitants", fsl_1000, ""],
            ],
            "expulsions": [
                ["Commandements de payer", cellule(r, "nb_commandements_payer"), ""],
                ["Saisines de la CCAPEX", cellule(r, "nb_saisines_ccapex"), ""],
                ["Assignations", cellule(r, "nb_assignations"), f"{assign_1000} pour 1 000 habitants"],
                ["Jugements", cellule(r, "nb_jugements"), ""],
                ["Commandements de quitter les lieux", cellule(r, "nb_commandements_quitter"), ""],
                ["Concours de la force publique demandés / accordés / exécutés",
                 " / ".join(cellule(r, c) for c in ("nb_cfp_demandes", "nb_cfp_accordes", "nb_cfp_executes")), ""],
                ["Part des assignés ayant régularisé leur dette",
                 cellule(r, "part_assignations_dette_regularisee", "pct"),
                 comp("part_assignations_dette_regularisee", "pct")],
            ],
        }

    def synthese(self) -> Section:
        s = Section("synthese", "Synthèse départementale")
        r = self.dep_a
        prec = self._ligne(self.dep, self.annee - 1)
        s.paragraphe(
            f"En {self.annee}, le Pas-de-Calais compte {cellule(r, 'nb_demandes_en_cours')} demandes de logement "
            f"social en cours au 31/12 pour {cellule(r, 'nb_attributions')} attributions dans l'année, soit une "
            f"tension de {cellule(r, 'tension_demandes_attributions', 'decimal1')} demandes pour une attribution "
            f"({cellule(prec, 'tension_demandes_attributions', 'decimal1')} en {self.annee - 1}). "
            f"{cellule(r, 'nb_recours')} recours DALO ont été déposés, {cellule(r, 'nb_aides_acces')} aides FSL à "
            f"l'accès accordées et {cellule(r, 'nb_assignations')} assignations délivrées. Le parc privé "
            f"potentiellement indigne représente {cellule(r, 'taux_pppi', 'pct')} des résidences principales "
            f"privées (Filocom {self.millesime}).")
        cles = [
            ("Demandes en cours au 31/12", "nb_demandes_en_cours", "nombre"),
            ("Attributions", "nb_attributions", "nombre"),
            ("Tension (demandes / attributions)", "tension_demandes_attributions", "decimal1"),
            ("Délai moyen d'attribution (mois)", "delai_moyen_attribution_mois", "decimal1"),
            ("Part des attributions aux prioritaires", "part_attributions_prioritaires", "pct"),
            ("Recours DALO / DAHO", "nb_recours", "nombre"),
            ("Taux de décisions favorables", "taux_decisions_favorables", "pct"),
            ("Aides FSL accès", "nb_aides_acces", "nombre"),
            ("Aides FSL maintien", "nb_aides_maintien", "nombre"),
            ("Commandements de payer", "nb_commandements_payer", "nombre"),
            ("Assignations", "nb_assignations", "nombre"),
            ("Concours de la force publique accordés", "nb_cfp_accordes", "nombre"),
        ]
        lignes = [[lib] + [cellule(self._ligne(self.dep, a), col, g) for a in self.annees] for lib, col, g in cles]
        s.tableau(f"Chiffres clés du département, {self.annees[0]}-{self.annees[-1]}", ["Indicateur"] +
                  [str(a) for a in self.annees], lignes,
                  source="Sources : SNE, ComDALO, FSL, CCAPEX ; traitement Observatoire PDALHPD 62.")
        self._tableau_territoires(s)
        s.titre2("Évolutions")
        s.figures(
            self._courbes("dep_demandes.svg", "Demandes en cours et attributions", self.dep,
                          [("nb_demandes_en_cours", "Demandes en cours au 31/12"),
                           ("nb_attributions", "Attributions de l'année")], SRC_SNE),
            self._courbes("dep_expulsions.svg", "Prévention des expulsions", self.dep,
                          [("nb_commandements_payer", "Commandements de payer"), ("nb_assignations", "Assignations"),
                           ("nb_cfp_accordes", "CFP accordés")], SRC_CCAPEX))
        tension = [(t["nom_territoire"], self._serie(self.ter, "tension_demandes_attributions",
                                                      code_territoire=t["code_territoire"]))
                   for t in self.territoires]
        s.figures(self._figure("dep_tension_territoires.svg",
                               graphiques.courbes("Tension par territoire", self.annees, tension, decimales=1),
                               f"Tension par territoire, {self.annees[0]}-{self.annees[-1]}", SRC_SNE))
        s.titre2("Cartes par EPCI")
        s.figures(self._carte_epci("tension", "dep_carte_tension.svg"),
                  self._carte_epci("pppi", "dep_carte_pppi_epci.svg"))
        s.figures(self._carte_epci("assignations", "dep_carte_assignations.svg"),
                  self._carte_epci("fsl", "dep_carte_fsl.svg"))
        s.paragraphe("L'entrepôt ne contient pas le nombre de ménages : les taux « pour 1 000 » sont rapportés à la "
                     "population municipale (INSEE, COG 2026), et non aux ménages.")
        s.titre2("Parc privé potentiellement indigne par commune")
        s.figures(self._carte_pppi_communes("dep_carte_pppi_communes.svg"))
        self._diagnostic(s, "departement", "62")
        return s

    def portrait(self, t: dict) -> Section:
        code, nom = t["code_territoire"], t["nom_territoire"]
        r = self._ligne(self.ter, self.annee, code_territoire=code)
        s = Section(f"territoire-{code.lower()}", f"Portrait du territoire : {nom}",
                    sous_titre=f"Territoire {code} – chiffres {self.annee}")
        c = self._chiffres_cles(r, self.dep_a)
        s.titre2("Données de contexte")
        s.chiffres(c["contexte"] + c["insee"])
        s.paragraphe(SRC_INSEE)
        s.titre2("L'offre de logement et le parc privé potentiellement indigne")
        s.chiffres(c["logement"] + c["offre"])
        s.figures(self._carte_pppi_communes(f"{code}_carte_pppi_communes.svg", code))
        s.titre2("La demande et les attributions de logement social")
        s.chiffres(c["demande"])
        typo = [x for x in self.typologies if x["niveau"] == "territoire" and x["code_zone"] == code]
        s.tableau(f"Tension par typologie, {self.annee}", ["Typologie", "Demandes en cours", "Attributions",
                                                          "Tension"],
                  [[x["typologie"], cellule(x, "nb_demandes_en_cours"), cellule(x, "nb_attributions"),
                    cellule(x, "tension_demandes_attributions", "decimal1")] for x in typo],
                  source=SRC_SNE + " Une demande compte dans sa plus petite typologie souhaitée.",
                  premiere_large=False, ident="typologies")
        s.figures(
            self._courbes(f"{code}_demandes.svg", "Demandes en cours et attributions", self.ter,
                          [("nb_demandes_en_cours", "Demandes en cours au 31/12"),
                           ("nb_attributions", "Attributions de l'année")], SRC_SNE, code_territoire=code),
            self._carte_epci("tension", f"{code}_carte_tension.svg", code))
        s.titre2("L'accès prioritaire et le DALO")
        s.chiffres(c["prioritaire"])
        # shown motives by decreasing number, then the masked ones by label: the published rank is computed before
        # masking, and ordering masked rows by it would tell between which shown values they lie
        motifs = sorted((x for x in self.dalo if x["niveau"] == "territoire" and x["code_zone"] == code
                         and x["dimension"] == "motif"),
                        key=lambda x: (est_masque(x, "nb_recours"), -(x["nb_recours"] or 0),
                                       MOTIFS_DALO.get(x["code"], x["code"])))
        if motifs:
            s.tableau(f"Motifs des recours DALO, {self.annee}", ["Motif invoqué", "Recours"],
                      [[MOTIFS_DALO.get(x["code"], x["code"].replace("_", " ").capitalize()),
                        cellule(x, "nb_recours")] for x in motifs],
                      source=SRC_DALO, premiere_large=False, ident="motifs_dalo")
        s.titre2("L'accompagnement FSL")
        s.chiffres(c["fsl"])
        s.figures(
            self._courbes(f"{code}_fsl.svg", "Aides FSL accordées", self.ter,
                          [("nb_aides_acces", "Accès"), ("nb_aides_maintien", "Maintien"),
                           ("nb_aides_energie", "Énergie")], SRC_FSL, barres=True, code_territoire=code),
            self._courbes(f"{code}_recours.svg", "Recours DALO / DAHO déposés", self.ter,
                          [("nb_recours", "Recours déposés"), ("nb_decisions_favorables", "Décisions favorables")],
                          SRC_DALO, barres=True, code_territoire=code))
        s.titre2("La prévention des expulsions")
        s.chiffres(c["expulsions"])
        s.figures(self._courbes(f"{code}_expulsions.svg", "Prévention des expulsions", self.ter,
                                [("nb_commandements_payer", "Commandements de payer"),
                                 ("nb_assignations", "Assignations"), ("nb_cfp_accordes", "CFP accordés")],
                                SRC_CCAPEX, code_territoire=code),
                  self._carte_epci("assignations", f"{code}_carte_assignations.svg", code))
        if r.get("millesime_hebergement") is not None:  # where FINESS gives it, as the annex does
            s.titre2("Hébergement et logement adapté")
            s.chiffres(c["hebergement"])
            s.paragraphe(SRC_FINESS)
        s.titre2("Les EPCI du territoire")
        lignes, total = [], []
        for e in sorted((x for x in self.epci if x["annee"] == self.annee and x["code_territoire"] == code),
                        key=lambda x: -(x.get("population") or 0)):
            lignes.append(self._ligne_zone(e["nom_epci"], e))
            total.append(False)
        lignes.append(self._ligne_zone(f"Territoire : {nom}", r))
        total.append(True)
        s.tableau(f"Les EPCI du territoire, {self.annee}", ["EPCI"] + self.ENTETES_ZONES[1:], lignes,
                  comptes=[2, 3, 5, 6, 7], total=total, ident="epci", largeurs=self.LARGEURS_ZONES,
                  source=f"Sources : SNE, ComDALO, FSL, CCAPEX ({self.annee}) ; Filocom {self.millesime} (PPPI) ; "
                         f"{SRC_POP}.",
                  notes=["Pour les EPCI, les effectifs de 1 à 4 (1 à 10 pour le PPPI) sont masqués, ainsi que les "
                         "cellules qui permettraient de les retrouver par différence."])
        self._diagnostic(s, "territoire", code)
        return s

    def _diagnostic(self, s: Section, niveau: str, code: str) -> None:
        def val(v, unite, ecart=False):
            if v is None:
                return NON_DISPONIBLE
            if isinstance(v, str):
                return v
            if unite in ("pct", "pct_range"):
                return f"{nombre(v, 1)}\u00a0%" if not ecart else f"{nombre(v, 1)}\u00a0pt"
            if unite in ("ratio", "index", "fraction"):
                return nombre(v, 2)
            if unite in ("months",):
                return f"{nombre(v, 1)} mois"
            if unite == "eur":
                return euros(v)
            return nombre(v, 0) if abs(v) >= 100 or float(v).is_integer() else nombre(v, 1)

        lignes, incoherences = [], []
        for d in self.diagnostic:
            if d["niveau"] != niveau or d["code_zone"] != code or d["unite"] in ("missing_image", "date"):
                continue
            if d["unite"] == "text":  # a figure published as text: its most frequent values
                d = {**d, "valeur_calculee": d["valeur_calculee_texte"],
                     "valeur_derniere_annee": d["valeur_derniere_annee_texte"], "evolution_depuis_diagnostic": None}
            if d["valeur_calculee"] is None and d["valeur_derniere_annee"] is None and not d["secret_statistique"]:
                continue  # nothing to compare with
            secret = bool(d["secret_statistique"])
            publie = d["valeur_publiee_texte"] if d["valeur_publiee"] is None and d["valeur_publiee_texte"] \
                else val(d["valeur_publiee"], d["unite"])
            if d["annee_publiee"]:
                publie += f" ({d['annee_publiee']})"
            recalc = MASQUE if secret else val(d["valeur_calculee"], d["unite"])
            if not secret and d["valeur_calculee"] is not None and d["periode_calculee"]:
                recalc += f" ({d['periode_calculee']})"
            if d["valeur_comparaison_calculee"] is not None:  # the departmental average the text quotes
                publie += f" ; département {val(d['valeur_comparaison_publiee'], d['unite'])}"
                recalc += f" ; département {val(d['valeur_comparaison_calculee'], d['unite'])}"
            dern = MASQUE if secret else val(d["valeur_derniere_annee"], d["unite"])
            if not secret and d["valeur_derniere_annee"] is not None and d["derniere_annee"]:
                dern += f" ({d['derniere_annee']})"
            evo = d["evolution_depuis_diagnostic"]
            evolution = MASQUE if secret else (NON_DISPONIBLE if evo is None else
                                               ("+" if evo > 0 else "") + val(evo, d["unite"], True))
            libelle = d["libelle_indicateur"]
            if len(libelle) > 110:
                libelle = libelle[:107].rsplit(" ", 1)[0] + "…"
            if d["incoherence_plan"]:
                chiffre = val(d["valeur_publiee"], d["unite"]) if d["valeur_publiee"] is not None \
                    else d["valeur_publiee_texte"]
                incoherences.append(f"{libelle} ({chiffre}) : {d['incoherence_plan']}.")
                libelle += " *"
            lignes.append([libelle, publie, recalc, dern, evolution])
        if not lignes:
            return
        s.titre2("Comparaison avec le diagnostic 2022")
        s.tableau("Valeurs du diagnostic 2022 et valeurs de l'entrepôt", ["Indicateur", "Diagnostic 2022",
                  "Recalculé (même période)", "Dernière année", "Évolution depuis le diagnostic"], lignes,
                  source="Sources : diagnostic 2022 du PDALHPD ; entrepôt de l'observatoire (couche diffusion).",
                  notes=["Évolution : valeur de la dernière année moins la valeur recalculée sur la période du "
                         "diagnostic, dans l'unité de l'indicateur (points pour un pourcentage). Les valeurs "
                         "publiées en 2022 ne sont pas corrigées. « Département » : la moyenne départementale que "
                         "le plan cite à côté du chiffre, et sa valeur recalculée sur la même période.",
                         *(["* Le plan se contredit sur ce chiffre. " + " ".join(incoherences)] if incoherences
                           else [])])

    def indicateurs_plan(self) -> Section:
        s = Section("plan", "Indicateurs du plan")
        s.paragraphe("Indicateurs de suivi des fiches actions du PDALHPD : calculés à partir de l'entrepôt quand "
                     "une source le permet, collectés auprès des pilotes sinon (section « Suivi des fiches actions »).")
        calcules = defaultdict(dict)
        info = {}
        for p in self.plan:
            if p["mode"] != "calcule" or p["annee"] is None or p["annee"] > self.annee:
                continue
            info[p["code_indicateur"]] = p
            calcules[(p["code_indicateur"], p["niveau"], p["code_zone"])][p["annee"]] = p

        def fmt(p):
            if p is None:
                return NON_DISPONIBLE
            if p["secret_statistique"]:
                return MASQUE
            if p["unite"] == "%":  # the plan stores percentages in percent (22.0 = 22 %)
                return NON_DISPONIBLE if p["valeur"] is None else f"{nombre(p['valeur'], 1)}\u00a0%"
            return nombre(p["valeur"])

        ordre = sorted(info, key=lambda k: (info[k]["fiche"], k))
        lignes = [[f"{info[k]['fiche']} – {info[k]['libelle_indicateur']}"] +
                  [fmt(calcules[(k, "departement", "62")].get(a)) for a in self.annees] for k in ordre]
        s.tableau(f"Indicateurs calculés, Pas-de-Calais, {self.annees[0]}-{self.annees[-1]}",
                  ["Fiche – indicateur"] + [str(a) for a in self.annees], lignes,
                  source="Sources : voir la colonne source du référentiel des indicateurs (SNE, FSL, CCAPEX).")
        codes_t = [t["code_territoire"] for t in self.territoires]
        lignes = [[f"{info[k]['fiche']} – {info[k]['libelle_indicateur']}"] +
                  [fmt(calcules[(k, "territoire", c)].get(self.annee)) for c in codes_t] for k in ordre]
        s.tableau(f"Indicateurs calculés par territoire, {self.annee}", ["Fiche – indicateur"] + codes_t, lignes,
                  source="Codes : " + ", ".join(f"{t['code_territoire']} {t['nom_territoire']}"
                                                for t in self.territoires) + ".")
        return s

    def suivi(self) -> Section:
        """« Suivi des fiches actions » (fiche 6-3): statuses and completeness at the last COTECH, per axis."""
        s = Section("suivi", "Suivi des fiches actions")
        if self.dernier_cotech is None:
            s.paragraphe("Aucun classeur de suivi n'a encore été reçu des pilotes : la section se remplira au premier "
                         "retour (observatoire suivi preparer, puis dépôt des classeurs remplis).")
            return s
        jour = self.dernier_cotech
        fiches = [r for r in self.suivi_fiches if r["date_cotech"] == jour]
        ensemble = next(r for r in self.suivi_completude if r["date_cotech"] == jour and r["perimetre"] == "ensemble")
        s.paragraphe(
            f"COTECH du {date_fr(jour)} : {ensemble['nb_classeurs_recus']} classeurs reçus sur "
            f"{ensemble['nb_classeurs_attendus']} attendus ; complétude du suivi {nombre(ensemble['completude'], 1)} % "
            f"({ensemble['nb_elements_renseignes']} éléments renseignés sur {ensemble['nb_elements_dus']} : valeurs "
            "des indicateurs et avancement de chaque fiche). C'est l'indicateur de la fiche 6-3.")
        historique = [r for r in self.suivi_completude if r["perimetre"] == "ensemble"]
        s.chiffres([[f"Complétude avant le COTECH du {date_fr(r['date_cotech'])}", f"{nombre(r['completude'], 1)} %",
                     f"{r['nb_classeurs_recus']} classeurs sur {r['nb_classeurs_attendus']}"] for r in historique])
        valeurs = defaultdict(list)
        for v in self.suivi_valeurs:
            valeurs[v["fiche"]].append(v)
        for axe in sorted({r["axe"] for r in fiches}):
            lignes = [[f"{r['fiche']} – {r['titre'][:70]}{'…' if len(r['titre']) > 70 else ''}",
                       self.pilotes.get(r["pilote"], r["pilote"] or "—"), r["statut_action"] or NON_DISPONIBLE,
                       f"{nombre(r['completude'], 1)} %" if r["completude"] is not None else "—",
                       self._indicateurs_cles(valeurs[r["fiche"]])]
                      for r in fiches if r["axe"] == axe]
            libelle = next(r["libelle_axe"] for r in fiches if r["axe"] == axe)
            s.tableau(f"Axe {axe} – {libelle}", ["Fiche", "Pilote", "Statut", "Complétude", "Indicateurs clés"],
                      lignes, source=f"Source : classeurs de suivi des pilotes, COTECH du {date_fr(jour)}.",
                      largeurs=[3, 1, 1, 0.9, 3.2])
        s.titre2("Retours manquants")
        pilotes = [r for r in self.suivi_completude if r["date_cotech"] == jour and r["perimetre"] == "pilote"]
        absents = [self.pilotes.get(r["code_perimetre"], r["code_perimetre"]) for r in pilotes
                   if not r["nb_classeurs_recus"]]
        sans_statut = [r["fiche"] for r in fiches if r["pilote"] and r["statut_action"] is None]
        s.paragraphe(("Classeurs non reçus : " + ", ".join(absents) + ".") if absents else
                     "Tous les classeurs attendus ont été reçus.")
        if sans_statut:
            s.paragraphe("Fiches sans avancement renseigné : " + ", ".join(sans_statut) + ".")
        jalons = sorted((r for r in fiches if r["jalon_avant_prochain_cotech"]),
                        key=lambda r: (r["date_prochain_jalon"], r["fiche"]))
        s.tableau("Jalons prévus avant le prochain COTECH", ["Fiche", "Jalon", "Date prévue"],
                  [[r["fiche"], r["prochain_jalon"] or "—", date_fr(r["date_prochain_jalon"])] for r in jalons]
                  or [["—", "Aucun jalon annoncé avant le prochain COTECH", "—"]],
                  source="Source : feuille Avancement des classeurs de suivi.")
        return s

    @staticmethod
    def _indicateurs_cles(valeurs: list[dict]) -> str:
        """Up to two département-level values with their trend, or how many zones reported."""
        parts = []
        for v in [v for v in valeurs if v["niveau"] == "departement" and v["valeur"] is not None][:2]:
            tendance = "" if v["evolution"] is None else (
                " ↗" if v["evolution"] > 0 else " ↘" if v["evolution"] < 0 else " →")
            unite = "" if v["unite"] == "nombre" else f" {v['unite']}"
            libelle = v["libelle_indicateur"]
            libelle = libelle if len(libelle) <= 60 else libelle[:59] + "…"
            parts.append(f"{libelle} : {nombre(v['valeur'], 0 if v['nature'] == 'nombre' else 1)}{unite}{tendance}")
        zones = [v for v in valeurs if v["niveau"] != "departement"]
        if zones:
            parts.append(f"{sum(1 for v in zones if v['renseigne'])} valeurs territoriales sur {len(zones)}")
        return " ; ".join(parts) or "—"

    def methodes(self) -> Section:
        s = Section("methodes", "Méthodes, sources et secret statistique")
        s.titre2("Sources")
        lignes = []
        for f in self.fraicheur:
            libelle, detail = _libelles(f["source"])
            lignes.append([libelle, detail, date_fr(f["date_extraction"])])
        s.tableau("Sources et fraîcheur des données", ["Source", "Producteur", "Dernière extraction"], lignes,
                  source="Source : journal des chargements de l'entrepôt (fichiers chargés).")
        s.titre2("Définitions")
        for texte in [
            "Stocks et flux : les demandes en cours et les ménages DALO restant à reloger sont comptés au 31 décembre "
            "de l'année ; les attributions, recours, décisions, aides et étapes de procédure sont comptés pendant "
            "l'année civile. Une demande est rattachée à sa première commune souhaitée, une attribution à la commune "
            "du logement attribué, un recours DALO ou un dossier FSL à la commune du ménage.",
            "Tension : demandes en cours au 31/12 rapportées aux attributions de l'année. Les ratios sont toujours "
            "calculés à partir des numérateurs et dénominateurs de la zone, jamais par moyenne de ratios.",
            "Taux pour 1 000 habitants : l'entrepôt ne contenant pas le nombre de ménages, les assignations et les "
            "aides FSL sont rapportées à la population municipale légale (INSEE, COG 2026).",
            f"Années : les graphiques couvrent les années closes de {self.annees[0]} à {self.annees[-1]} ; l'année "
            f"{self.derniere}, en cours à la date de la dernière extraction, n'a que des flux partiels et n'est pas "
            f"présentée. Le PPPI, bisannuel, est présenté au dernier millésime Filocom ({self.millesime}).",
            "Géographie : communes, EPCI et territoires du Département au COG 2026 ; les contours des cartes "
            "(IGN Admin Express COG 2018 simplifié, Licence Ouverte) sont ramenés aux communes actuelles par la "
            "table des fusions de communes ; un EPCI ou un territoire est dessiné comme la réunion de ses communes.",
        ]:
            s.paragraphe(texte)
        s.titre2("Secret statistique")
        for texte in [
            "Toutes les valeurs de ce dossier proviennent de la couche de diffusion de l'entrepôt, où le secret "
            "statistique est appliqué (loi n° 51-711 du 7 juin 1951).",
            "Masquage primaire : à l'échelle de l'EPCI, un effectif issu de fichiers individuels (SNE, DALO, FSL, "
            "CCAPEX) compris entre 1 et 4 est masqué ; pour le PPPI (source fiscale Filocom), le seuil est de 11, à "
            "l'échelle de l'EPCI et de la commune.",
            "Masquage secondaire : d'autres cellules sont masquées avec elles, sinon on retrouverait une valeur "
            "masquée par calcul (un territoire moins ses autres EPCI, un total moins ses typologies, un EPCI dont "
            "toutes les typologies sont publiées). Toutes les tables publiées qui partagent des cellules ou des "
            "sommes (indicateurs par thème, détail par typologie ou décision, portraits, indicateurs du plan, "
            "comparaison au diagnostic) sont masquées ensemble ; une cellule masquée en second peut valoir zéro. "
            "Les ratios, montants et moyennes qui dépendent d'une valeur masquée le sont aussi.",
            "Vérification : avant chaque publication, l'entrepôt attaque lui-même la couche de diffusion. Pour "
            "chaque valeur masquée, il calcule par programmation linéaire l'intervalle où un attaquant peut la "
            "situer en combinant tout ce qui est publié ; la publication est bloquée si une valeur peut être "
            "retrouvée exactement ou si une valeur sous le seuil est encadrée dans un intervalle plus étroit que le "
            "seuil (5, ou 11 pour le PPPI).",
            "À ne pas faire : recalculer une valeur masquée (par différence ou par somme), ou compléter un tableau "
            "de ce dossier avec des chiffres non masqués de l'entrepôt interne.",
            f"Présentation : une valeur masquée apparaît « {MASQUE} » dans les tableaux et en gris sur les cartes ; "
            f"une valeur non calculable (dénominateur nul, donnée absente) apparaît « {NON_DISPONIBLE} » dans les "
            "tableaux et en blanc sur les cartes. Les courbes sont interrompues aux valeurs masquées. Un indicateur "
            "dérivé de plusieurs valeurs (par exemple les aides FSL tous volets) est masqué dès qu'une d'elles "
            "l'est. Aucune valeur masquée n'est recalculée.",
            "La carte communale n'est dressée que pour le PPPI, seul indicateur diffusé à la commune ; les autres "
            "cartes sont par EPCI.",
        ]:
            s.paragraphe(texte)
        return s

    def document(self) -> dict:
        sections = [self.synthese()] + [self.portrait(t) for t in self.territoires] + \
                   [self.indicateurs_plan(), self.suivi(), self.methodes()]
        return {"couverture": self.couverture(),
                "sections": [{"id": x.ident, "titre": x.titre, "sous_titre": x.sous_titre, "blocs": x.blocs}
                             for x in sections]}
