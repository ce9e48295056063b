"""Choropleth maps of the Pas-de-Calais written as plain SVG from the IGN commune boundaries.

The boundaries (COG 2018) are mapped to current communes with ``referentiel.correspondance_communes``; an EPCI
or a territory is drawn as the set of its communes' polygons, and its outline is the set of commune edges not
shared with another commune of the same zone. Projection: equirectangular, longitudes scaled by the cosine of
the mean latitude.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from observatoire.dossier.formats import MASQUE, nombre, pourcentage
from observatoire.dossier.graphiques import POLICE
from observatoire.settings import REPORTS_PROJECT_DIR

GEOJSON = REPORTS_PROJECT_DIR / "geo" / "communes-62-pas-de-calais.geojson"
# Blues, the lightest class darker than ColorBrewer's #eff3ff so that it stays distinct from white ("non disponible")
PALETTE = ["#d4e4f4", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
GRIS_SECRET = "#a6a6a6"
BLANC_ND = "#ffffff"

Anneau = list[tuple[float, float]]


@dataclass
class Fond:
    """Commune rings (current codes) in lon/lat."""

    anneaux: dict[str, list[Anneau]] = field(default_factory=dict)

    @classmethod
    def charger(cls, correspondance: dict[str, str], chemin: Path = GEOJSON) -> Fond:
        donnees = json.loads(Path(chemin).read_text(encoding="utf-8"))
        fond = cls()
        for f in donnees["features"]:
            code = correspondance.get(f["properties"]["code"], f["properties"]["code"])
            geom = f["geometry"]
            polygones = [geom["coordinates"]] if geom["type"] == "Polygon" else geom["coordinates"]
            for poly in polygones:
                for anneau in poly:
                    fond.anneaux.setdefault(code, []).append([(float(p[0]), float(p[1])) for p in anneau])
        return fond


@dataclass
class Valeur:
    valeur: float | None
    masque: bool = False


def classes(valeurs: list[float], n: int = 5) -> list[float]:
    """Quantile breaks (n classes → n - 1 inner breaks), deduplicated."""
    v = sorted(valeurs)
    if not v:
        return []
    bornes = [v[min(len(v) - 1, int(len(v) * k / n))] for k in range(1, n)]
    return sorted(set(bornes))


def _couleur(v: float, bornes: list[float]) -> str:
    i = sum(1 for b in bornes if v >= b)
    return PALETTE[round(i * (len(PALETTE) - 1) / max(len(bornes), 1))]


def _contour(anneaux: list[Anneau]) -> list[tuple[tuple[float, float], tuple[float, float]]]:
    """Edges of a set of rings that belong to only one ring (the outline of their union)."""
    compte: Counter = Counter()
    for a in anneaux:
        for p, q in zip(a, a[1:], strict=False):
            if p != q:
                compte[(p, q) if p < q else (q, p)] += 1
    return [e for e, n in compte.items() if n == 1]


def carte(titre: str, fond: Fond, zone_de: dict[str, str], valeurs: dict[str, Valeur], *, genre: str = "pct",
          decimales: int = 1, bornes: list[float] | None = None, contours: dict[str, str] | None = None,
          communes: set[str] | None = None, largeur: int = 400, legende_titre: str = "") -> str:
    """Choropleth of ``valeurs`` by zone; ``zone_de`` maps each current commune code to its zone code.

    ``communes`` restricts the drawing (and the frame) to these communes; ``contours`` maps communes to an
    outer grouping (e.g. territory or EPCI) whose outlines are drawn in a darker line.
    """
    codes = [c for c in fond.anneaux if c in zone_de and (communes is None or c in communes)]
    pts = [p for c in codes for a in fond.anneaux[c] for p in a]
    lon0, lon1 = min(p[0] for p in pts), max(p[0] for p in pts)
    lat0, lat1 = min(p[1] for p in pts), max(p[1] for p in pts)
    k = math.cos(math.radians((lat0 + lat1) / 2))
    carte_l = largeur - 10
    echelle = carte_l / ((lon1 - lon0) * k or 1)
    carte_h = (lat1 - lat0) * echelle
    if carte_h > 300:
        echelle *= 300 / carte_h
        carte_h = 300
    decalage = (carte_l - (lon1 - lon0) * k * echelle) / 2

    def xy(p):
        return (5 + decalage + (p[0] - lon0) * k * echelle, 5 + (lat1 - p[1]) * echelle)

    def chemin(anneaux: list[Anneau]) -> str:
        morceaux = []
        for a in anneaux:
            vus, dernier = [], None
            for p in a:
                x, y = xy(p)
                cle = (round(x, 1), round(y, 1))
                if cle != dernier:
                    vus.append(f"{cle[0]:g},{cle[1]:g}")
                    dernier = cle
            if len(vus) >= 3:
                morceaux.append("M" + "L".join(vus) + "Z")
        return "".join(morceaux)

    if bornes is None:
        bornes = classes([v.valeur for v in valeurs.values() if v.valeur is not None and not v.masque])
    fmt = (lambda v: pourcentage(v, decimales)) if genre == "pct" else (lambda v: nombre(v, decimales))
    par_zone: dict[str, list[Anneau]] = defaultdict(list)
    for c in codes:
        par_zone[zone_de[c]].extend(fond.anneaux[c])
    corps = []
    secret = non_dispo = False
    for zone, anneaux in sorted(par_zone.items()):
        v = valeurs.get(zone)
        if v is not None and v.masque:
            couleur, secret = GRIS_SECRET, True
        elif v is None or v.valeur is None:
            couleur, non_dispo = BLANC_ND, True
        else:
            couleur = _couleur(v.valeur, bornes)
        corps.append(f'<path d="{chemin(anneaux)}" fill="{couleur}" stroke="{couleur}" stroke-width="0.3" '
                     f'fill-rule="evenodd"><title>{escape(zone)}</title></path>')
    # outlines of the zones, then of the outer grouping
    for groupes, epaisseur, teinte in ((par_zone, 0.5, "#ffffff"), (None, 1.2, "#222222")):
        if groupes is None:
            if not contours:
                continue
            groupes = defaultdict(list)
            for c in codes:
                if c in contours:
                    groupes[contours[c]].extend(fond.anneaux[c])
        segments = []
        for anneaux in groupes.values():
            for p, q in _contour(anneaux):
                (x1, y1), (x2, y2) = xy(p), xy(q)
                segments.append(f"M{x1:.1f},{y1:.1f}L{x2:.1f},{y2:.1f}")
        corps.append(f'<path d="{"".join(segments)}" fill="none" stroke="{teinte}" stroke-width="{epaisseur}" '
                     f'stroke-linecap="round"/>')
    # legend, below the map, in two columns
    items: list[tuple[str, str, bool]] = []
    limites = [None, *bornes, None]
    for i in range(len(limites) - 1):
        bas, haut = limites[i], limites[i + 1]
        etiquette = (f"moins de {fmt(haut)}" if bas is None and haut is not None else
                     f"{fmt(bas)} et plus" if haut is None and bas is not None else
                     f"{fmt(bas)} à moins de {fmt(haut)}" if bas is not None else "toutes valeurs")
        items.append((_couleur(bas if bas is not None else -math.inf, bornes), etiquette, True))
    if secret:
        items.append((GRIS_SECRET, f"{MASQUE} : secret statistique", False))
    if non_dispo:
        items.append((BLANC_ND, "non disponible", True))
    y = carte_h + 14
    lignes = []
    if legende_titre:
        lignes.append(f'<text x="5" y="{y + 10:.1f}" font-size="11" font-weight="bold" fill="#333">'
                      f'{escape(legende_titre)}</text>')
        y += 16
    for i, (couleur, etiquette, bord) in enumerate(items):
        x0, yi = 5 + (i % 2) * (largeur / 2), y + (i // 2) * 16
        trait = ' stroke="#999" stroke-width="0.5"' if bord else ""
        lignes.append(f'<rect x="{x0:.1f}" y="{yi:.1f}" width="15" height="11" fill="{couleur}"{trait}/>'
                      f'<text x="{x0 + 20:.1f}" y="{yi + 10:.1f}" font-size="11" fill="#333">'
                      f'{escape(etiquette)}</text>')
    y += ((len(items) + 1) // 2) * 16
    hauteur = int(y + 4)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {largeur} {hauteur}" width="{largeur}" '
            f'height="{hauteur}" font-family="{POLICE}" role="img" aria-label="{escape(titre)}">'
            f'<title>{escape(titre)}</title>' + "".join(corps) + "".join(lignes) + "</svg>")
