"""Vector charts written as plain SVG (no plotting library): line charts and grouped bar charts.

Values are ``None`` when masked or not computable: lines are interrupted there and bars left out; the caller
writes the matching note under the chart.
"""

from __future__ import annotations

import math
from html import escape

from observatoire.dossier.formats import nombre

POLICE = "DejaVu Sans, Libertinus Serif, sans-serif"
COULEURS = ["#1f4e79", "#c55a11", "#548235", "#bf9000", "#7030a0", "#2e75b6", "#c00000", "#7f7f7f"]


def _graduations(maxi: float, n: int = 5) -> list[float]:
    if maxi <= 0:
        return [0.0, 1.0]
    brut = maxi / n
    puissance = 10 ** math.floor(math.log10(brut))
    pas = next(m * puissance for m in (1, 2, 2.5, 5, 10) if m * puissance >= brut)
    return [i * pas for i in range(int(math.ceil(maxi / pas)) + 1)]


def _texte(x, y, texte, taille=10, ancre="start", couleur="#333", gras=False) -> str:
    poids = ' font-weight="bold"' if gras else ""
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{taille}" text-anchor="{ancre}" fill="{couleur}"'
            f'{poids}>{escape(str(texte))}</text>')


def _cadre(largeur: int, hauteur: int, corps: list[str], titre: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {largeur} {hauteur}" width="{largeur}" '
            f'height="{hauteur}" font-family="{POLICE}" role="img" aria-label="{escape(titre)}">'
            f'<title>{escape(titre)}</title>' + "".join(corps) + "</svg>")


def _axes(annees: list[int], maxi: float, largeur: int, hauteur: int, decimales: int, unite: str):
    gauche, droite, haut, bas = 62, 12, 14, 62
    ticks = _graduations(maxi)
    top = ticks[-1] or 1
    l_utile, h_utile = largeur - gauche - droite, hauteur - haut - bas

    def y(v):
        return haut + h_utile * (1 - v / top)

    corps = []
    for t in ticks:
        corps.append(f'<line x1="{gauche}" x2="{largeur - droite}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
                     f'stroke="#d9d9d9" stroke-width="0.8"/>')
        corps.append(_texte(gauche - 6, y(t) + 3.5, nombre(t, decimales) + unite, 11, "end", "#555"))
    corps.append(f'<line x1="{gauche}" x2="{largeur - droite}" y1="{y(0):.1f}" y2="{y(0):.1f}" '
                 f'stroke="#666" stroke-width="1"/>')
    return corps, gauche, l_utile, y, hauteur - bas


def _legende(series: list[tuple[str, list]], largeur: int, y0: float) -> list[str]:
    corps, x = [], 10.0
    for i, (nom, _) in enumerate(series):
        couleur = COULEURS[i % len(COULEURS)]
        largeur_texte = 6.9 * len(nom) + 28
        if x + largeur_texte > largeur and x > 10:
            x, y0 = 10.0, y0 + 15
        corps.append(f'<rect x="{x:.1f}" y="{y0 - 9:.1f}" width="13" height="9" fill="{couleur}"/>')
        corps.append(_texte(x + 17, y0, nom, 11))
        x += largeur_texte
    return corps


def courbes(titre: str, annees: list[int], series: list[tuple[str, list]], decimales: int = 0,
            unite: str = "", largeur: int = 400, hauteur: int = 250) -> str:
    """Line chart: one line per series (values aligned on ``annees``; ``None`` interrupts the line)."""
    valeurs = [v for _, vs in series for v in vs if v is not None]
    maxi = max(valeurs, default=1) * 1.05
    corps, gauche, l_utile, y, base = _axes(annees, maxi, largeur, hauteur, decimales, unite)
    pas = l_utile / max(len(annees) - 1, 1)

    def x(i):
        return gauche + 10 + i * (l_utile - 20) / max(len(annees) - 1, 1) if len(annees) > 1 else gauche + l_utile / 2

    for i, a in enumerate(annees):
        corps.append(_texte(x(i), base + 16, a, 11, "middle", "#555"))
    for k, (_, vs) in enumerate(series):
        couleur = COULEURS[k % len(COULEURS)]
        segment: list[str] = []
        morceaux: list[list[str]] = []
        for i, v in enumerate(vs):
            if v is None:
                if segment:
                    morceaux.append(segment)
                segment = []
                continue
            segment.append(f"{x(i):.1f},{y(v):.1f}")
            corps.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="2.6" fill="{couleur}"/>')
        if segment:
            morceaux.append(segment)
        for m in morceaux:
            if len(m) > 1:
                corps.append(f'<polyline points="{" ".join(m)}" fill="none" stroke="{couleur}" '
                             f'stroke-width="2"/>')
    del pas
    corps += _legende(series, largeur, base + 36)
    return _cadre(largeur, hauteur, corps, titre)


def barres(titre: str, annees: list[int], series: list[tuple[str, list]], decimales: int = 0,
           unite: str = "", largeur: int = 400, hauteur: int = 250) -> str:
    """Grouped bar chart: for each year, one bar per series (``None`` leaves the bar out)."""
    valeurs = [v for _, vs in series for v in vs if v is not None]
    maxi = max(valeurs, default=1) * 1.05
    corps, gauche, l_utile, y, base = _axes(annees, maxi, largeur, hauteur, decimales, unite)
    groupe = l_utile / max(len(annees), 1)
    barre = groupe * 0.8 / max(len(series), 1)
    for i, a in enumerate(annees):
        x0 = gauche + i * groupe + groupe * 0.1
        corps.append(_texte(gauche + (i + 0.5) * groupe, base + 16, a, 11, "middle", "#555"))
        for k, (_, vs) in enumerate(series):
            v = vs[i]
            if v is None:
                continue
            couleur = COULEURS[k % len(COULEURS)]
            corps.append(f'<rect x="{x0 + k * barre:.1f}" y="{y(v):.1f}" width="{barre * 0.92:.1f}" '
                         f'height="{max(y(0) - y(v), 0):.1f}" fill="{couleur}"/>')
    corps += _legende(series, largeur, base + 36)
    return _cadre(largeur, hauteur, corps, titre)
