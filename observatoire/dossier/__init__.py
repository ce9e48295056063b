"""The COTECH dossier: a PDF (typst, offline) and the same content as a static HTML site, from ``diffusion``.

``build(diffusion, sortie, date)`` writes ``<sortie>/dossier_cotech_<AAAA-MM-JJ>.pdf`` and the site
``<sortie>/dossier_cotech_<AAAA-MM-JJ>/index.html`` (one page per section, charts and maps inline as SVG).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tempfile
import time
from pathlib import Path

import jinja2
import typst

from observatoire.dossier.contenu import DossierBuilder
from observatoire.dossier.donnees import DiffusionReader
from observatoire.settings import REPORTS_PROJECT_DIR

MODELES = REPORTS_PROJECT_DIR / "dossier"
__all__ = ["build"]


def _nom_court(section: dict) -> str:
    titre = section["titre"]
    return titre.split(" : ", 1)[1] if " : " in titre else titre.split(",")[0]


def _html(document: dict, svg: dict[str, str], site: Path, pdf_relatif: str) -> Path:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(MODELES / "html"), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    sections = [dict(s, fichier=f"{s['id']}.html", court=_nom_court(s)) for s in document["sections"]]
    commun = {"couverture": document["couverture"], "sections": sections}
    site.mkdir(parents=True, exist_ok=True)
    index = site / "index.html"
    index.write_text(env.get_template("index.html").render(titre_page="Sommaire", pdf=pdf_relatif, **commun),
                     encoding="utf-8")
    page = env.get_template("section.html")
    for s in sections:
        (site / s["fichier"]).write_text(page.render(titre_page=s["titre"], section=s, svg=svg, **commun),
                                         encoding="utf-8")
    return index


def _pdf(document: dict, svg: dict[str, str], pdf: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="dossier_cotech_") as tmp:
        racine = Path(tmp)
        shutil.copy(MODELES / "dossier.typ", racine / "dossier.typ")
        for nom, contenu in svg.items():
            (racine / nom).write_text(contenu, encoding="utf-8")
        (racine / "donnees.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        pdf.parent.mkdir(parents=True, exist_ok=True)
        provisoire = pdf.with_suffix(".pdf.tmp")
        typst.compile(str(racine / "dossier.typ"), output=str(provisoire), root=str(racine), format="pdf")
        provisoire.replace(pdf)


def build(diffusion: Path, sortie: Path, date: dt.date | None = None) -> dict:
    """Build the COTECH dossier from the diffusion file ``diffusion`` into the folder ``sortie``.

    Returns the paths written: ``pdf`` (the PDF), ``html`` (the site's index), ``site`` (its folder), plus the
    ``sections`` (titles) and the build ``duree_s``.
    """
    debut = time.perf_counter()
    jour = date or dt.date.today()
    sortie = Path(sortie)
    base = f"dossier_cotech_{jour.isoformat()}"
    with DiffusionReader(Path(diffusion)) as entrepot:
        constructeur = DossierBuilder(entrepot, jour)
        document = constructeur.document()
    pdf = sortie / f"{base}.pdf"
    _pdf(document, constructeur.svg, pdf)
    site = sortie / base
    index = _html(document, constructeur.svg, site, f"../{pdf.name}")
    return {"pdf": pdf, "html": index, "site": site,
            "sections": [s["titre"] for s in document["sections"]],
            "duree_s": round(time.perf_counter() - debut, 1)}
