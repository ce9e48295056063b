"""What a reader of the COTECH dossier actually sees.

The HTML site is rendered in headless Chromium (one browser, driven over the DevTools protocol on a pipe: no
extra Python dependency) at a desktop and a phone width; the PDF is rendered by poppler (``pdftotext -bbox``
for the words and their boxes, ``pdftoppm`` for the pixels). Checked: one portrait per territory of
``referentiel.territoires``, every chart and map drawn (marks and ink), the secret statistique as shown (no
count of an EPCI between 1 and the threshold, every masked value shown as « s » or grey, derived ratios
included), and no text overflowing its box, the window or the page margins.

Chromium (Debian package ``chromium``) and poppler (``poppler-utils``) are system tools: without them these
tests are skipped, except in CI (``CI`` or ``OBSERVATOIRE_CI`` set), where they fail.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pytest
import yaml

from observatoire.dossier import build
from observatoire.dossier.contenu import MOTIFS_DALO

ROOT = Path(__file__).resolve().parents[1]
JOUR = dt.date(2024, 7, 15)
LARGEURS = {"ordinateur": 1280, "telephone": 390}
GRIS_SECRET = "#a6a6a6"
# The zone tables (territories of the synthesis, EPCI of a portrait): header → column of diffusion.portrait_*
COLONNES_ZONES = {"Population": "population", "Demandes en cours": "nb_demandes_en_cours",
                  "Attributions": "nb_attributions", "Tension": "tension_demandes_attributions",
                  "Recours DALO": "nb_recours", "Aides FSL accès": "nb_aides_acces", "Assignations": "nb_assignations",
                  "Taux PPPI": "taux_pppi"}
# Key figures of a portrait showing one column (label → column)
CHIFFRES = {
    "Parc privé potentiellement indigne (PPPI)": "nb_pppi", "Taux de PPPI": "taux_pppi",
    "Part des PPPI occupés par des locataires": "part_pppi_locataires",
    "Demandes de logement social en cours au 31/12": "nb_demandes_en_cours",
    "dont demandes de mutation": "part_demandes_mutation", "Attributions de l'année": "nb_attributions",
    "Tension (demandes / attributions)": "tension_demandes_attributions",
    "Délai moyen d'attribution (mois)": "delai_moyen_attribution_mois",
    "Attributions à des ménages prioritaires": "nb_attributions_prioritaires",
    "Part des attributions aux prioritaires (objectif légal 25 %)": "part_attributions_prioritaires",
    "Recours DALO / DAHO déposés": "nb_recours", "Décisions de la commission de médiation": "nb_decisions",
    "Taux de décisions favorables": "taux_decisions_favorables", "Ménages relogés ou accueillis": "nb_menages_reloges",
    "Ménages reconnus restant à reloger": "nb_menages_restant_a_reloger", "Dossiers FSL accès": "nb_dossiers_acces",
    "Aide moyenne accès": "aide_moyenne_acces", "Aides maintien accordées": "nb_aides_maintien",
    "Commandements de payer": "nb_commandements_payer", "Assignations": "nb_assignations",
    "Part des assignés ayant régularisé leur dette": "part_assignations_dette_regularisee",
}
# Figures of every portrait (file name suffix → map or chart) and the indicator each EPCI map shows
FIGURES_PORTRAIT = {"carte_pppi_communes": "carte", "demandes": "graphique", "carte_tension": "carte",
                    "fsl": "graphique", "recours": "graphique", "expulsions": "graphique",
                    "carte_assignations": "carte"}
CARTES_EPCI = {"carte_tension": "tension_demandes_attributions", "carte_assignations": "nb_assignations"}


def _outil(*noms: str) -> str:
    """Path of a system tool, or skip (fail in CI) with the Debian package to install."""
    for nom in noms:
        chemin = shutil.which(nom)
        if chemin:
            return chemin
    paquet = {"chromium": "chromium", "pdftoppm": "poppler-utils", "pdftotext": "poppler-utils"}[noms[0]]
    message = (f"{noms[0]} introuvable : installer le paquet Debian {paquet} "
               f"(apt-get install --no-install-recommends {paquet}) pour vérifier le rendu du dossier.")
    if os.environ.get("CI") or os.environ.get("OBSERVATOIRE_CI"):
        pytest.fail(message)
    pytest.skip(message)


# --- the published figures ----------------------------------------------------------------------------------


@dataclass
class Publie:
    """What the dossier is built from, read from the published file (the reference of every check)."""

    annee: int
    seuils: dict[str, int]
    territoires: list[dict]
    territoire: dict[str, dict]  # code → portrait row of the dossier's year
    departement: dict
    epci: dict[str, list[dict]]  # code territoire → EPCI rows of the dossier's year
    typologies: dict[str, list[dict]]
    motifs: dict[str, list[dict]]
    pppi_communes: dict[str, dict]
    commune_territoire: dict[str, str]
    derivees: dict[str, set[str]] = field(default_factory=dict)

    def masque(self, ligne: dict, colonne: str) -> bool:
        """Masked in diffusion: the column, or a count it is computed from, is listed in colonnes_masquees."""
        masquees = set(ligne.get("colonnes_masquees") or [])
        return colonne in masquees or bool(self.derivees.get(colonne, set()) & masquees)

    def seuil(self, colonne: str) -> int:
        return self.seuils["secret_seuil_fiscal" if colonne.startswith("nb_pppi") else "secret_seuil_individuel"]


def _lignes(con, sql: str, *parametres) -> list[dict]:
    cur = con.execute(sql, list(parametres))
    noms = [d[0] for d in cur.description]
    return [dict(zip(noms, r, strict=True)) for r in cur.fetchall()]


@pytest.fixture(scope="module")
def publie(demo) -> Publie:
    seuils = yaml.safe_load((ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    con = duckdb.connect(str(demo.published), read_only=True)
    try:
        annee = con.execute("SELECT max(annee) FROM diffusion.portrait_departement WHERE annee_complete").fetchone()[0]
        territoires = _lignes(con, "SELECT code_territoire, nom_territoire FROM referentiel.territoires ORDER BY ordre")
        epci: dict[str, list[dict]] = {}
        for r in _lignes(con, "SELECT * FROM diffusion.portrait_epci WHERE annee = ?", annee):
            epci.setdefault(r["code_territoire"], []).append(r)
        typologies: dict[str, list[dict]] = {}
        for r in _lignes(con, "SELECT * FROM diffusion.sne_tension_typologie WHERE annee = ? AND niveau = "
                              "'territoire' ORDER BY typologie", annee):
            typologies.setdefault(r["code_zone"], []).append(r)
        motifs: dict[str, list[dict]] = {}
        for r in _lignes(con, "SELECT * FROM diffusion.dalo_recours_detail WHERE annee = ? AND niveau = "
                              "'territoire' AND dimension = 'motif' ORDER BY rang", annee):
            motifs.setdefault(r["code_zone"], []).append(r)
        millesime = con.execute("SELECT millesime_pppi FROM diffusion.portrait_departement WHERE annee = ?",
                                [annee]).fetchone()[0]
        brut: dict[str, set[str]] = {}
        for colonne, source in con.execute(
                "SELECT ratio, numerateur FROM referentiel.ratios UNION SELECT ratio, denominateur FROM "
                "referentiel.ratios UNION SELECT colonne, depend_de FROM referentiel.dependances_secret").fetchall():
            brut.setdefault(colonne, set()).add(source)
        derivees = {c: set(s) for c, s in brut.items()}
        for _ in range(3):  # amounts → counts → ratios: a short transitive closure
            derivees = {c: s | {x for d in s for x in derivees.get(d, ())} for c, s in derivees.items()}
        return Publie(
            annee=annee, seuils={k: int(seuils[k]) for k in ("secret_seuil_individuel", "secret_seuil_fiscal")},
            territoires=territoires,
            territoire={r["code_territoire"]: r for r in _lignes(
                con, "SELECT * FROM diffusion.portrait_territoire WHERE annee = ?", annee)},
            departement=_lignes(con, "SELECT * FROM diffusion.portrait_departement WHERE annee = ?", annee)[0],
            epci=epci, typologies=typologies, motifs=motifs,
            pppi_communes={r["code_zone"]: r for r in _lignes(
                con, "SELECT * FROM diffusion.pppi_indicateurs WHERE niveau = 'commune' AND annee = ?", millesime)},
            commune_territoire=dict(con.execute(
                "SELECT code_commune, code_territoire FROM referentiel.commune_territoire").fetchall()),
            derivees=derivees)
    finally:
        con.close()


@pytest.fixture(scope="module")
def dossier(demo, tmp_path_factory) -> dict:
    """The dossier built by the current code from the demo's published file (what the refresh writes)."""
    return build(demo.diffusion, tmp_path_factory.mktemp("rapports"), JOUR)


def _valeur(texte: str) -> float:
    """A French number as shown (``1 234,5``, ``12,3 %``, ``707 €``) → float."""
    brut = re.sub(r"[\s\u00a0\u202f%€]", "", texte).replace("−", "-").replace(",", ".")
    return float(brut)


def _verifier_cellule(publie: Publie, ligne: dict, colonne: str, texte: str, ou: str, seuil: bool) -> bool:
    """One shown value against the published row; returns whether it is shown masked."""
    texte = texte.strip()
    if publie.masque(ligne, colonne):
        assert texte == "s", f"{ou} : « {colonne} » est masquée dans la diffusion mais affichée « {texte} »"
        return True
    assert texte != "s", f"{ou} : « {colonne} » affichée masquée alors qu'elle est diffusée"
    attendu = ligne.get(colonne)
    if attendu is None:
        assert texte == "–", f"{ou} : « {colonne} » absente de la diffusion mais affichée « {texte} »"
        return False
    valeur = _valeur(texte)
    decimales = re.search(r",(\d+)", texte)
    ecart = 0.5 * 10 ** -(len(decimales.group(1)) if decimales else 0) + 1e-9  # rounding of the shown value
    attendu = float(attendu) * (100 if colonne.startswith(("taux_", "part_")) else 1)
    assert abs(valeur - attendu) <= ecart, f"{ou} : « {colonne} » affichée « {texte} », diffusée {attendu}"
    if seuil and colonne.startswith("nb_"):
        assert valeur == 0 or valeur >= publie.seuil(colonne), (
            f"{ou} : effectif « {colonne} » = {texte}, sous le seuil du secret statistique "
            f"({publie.seuil(colonne)})")
    return False


# --- Chromium over the DevTools protocol -------------------------------------------------------------------


class Chromium:
    """Headless Chromium driven over ``--remote-debugging-pipe`` (JSON messages ending with NUL on fds 3/4)."""

    def __init__(self, executable: str):
        self.profil = tempfile.mkdtemp(prefix="observatoire_chromium_")
        self.journal = open(Path(self.profil) / "stderr.log", "w+b")  # closed in fermer()
        lecture_chrome, ecriture = os.pipe()
        lecture, ecriture_chrome = os.pipe()
        arguments = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--remote-debugging-pipe", f"--user-data-dir={self.profil}", "--no-first-run",
                     "--hide-scrollbars", "--mute-audio", "--force-color-profile=srgb", "about:blank"]

        def descripteurs():  # in the child: the pipe ends on the descriptors of the protocol (3 in, 4 out)
            entree, sortie = os.dup(lecture_chrome), os.dup(ecriture_chrome)
            os.dup2(entree, 3)
            os.dup2(sortie, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        # close_fds=False keeps 3 and 4; every other descriptor of this process is non-inheritable (PEP 446)
        self.processus = subprocess.Popen([executable, *arguments], preexec_fn=descripteurs, close_fds=False,
                                          stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.journal)
        os.close(lecture_chrome)
        os.close(ecriture_chrome)
        self.ecriture, self.lecture = ecriture, lecture
        self.tampon = b""
        self.numero = 0
        self.evenements: list[dict] = []
        cible = self.commande("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.commande("Target.attachToTarget", targetId=cible, flatten=True)["sessionId"]
        self.commande("Page.enable", session=True)

    def _erreur(self, message: str) -> AssertionError:
        self.journal.seek(0)
        return AssertionError(f"Chromium : {message}\n{self.journal.read().decode(errors='replace')[-2000:]}")

    def _message(self, delai: float) -> dict:
        fin = time.monotonic() + delai
        while b"\0" not in self.tampon:
            reste = fin - time.monotonic()
            if reste <= 0 or not select.select([self.lecture], [], [], reste)[0]:
                raise self._erreur("pas de réponse du navigateur")
            morceau = os.read(self.lecture, 1 << 20)
            if not morceau:
                raise self._erreur("le navigateur s'est arrêté")
            self.tampon += morceau
        message, self.tampon = self.tampon.split(b"\0", 1)
        return json.loads(message)

    def commande(self, methode: str, session: bool = False, delai: float = 30, **parametres) -> dict:
        self.numero += 1
        message = {"id": self.numero, "method": methode, "params": parametres}
        if session:
            message["sessionId"] = self.session
        os.write(self.ecriture, json.dumps(message).encode() + b"\0")
        while True:
            reponse = self._message(delai)
            if reponse.get("id") == self.numero:
                if "error" in reponse:
                    raise self._erreur(f"{methode} : {reponse['error']}")
                return reponse["result"]
            self.evenements.append(reponse)

    def ouvrir(self, page: Path, largeur: int) -> None:
        self.commande("Emulation.setDeviceMetricsOverride", session=True, width=largeur, height=900,
                      deviceScaleFactor=1, mobile=False)
        self.evenements.clear()
        self.commande("Page.navigate", session=True, url=page.as_uri())
        fin = time.monotonic() + 30
        while not any(e.get("method") == "Page.loadEventFired" for e in self.evenements):
            self.evenements.append(self._message(max(fin - time.monotonic(), 0.1)))

    def evaluer(self, expression: str):
        resultat = self.commande("Runtime.evaluate", session=True, expression=expression, returnByValue=True,
                                 awaitPromise=True)
        if "exceptionDetails" in resultat:
            raise self._erreur(f"erreur JavaScript : {resultat['exceptionDetails']}")
        return resultat["result"].get("value")

    def fermer(self) -> None:
        try:
            self.commande("Browser.close", delai=5)
        except (AssertionError, OSError):
            pass
        try:
            self.processus.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.processus.kill()
            self.processus.wait()
        os.close(self.ecriture)
        os.close(self.lecture)
        self.journal.close()
        shutil.rmtree(self.profil, ignore_errors=True)


# Evaluated in each rendered page: what overflows, how each figure is drawn, the tables as displayed.
MESURES_JS = r"""
(async () => {
  const W = document.documentElement.clientWidth;
  const nom = (el) => el.tagName.toLowerCase() + (el.className && typeof el.className === 'string'
    ? '.' + el.className.trim().split(/\s+/).join('.') : '');
  const texte = (el) => (el.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 80);
  const defilant = (el) => !!el.closest('.scroll');
  const out = {largeurFenetre: W, largeurDocument: document.documentElement.scrollWidth,
               h1: [...document.querySelectorAll('h1')].map(h => h.innerText.trim()),
               liens: [...document.querySelectorAll('a')].map(a => a.getAttribute('href')),
               debordements: [], figures: [], tableaux: [], chiffres: []};
  // boxes whose content is wider than themselves (clipped, or scrolled in a .scroll container)
  for (const el of document.querySelectorAll('body *')) {
    if (el.closest('svg')) continue;
    const cs = getComputedStyle(el);
    if (cs.display === 'inline' || cs.display === 'none') continue;
    if (['TABLE', 'TBODY', 'THEAD', 'TR'].includes(el.tagName)) continue;
    if (el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
      out.debordements.push({type: 'boîte', element: nom(el), texte: texte(el), defilant: defilant(el),
                             contenu: el.scrollWidth, largeur: el.clientWidth});
  }
  // lines of text beyond their block, or beyond the window
  const marcheur = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = marcheur.nextNode(); n; n = marcheur.nextNode()) {
    if (!n.textContent.trim() || n.parentElement.closest('svg, title, style, script')) continue;
    let bloc = n.parentElement;
    while (bloc.parentElement && getComputedStyle(bloc).display === 'inline') bloc = bloc.parentElement;
    const b = bloc.getBoundingClientRect();
    const plage = document.createRange();
    plage.selectNodeContents(n);
    for (const r of plage.getClientRects()) {
      if (r.width === 0) continue;
      if (r.right > b.right + 1 || r.left < b.left - 1 || r.right > W + 1 || r.left < -1) {
        out.debordements.push({type: 'texte', element: nom(bloc), texte: n.textContent.trim().slice(0, 80),
                               defilant: defilant(bloc), droite: r.right, bloc: b.right});
        break;
      }
    }
  }
  // figures: drawn marks, texts inside the drawing and apart, and the ink of the drawing as rendered
  for (const fig of document.querySelectorAll('figure')) {
    const svg = fig.querySelector('svg');
    const f = {fichier: fig.dataset.fichier || '', titre: texte(fig.querySelector('figcaption') || fig),
               svg: !!svg, traces: 0, textes: 0, textesHors: [], chevauchements: [], zones: {}};
    out.figures.push(f);
    if (!svg) continue;
    const sr = svg.getBoundingClientRect();
    f.largeur = sr.width; f.hauteur = sr.height;
    for (const m of svg.querySelectorAll('path, rect, polyline, circle, line')) {
      const bb = m.getBBox(), fill = m.getAttribute('fill'), stroke = m.getAttribute('stroke');
      if ((bb.width > 0 || bb.height > 0) && ((fill && fill !== 'none') || (stroke && stroke !== 'none'))) f.traces++;
    }
    const textes = [...svg.querySelectorAll('text')].map(t => ({t: t.textContent, r: t.getBoundingClientRect()}));
    f.textes = textes.length;
    f.textesHors = textes.filter(x => x.r.left < sr.left - 1 || x.r.right > sr.right + 1 || x.r.top < sr.top - 1
                                      || x.r.bottom > sr.bottom + 1).map(x => x.t);
    for (let i = 0; i < textes.length; i++) for (let j = i + 1; j < textes.length; j++) {
      const a = textes[i].r, b = textes[j].r;
      const dx = Math.min(a.right, b.right) - Math.max(a.left, b.left);
      const dy = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (dx > 1 && dy > 2) f.chevauchements.push([textes[i].t, textes[j].t]);
    }
    for (const p of svg.querySelectorAll('path')) {
      const t = p.querySelector('title');
      if (t) f.zones[t.textContent] = (p.getAttribute('fill') || '').toLowerCase();
    }
    const image = new Image();
    const url = URL.createObjectURL(new Blob([new XMLSerializer().serializeToString(svg)], {type: 'image/svg+xml'}));
    await new Promise((ok, ko) => { image.onload = ok; image.onerror = ko; image.src = url; });
    const toile = document.createElement('canvas');
    toile.width = Math.max(1, Math.round(sr.width)); toile.height = Math.max(1, Math.round(sr.height));
    const ctx = toile.getContext('2d');
    ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, toile.width, toile.height);
    ctx.drawImage(image, 0, 0, toile.width, toile.height);
    const px = ctx.getImageData(0, 0, toile.width, toile.height).data;
    let encre = 0, couleur = 0;
    for (let i = 0; i < px.length; i += 4) {
      const r = px[i], g = px[i + 1], b = px[i + 2];
      if (Math.min(r, g, b) < 235) encre++;
      if (Math.max(r, g, b) - Math.min(r, g, b) > 20) couleur++;
    }
    f.encre = encre / (px.length / 4); f.couleur = couleur / (px.length / 4);
    URL.revokeObjectURL(url);
  }
  const cellule = (td) => ({texte: td.innerText.trim(), masque: td.classList.contains('masque'),
                            italique: getComputedStyle(td).fontStyle === 'italic'});
  for (const t of document.querySelectorAll('table.donnees')) {
    out.tableaux.push({ident: t.dataset.tableau || '', titre: texte(t.querySelector('caption') || t),
      entetes: [...t.querySelectorAll('thead th')].map(th => th.innerText.replace(/\s+/g, ' ').trim()),
      lignes: [...t.querySelectorAll('tbody tr')].map(tr => ({total: tr.classList.contains('total'),
                                                               cellules: [...tr.children].map(cellule)}))});
  }
  for (const t of document.querySelectorAll('table.chiffres tr'))
    out.chiffres.push([...t.children].map(cellule));
  return out;
})()
"""


@pytest.fixture(scope="module")
def rendu_html(dossier) -> dict[str, dict[str, dict]]:
    """Measures of every page of the site at each width: {largeur: {page: mesures}}."""
    chromium = Chromium(_outil("chromium", "chromium-browser", "google-chrome"))
    try:
        rendu = {}
        for nom, largeur in LARGEURS.items():
            rendu[nom] = {}
            for page in sorted(dossier["site"].glob("*.html")):
                chromium.ouvrir(page, largeur)
                rendu[nom][page.name] = chromium.evaluer(MESURES_JS)
        return rendu
    finally:
        chromium.fermer()


def _portraits_html(rendu_html, publie) -> dict[str, dict]:
    return {t["code_territoire"]: rendu_html["ordinateur"][f"territoire-{t['code_territoire'].lower()}.html"]
            for t in publie.territoires}


def test_html_one_portrait_per_territory(dossier, rendu_html, publie):
    pages = rendu_html["ordinateur"]
    assert len(publie.territoires) == 8
    portraits = sorted(p for p in pages if p.startswith("territoire-"))
    assert portraits == sorted(f"territoire-{t['code_territoire'].lower()}.html" for t in publie.territoires)
    sommaire = pages["index.html"]
    for t in publie.territoires:
        page = f"territoire-{t['code_territoire'].lower()}.html"
        assert pages[page]["h1"] == [f"Portrait du territoire : {t['nom_territoire']}"], page
        assert page in sommaire["liens"], f"le sommaire ne mène pas au portrait {page}"
        for autre in pages.values():  # the menu of every page leads to every portrait
            assert page in autre["liens"]
    assert pages["synthese.html"]["h1"] == ["Synthèse départementale"]
    assert pages["methodes.html"]["h1"] == ["Méthodes, sources et secret statistique"]


def test_html_charts_and_maps_drawn(rendu_html, publie):
    for page, mesures in rendu_html["ordinateur"].items():
        for f in mesures["figures"]:
            ou = f"{page} : {f['titre']}"
            assert f["svg"] and f["largeur"] > 250 and f["hauteur"] > 150, f"{ou} : dessin absent ou trop petit"
            assert f["traces"] >= 3, f"{ou} : aucun tracé"
            if "carte" in f["fichier"]:
                assert f["encre"] > 0.15, f"{ou} : carte presque blanche ({f['encre']:.0%} de pixels dessinés)"
            else:
                # Years masked by the joint secret statistique leave gaps: a few bars still make a drawn chart.
                assert f["encre"] > 0.02 and f["couleur"] > 0.002, f"{ou} : graphique sans courbe ni barre"
            assert f["textes"] >= 3, f"{ou} : ni légende ni graduation"
    for code, mesures in _portraits_html(rendu_html, publie).items():
        fichiers = {f["fichier"] for f in mesures["figures"]}
        assert fichiers == {f"{code}_{suffixe}.svg" for suffixe in FIGURES_PORTRAIT}, code
    synthese = rendu_html["ordinateur"]["synthese.html"]["figures"]
    assert sum("carte" in f["fichier"] for f in synthese) >= 4 and len(synthese) >= 7


def test_html_maps_grey_exactly_where_masked(rendu_html, publie):
    gris = grises = 0
    for code, mesures in _portraits_html(rendu_html, publie).items():
        figures = {f["fichier"]: f for f in mesures["figures"]}
        for suffixe, colonne in CARTES_EPCI.items():
            zones = figures[f"{code}_{suffixe}.svg"]["zones"]
            assert set(zones) == {e["code_epci"] for e in publie.epci[code]}, (code, suffixe)
            for e in publie.epci[code]:
                masque = publie.masque(e, colonne)
                assert (zones[e["code_epci"]] == GRIS_SECRET) == masque, (
                    f"carte {suffixe} du territoire {code} : l'EPCI {e['nom_epci']} est "
                    f"{'masqué' if masque else 'diffusé'} mais dessiné {zones[e['code_epci']]}")
                gris += masque
        zones = figures[f"{code}_carte_pppi_communes.svg"]["zones"]
        communes = {c for c, t in publie.commune_territoire.items() if t == code}
        assert set(zones) == communes, code
        for commune in communes:
            ligne = publie.pppi_communes.get(commune, {})
            masque = bool(ligne) and (publie.masque(ligne, "taux_pppi") or publie.masque(ligne, "nb_pppi"))
            assert (zones[commune] == GRIS_SECRET) == masque, (code, commune, zones[commune])
            grises += masque
    assert grises > 0, "aucune commune masquée sur les cartes du PPPI : la démonstration ne teste plus le secret"


def _tableau(mesures: dict, ident: str) -> dict:
    tableaux = [t for t in mesures["tableaux"] if t["ident"] == ident]
    assert len(tableaux) == 1, ident
    return tableaux[0]


def _verifier_tableau_zones(publie: Publie, tableau: dict, lignes_publiees: dict[str, dict], ou: str,
                            seuil: bool) -> int:
    assert tableau["entetes"][1:] == list(COLONNES_ZONES), ou
    masquees = 0
    lignes = [ligne for ligne in tableau["lignes"] if not ligne["total"]]
    assert sorted(ligne["cellules"][0]["texte"] for ligne in lignes) == sorted(lignes_publiees), ou
    for ligne in lignes:
        publiee = lignes_publiees[ligne["cellules"][0]["texte"]]
        for cellule, colonne in zip(ligne["cellules"][1:], COLONNES_ZONES.values(), strict=True):
            masquee = _verifier_cellule(publie, publiee, colonne, cellule["texte"],
                                        f"{ou}, {ligne['cellules'][0]['texte']}", seuil)
            assert masquee == cellule["masque"] == cellule["italique"], (ou, colonne, cellule)
            masquees += masquee
    return masquees


def test_html_tables_show_the_secret(rendu_html, publie):
    masquees = 0
    for code, mesures in _portraits_html(rendu_html, publie).items():
        # EPCI: the subject level of the secret, every count is 0 or at least the threshold
        masquees += _verifier_tableau_zones(publie, _tableau(mesures, "epci"),
                                            {e["nom_epci"]: e for e in publie.epci[code]}, f"EPCI de {code}", True)
        typologies = _tableau(mesures, "typologies")
        assert [ligne["cellules"][0]["texte"] for ligne in typologies["lignes"]] == \
            [t["typologie"] for t in publie.typologies[code]]
        for ligne, publiee in zip(typologies["lignes"], publie.typologies[code], strict=True):
            for cellule, colonne in zip(ligne["cellules"][1:], ["nb_demandes_en_cours", "nb_attributions",
                                                                 "tension_demandes_attributions"], strict=True):
                _verifier_cellule(publie, publiee, colonne, cellule["texte"], f"typologies de {code}", False)
        if publie.motifs.get(code):
            lignes = {ligne["cellules"][0]["texte"]: ligne["cellules"][1]["texte"]
                      for ligne in _tableau(mesures, "motifs_dalo")["lignes"]}
            assert set(lignes) == {MOTIFS_DALO[m["code"]] for m in publie.motifs[code]}, code
            for publiee in publie.motifs[code]:
                _verifier_cellule(publie, publiee, "nb_recours", lignes[MOTIFS_DALO[publiee["code"]]],
                                  f"motifs de {code}, {publiee['code']}", False)
        # key figures of the territory: masked exactly where diffusion masks (derived ratios included)
        vus = set()
        for cellules in mesures["chiffres"]:
            colonne = CHIFFRES.get(cellules[0]["texte"])
            if colonne:
                vus.add(colonne)
                masquee = _verifier_cellule(publie, publie.territoire[code], colonne, cellules[1]["texte"],
                                            f"chiffres clés de {code}, {cellules[0]['texte']}", False)
                assert masquee == cellules[1]["masque"], (code, cellules)
        assert vus == set(CHIFFRES.values()), set(CHIFFRES.values()) - vus
    territoires = {t["nom_territoire"]: publie.territoire[t["code_territoire"]] for t in publie.territoires}
    _verifier_tableau_zones(publie, _tableau(rendu_html["ordinateur"]["synthese.html"], "territoires"), territoires,
                            "territoires de la synthèse", False)
    assert masquees > 0, "aucune cellule masquée dans les tableaux des EPCI : la démonstration ne teste plus le secret"


def test_html_no_text_overflows(rendu_html):
    for largeur, pages in rendu_html.items():
        for page, mesures in pages.items():
            ou = f"{page} ({LARGEURS[largeur]} px)"
            assert mesures["largeurDocument"] <= mesures["largeurFenetre"], f"{ou} : la page défile horizontalement"
            # on a phone, wide tables scroll inside their frame; on a computer, everything fits
            debordements = [d for d in mesures["debordements"] if largeur == "ordinateur" or not d["defilant"]]
            assert not debordements, f"{ou} : texte qui déborde : {debordements[:5]}"
            for f in mesures["figures"]:
                assert not f["textesHors"], f"{ou}, {f['titre']} : texte coupé au bord du dessin {f['textesHors']}"
                assert not f["chevauchements"], f"{ou}, {f['titre']} : textes superposés {f['chevauchements'][:3]}"


# --- the PDF, as poppler renders it ------------------------------------------------------------------------

CM = 72 / 2.54
MARGES = {"couverture": (2.2 * CM, 2.5 * CM), "corps": (1.8 * CM, 2.0 * CM)}  # x, y margins of dossier.typ
TOLERANCE = 3.0  # points: hanging punctuation and hyphens, glyph boxes
RESOLUTION = 50  # dpi of the page images


@dataclass
class Mot:
    x0: float
    y0: float
    x1: float
    y1: float
    texte: str


@dataclass
class Page:
    numero: int
    largeur: float
    hauteur: float
    mots: list[Mot]
    image: np.ndarray  # height × width × RGB

    @property
    def titre(self) -> str:
        """The page's level-1 heading (15 pt and more), if any."""
        return " ".join(m.texte for m in self.mots if m.y1 - m.y0 > 13).strip()

    def lignes(self) -> list[list[Mot]]:
        lignes: list[list[Mot]] = []
        for m in sorted(self.mots, key=lambda m: (m.y0, m.x0)):
            if lignes and abs(lignes[-1][0].y0 - m.y0) < 1.5:
                lignes[-1].append(m)
            else:
                lignes.append([m])
        return [sorted(ligne, key=lambda m: m.x0) for ligne in lignes]

    def encre(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float]:
        """Fractions of drawn and of coloured pixels in a box given in points."""
        k = RESOLUTION / 72
        zone = self.image[int(y0 * k):int(y1 * k), int(x0 * k):int(x1 * k)].astype(int)
        if zone.size == 0:
            return 0.0, 0.0
        dessine = zone.min(axis=2) < 235
        colore = zone.max(axis=2) - zone.min(axis=2) > 20
        return float(dessine.mean()), float(colore.mean())


def _cellules(ligne: list[Mot], ecart: float = 4.5) -> list[str]:
    """Words of a table row grouped into cells: a gap wider than a space separates two cells."""
    cellules: list[list[Mot]] = []
    for m in ligne:
        if cellules and m.x0 - cellules[-1][-1].x1 < ecart:
            cellules[-1].append(m)
        else:
            cellules.append([m])
    return [" ".join(m.texte for m in c) for c in cellules]


def _ppm(chemin: Path) -> np.ndarray:
    donnees = chemin.read_bytes()
    entete = re.match(rb"P6\s+(\d+)\s+(\d+)\s+(\d+)\s", donnees)
    assert entete, chemin
    largeur, hauteur = int(entete.group(1)), int(entete.group(2))
    return np.frombuffer(donnees, dtype=np.uint8, offset=entete.end(), count=largeur * hauteur * 3) \
        .reshape(hauteur, largeur, 3)


@pytest.fixture(scope="module")
def pdf(dossier, tmp_path_factory) -> list[Page]:
    pdftotext, pdftoppm = _outil("pdftotext"), _outil("pdftoppm")
    boites = subprocess.run([pdftotext, "-bbox", str(dossier["pdf"]), "-"], capture_output=True, text=True,
                            check=True, timeout=120).stdout
    images = tmp_path_factory.mktemp("pages")
    subprocess.run([pdftoppm, "-r", str(RESOLUTION), str(dossier["pdf"]), str(images / "page")], check=True,
                   timeout=120)
    fichiers = sorted(images.glob("page-*.ppm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    pages = []
    motif_mot = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
    for i, m in enumerate(re.finditer(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', boites, re.S)):
        mots = [Mot(float(a), float(b), float(c), float(d), html.unescape(t).replace("\u00ad", "-"))
                for a, b, c, d, t in motif_mot.findall(m.group(3))]
        pages.append(Page(i + 1, float(m.group(1)), float(m.group(2)), mots, _ppm(fichiers[i])))
    assert len(pages) == len(fichiers)
    return pages


def _sections_pdf(pdf: list[Page]) -> dict[str, list[Page]]:
    """Level-1 heading → the pages of that section (up to the next heading)."""
    sections: dict[str, list[Page]] = {}
    courante = None
    for page in pdf[1:]:
        if page.titre:
            courante = page.titre
            sections[courante] = []
        if courante:
            sections[courante].append(page)
    return sections


def test_pdf_cover_synthesis_portraits_methods(pdf, publie):
    couverture = " ".join(m.texte for m in pdf[0].mots)
    assert "Dossier du comité technique" in couverture and "Fraîcheur des données" in couverture
    titres = [page.titre for page in pdf if page.titre]
    attendus = ["Synthèse départementale",
                *[f"Portrait du territoire : {t['nom_territoire']}" for t in publie.territoires],
                "Indicateurs du plan", "Méthodes, sources et secret statistique"]
    assert [t for t in titres if t in attendus] == attendus, titres
    sections = _sections_pdf(pdf)
    for t in publie.territoires:
        pages = sections[f"Portrait du territoire : {t['nom_territoire']}"]
        texte = " ".join(m.texte for p in pages for m in p.mots)
        assert f"Territoire {t['code_territoire']} – chiffres {publie.annee}" in texte
        for titre in ["Données de contexte", "La demande et les attributions de logement social",
                      "L'accès prioritaire et le DALO", "L'accompagnement FSL", "La prévention des expulsions",
                      "Les EPCI du territoire"]:
            assert titre in texte, (t["nom_territoire"], titre)


def _trouver(pages: list[Page], titre: str) -> tuple[Page, Mot, Mot] | None:
    """The first and last words of the first line of ``titre`` on one of ``pages``."""
    cherches = titre.split()[:4]
    for page in pages:
        mots = page.mots
        for i in range(len(mots) - len(cherches) + 1):
            if [m.texte for m in mots[i:i + len(cherches)]] == cherches:
                fin = i  # the title's line goes on while the next word follows on the same baseline
                while fin + 1 < len(mots) and abs(mots[fin + 1].y0 - mots[i].y0) < 1.5 and \
                        mots[fin + 1].x0 >= mots[fin].x1 - 0.5:
                    fin += 1
                return page, mots[i], mots[fin]
    return None


def test_pdf_portrait_charts_and_maps_drawn(pdf, rendu_html, publie):
    sections = _sections_pdf(pdf)
    for code, mesures in _portraits_html(rendu_html, publie).items():
        nom = next(t["nom_territoire"] for t in publie.territoires if t["code_territoire"] == code)
        pages = sections[f"Portrait du territoire : {nom}"]
        for f in mesures["figures"]:
            trouve = _trouver(pages, f["titre"])
            assert trouve, f"portrait {nom} : figure « {f['titre']} » absente du PDF"
            page, debut, fin = trouve
            marge = MARGES["corps"][0]
            milieu = page.largeur / 2
            if debut.x0 < marge + 5:
                x0, x1 = marge, milieu - 5
            elif debut.x0 > milieu - 5:
                x0, x1 = milieu + 5, page.largeur - marge
            else:  # a single figure, centred, 62 % of the text width
                demi = 0.31 * (page.largeur - 2 * marge)
                x0, x1 = milieu - demi, milieu + demi
            encre, couleur = page.encre(x0, fin.y1 + 2, x1, min(fin.y1 + 122, page.hauteur - MARGES["corps"][1]))
            ou = f"page {page.numero}, {f['titre']}"
            if "carte" in f["fichier"]:
                assert encre > 0.15, f"{ou} : carte presque blanche ({encre:.0%})"
            else:
                assert encre > 0.02 and couleur > 0.003, f"{ou} : graphique vide ({encre:.1%}, {couleur:.1%})"


def test_pdf_text_inside_margins_and_apart(pdf):
    for page in pdf:
        mx, my = MARGES["couverture" if page.numero == 1 else "corps"]
        for m in page.mots:
            assert mx - TOLERANCE <= m.x0 and m.x1 <= page.largeur - mx + TOLERANCE, (
                f"page {page.numero} : « {m.texte} » dépasse la marge latérale ({m.x0:.0f}-{m.x1:.0f} pt)")
            entete_pied = m.y1 < my - 8 or m.y0 > page.hauteur - my + 4  # running header and page number
            assert entete_pied or (my - TOLERANCE <= m.y0 and m.y1 <= page.hauteur - my + TOLERANCE), (
                f"page {page.numero} : « {m.texte} » dépasse la marge haute ou basse ({m.y0:.0f}-{m.y1:.0f} pt)")
        # nothing drawn in the side margins (a chart or a table wider than the page)
        k = RESOLUTION / 72
        gauche = page.image[:, :int((mx - TOLERANCE) * k)]
        droite = page.image[:, int((page.largeur - mx + TOLERANCE) * k) + 1:]
        for bande in (gauche, droite):
            assert (bande.min(axis=2) < 200).mean() < 0.001, f"page {page.numero} : dessin dans la marge"
        # no word printed over another (text overflowing its cell, legends on top of each other)
        boites = np.array([[m.x0, m.y0, m.x1, m.y1] for m in page.mots])
        if len(boites) < 2:
            continue
        dx = np.minimum(boites[:, None, 2], boites[None, :, 2]) - np.maximum(boites[:, None, 0], boites[None, :, 0])
        dy = np.minimum(boites[:, None, 3], boites[None, :, 3]) - np.maximum(boites[:, None, 1], boites[None, :, 1])
        superposes = np.argwhere(np.triu((dx > 0.5) & (dy > 0.5), 1))
        assert not len(superposes), f"page {page.numero} : mots superposés " + ", ".join(
            f"« {page.mots[a].texte} » / « {page.mots[b].texte} »" for a, b in superposes[:5])


def test_pdf_no_heading_alone_at_the_bottom_of_a_page(pdf):
    _, my = MARGES["corps"]
    for page in pdf[1:]:
        corps = [ligne for ligne in page.lignes() if my - 8 <= ligne[0].y1 and ligne[0].y0 <= page.hauteur - my + 4]
        if not corps:
            continue
        derniere = corps[-1]
        hauteur = max(m.y1 - m.y0 for m in derniere)
        texte = " ".join(m.texte for m in derniere)
        # 11 pt: a sub-heading; 8.5 pt: the title of a table (a figure's title cannot leave its figure)
        assert not (10.5 <= hauteur < 13 or 8.3 <= hauteur <= 8.7), (
            f"page {page.numero} : « {texte} » seul en bas de page, séparé de ce qu'il annonce")


def test_pdf_epci_tables_show_the_secret(pdf, publie):
    sections = _sections_pdf(pdf)
    vues = masquees = 0
    for t in publie.territoires:
        pages = sections[f"Portrait du territoire : {t['nom_territoire']}"]
        lignes = [ligne for page in pages for ligne in page.lignes()]
        for e in publie.epci[t["code_territoire"]]:
            candidates = []
            for ligne in lignes:
                cellules = _cellules(ligne)
                if len(cellules) == 1 + len(COLONNES_ZONES) and len(cellules[0]) >= 6 and \
                        e["nom_epci"].startswith(cellules[0].rstrip("-")):  # a long name wraps
                    candidates.append(cellules)
            assert candidates, f"ligne de l'EPCI {e['nom_epci']} absente du tableau des EPCI ({t['nom_territoire']})"
            cellules = max(candidates, key=lambda c: len(c[0]))
            for texte, colonne in zip(cellules[1:], COLONNES_ZONES.values(), strict=True):
                masquees += _verifier_cellule(publie, e, colonne, texte, f"PDF, EPCI {e['nom_epci']}", True)
                vues += 1
    assert vues and masquees, (vues, masquees)
