"""The COTECH dossier (PDF + static HTML site) built from the published demo warehouse's diffusion layer."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from observatoire.dossier import build
from observatoire.dossier.donnees import RelationInterdite, verifier_requete
from observatoire.dossier.formats import date_fr, nombre, pourcentage

TERRITOIRES = ["Arrageois", "Artois", "Audomarois", "Boulonnais", "Calaisis", "Lens-Hénin", "Montreuillois",
               "Ternois"]
JOUR = dt.date(2024, 7, 15)


@pytest.fixture(scope="module")
def dossier(demo, tmp_path_factory) -> dict:
    return build(demo.diffusion, tmp_path_factory.mktemp("rapports"), JOUR)


def test_french_formats():
    assert nombre(1234.5, 1) == "1\u00a0234,5"
    assert nombre(1234567) == "1\u00a0234\u00a0567"
    assert pourcentage(0.123) == "12,3\u00a0%"
    assert date_fr(dt.date(2024, 12, 31)) == "31/12/2024"
    assert nombre(None) == "–"


def test_only_diffusion_is_read():
    verifier_requete("SELECT * FROM diffusion.portrait_epci")
    verifier_requete("SELECT a FROM publication.fraicheur_sources j JOIN referentiel.territoires t ON true")
    for interdite in ("SELECT * FROM marts.portrait_epci", "SELECT * FROM staging.stg_sne__demandes",
                      "SELECT * FROM raw.sne_demandes", "SELECT * FROM portrait_epci",
                      "SELECT * FROM intermediate.int_sne__demandes", "SELECT * FROM raw.journal_chargements",
                      "SELECT * FROM intermediate.int_geo__zones"):
        with pytest.raises(RelationInterdite):
            verifier_requete(interdite)


def test_files_written(dossier):
    assert dossier["pdf"].name == f"dossier_cotech_{JOUR.isoformat()}.pdf"
    assert dossier["pdf"].read_bytes().startswith(b"%PDF")
    assert dossier["pdf"].stat().st_size > 50_000
    assert dossier["html"].is_file() and dossier["html"].name == "index.html"
    assert dossier["sections"][0] == "Synthèse départementale"
    assert dossier["sections"][1:9] == [f"Portrait du territoire : {t}" for t in TERRITOIRES]
    assert dossier["sections"][9:] == ["Indicateurs du plan", "Suivi des fiches actions",
                                       "Méthodes, sources et secret statistique"]


def _pdf_text(pdf: Path) -> str | None:
    try:
        import pypdf  # noqa: PLC0415
    except ImportError:
        pypdf = None
    if pypdf is not None:
        return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(pdf)).pages)
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
    return None


def _pdf_pages(pdf: Path) -> int:
    data = pdf.read_bytes()
    counts = [int(n) for n in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)]
    counts += [int(n) for n in re.findall(rb"/Count\s+(\d+)[^>]*?/Type\s*/Pages\b", data)]
    return max(counts) if counts else len(re.findall(rb"/Type\s*/Page\b", data))


def _pdf_strings(pdf: Path) -> str:
    """The PDF's outline (bookmarks) and metadata titles: typst writes them as uncompressed strings."""
    data = pdf.read_bytes()
    out = [bytes.fromhex(h.decode()).decode("utf-16-be") for h in re.findall(rb"/Title\s*<FEFF([0-9A-Fa-f]*)>", data)]
    out += [t.decode("latin-1") for t in re.findall(rb"/Title\s*\(([^)]*)\)", data)]
    return "\n".join(out)


def test_pdf_pages_and_sections(dossier):
    pdf = dossier["pdf"]
    pages = _pdf_pages(pdf)
    # cover + contents + département synthesis + 8 portraits of several pages + plan + methods
    assert 8 * 3 + 5 <= pages <= 120, pages
    signets = _pdf_strings(pdf)
    text = _pdf_text(pdf)
    attendus = ["Dossier du COTECH", "Fraîcheur des données", "Synthèse départementale", "Indicateurs du plan",
                "Méthodes, sources et secret statistique", *TERRITOIRES]
    if text is not None:  # full text when pypdf or pdftotext is installed
        text = re.sub(r"\s+", " ", text)
        attendus += ["Dossier du comité technique", "Page 3 sur"]
    for attendu in attendus:
        assert attendu in (text or "") or attendu in signets, attendu
    # one bookmark per section
    for titre in dossier["sections"]:
        assert titre in signets, titre


class _Tables(HTMLParser):
    """Collects the cells of the tables marked data-tableau, with the count columns of their header."""

    def __init__(self):
        super().__init__()
        self.tables: list[dict] = []
        self._cur: dict | None = None
        self._cell: list[str] | None = None
        self._row: list[str] | None = None
        self._row_total = False
        self._col = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table" and a.get("data-tableau"):
            self._cur = {"id": a["data-tableau"], "comptes": [], "lignes": []}
            self.tables.append(self._cur)
        elif self._cur is not None and tag == "tr":
            self._row, self._row_total, self._col = [], "total" in (a.get("class") or ""), 0
        elif self._cur is not None and tag == "th":
            if a.get("data-compte"):
                self._cur["comptes"].append(self._col)
            self._col += 1
        elif self._cur is not None and tag == "td":
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._cur = None
        elif self._cur is not None and tag == "td" and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif self._cur is not None and tag == "tr" and self._row:
            if not self._row_total:
                self._cur["lignes"].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def test_html_site(dossier):
    site = dossier["site"]
    index = dossier["html"].read_text(encoding="utf-8")
    assert "Dossier du comité technique" in index and "Fraîcheur des données" in index
    assert re.search(r"\d{2}/\d{2}/\d{4}", index)
    for page in ["synthese.html", "plan.html", "methodes.html"]:
        assert (site / page).is_file() and f'href="{page}"' in index
    synthese = (site / "synthese.html").read_text(encoding="utf-8")
    assert "Synthèse départementale" in synthese and synthese.count("<svg") >= 5
    for code, nom in zip(["arr", "art", "aud", "bou", "cal", "len", "mon", "ter"], TERRITOIRES, strict=True):
        page = site / f"territoire-{code}.html"
        assert page.is_file() and f'href="territoire-{code}.html"' in index
        html = page.read_text(encoding="utf-8")
        assert nom in html
        # charts and maps inline, each under its source line
        assert html.count("<svg") >= 5, code
        for fichier in [f"{code.upper()}_carte_pppi_communes.svg", f"{code.upper()}_carte_tension.svg",
                        f"{code.upper()}_demandes.svg", f"{code.upper()}_expulsions.svg"]:
            assert f'data-fichier="{fichier}"' in html, fichier
        assert html.count('class="source"') >= html.count("<svg")
        for titre in ["Données de contexte", "L&#39;offre de logement", "La demande et les attributions",
                      "L&#39;accès prioritaire et le DALO", "L&#39;accompagnement FSL",
                      "La prévention des expulsions", "Les EPCI du territoire"]:
            assert titre in html, (code, titre)


def test_epci_tables_respect_the_secret(dossier):
    site = dossier["site"]
    vus = 0
    masques = 0
    for page in sorted(site.glob("territoire-*.html")):
        parser = _Tables()
        parser.feed(page.read_text(encoding="utf-8"))
        epci = [t for t in parser.tables if t["id"] == "epci"]
        assert len(epci) == 1, page.name
        assert epci[0]["comptes"], page.name
        for ligne in epci[0]["lignes"]:
            for i in epci[0]["comptes"]:
                cell = ligne[i]
                vus += 1
                if cell == "s":
                    masques += 1
                    continue
                valeur = int(cell.replace("\u00a0", "").replace(" ", ""))
                assert valeur == 0 or valeur >= 5, (page.name, ligne[0], i, cell)
    assert vus > 0 and masques > 0


def test_the_diagnostic_comparison_quotes_the_departmental_average_and_the_plans_contradictions(dossier):
    html = (dossier["site"] / "territoire-len.html").read_text(encoding="utf-8")
    comparison = html[html.index("Comparaison avec le diagnostic 2022"):]
    # Lens-Hénin's tension: 2,10 published beside the 2,30 the plan quotes for the département, both recomputed
    assert "2,10 ; département 2,30" in comparison
    # the plan says Lens-Hénin has the strongest tension with 2,1 < 2,3: named in a note, the figure kept
    assert "Le plan se contredit sur ce chiffre." in comparison and "la plus forte tension" in comparison
    # a figure published as text (the DALO main motives) is compared with the most frequent recorded motives
    arrageois = (dossier["site"] / "territoire-arr.html").read_text(encoding="utf-8")
    assert "Principaux motifs de saisine DALO" in arrageois
