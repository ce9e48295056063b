"""Render the generated parts of the extract specifications (docs/sources/*.md) from extracts.py and the seeds.

The prose of each page is hand-written; only the blocks between markers are rewritten:

- ``<!-- colonnes:debut -->`` … ``<!-- colonnes:fin -->``: the column table of every source of the page, or,
  with a source name (``<!-- colonnes:debut sne_demandes -->`` … ``<!-- colonnes:fin sne_demandes -->``),
  of that source only;
- ``<!-- codes:debut -->`` … ``<!-- codes:fin -->``: the code lists used by the page's sources, from the seeds;
- in README.md, ``<!-- index:debut -->`` … (one line per source) and ``<!-- types:debut -->`` … (column kinds).

Usage::

    python -m observatoire.generators.docs_sources           # rewrite the pages
    python -m observatoire.generators.docs_sources --check   # exit 1 and name the pages that are out of date
"""

from __future__ import annotations

import csv
import re
import sys
from datetime import date
from pathlib import Path

import yaml

from observatoire import generators
from observatoire.extracts import SOURCES, Column, Source, code_list_file, file_name
from observatoire.formats import DECIMAL_MAX, INTEGER_MAX, INTEGER_MIN, YEAR_MAX, YEAR_MIN, french_number
from observatoire.settings import NOMENCLATURES_DIR, PROJECT_DIR

DOCS_DIR = PROJECT_DIR / "docs" / "sources"
AGE_SEED = "tranches_age"  # the code list a "naissance" column is turned into

# Text columns whose values are codes of a list (several, separated by "/"): not validated by extracts.py, but the
# producer must know which list to use.
MULTI_CODE_COLUMNS: dict[tuple[str, str], str] = {("sne_demandes", "typologies_souhaitees"): "sne_typologies"}
# Open-data text columns whose codes the observatory reads through a list covering only the codes it counts
# (the others are loaded and not counted): documented, never validated.
COUNTED_CODE_COLUMNS: dict[tuple[str, str], str] = {
    ("finess_etablissements", "categetab"): "finess_categories_hebergement"}

# One page per domain (the SNE's two extracts share theirs), in the order of extracts.SOURCES.
PAGES: dict[str, tuple[str, ...]] = {
    domain: tuple(s.name for s in SOURCES.values() if s.domain == domain)
    for domain in dict.fromkeys(s.domain for s in SOURCES.values())}

# How the période is written in file names, by cadence: (pattern, example period, example extraction date).
PERIODS: dict[str, tuple[str, str, date]] = {
    "mensuelle": ("AAAA-MM", "2025-03", date(2025, 4, 7)),
    "trimestrielle": ("AAAA-Tn", "2025-T1", date(2025, 4, 15)),
    "annuelle": ("AAAA", "2024", date(2025, 2, 3)),
    "biennale": ("AAAA (millésime)", "2021", date(2024, 6, 3)),
}

# Kind -> (what the producer writes, what the observatory does with it, short form for the column tables).
KINDS_DOC: dict[str, tuple[str, str, str]] = {
    "identifiant": (
        "Numéro de dossier, de recours, de demande ou de procédure, tel qu'il figure dans le système du producteur ; "
        "en texte dans un tableur (un nombre de plus de 15 chiffres y perd les derniers : la ligne est rejetée)",
        "Pseudonymisé dès la lecture par HMAC-SHA256 avec une clé détenue par l'observatoire ; "
        "jamais stocké en clair",
        "pseudonymisé",
    ),
    "personnel": (
        "Identifiant direct (nom, prénom, NIR, n° allocataire, adresse, téléphone, courriel) ; "
        "peut être livré vide",
        "Supprimé à la lecture du fichier ; jamais stocké",
        "supprimé",
    ),
    "naissance": (
        "Date de naissance au format JJ/MM/AAAA",
        f"Convertie en tranche d'âge (liste `{AGE_SEED}`) à la date d'extraction, puis supprimée",
        "tranche d'âge",
    ),
    "texte": ("Texte libre, sans donnée nominative", "Conservé", "conservé"),
    "code": (
        "Un code de la liste indiquée, écrit exactement comme dans la liste (majuscules, sans espace) ; "
        "un code numérique saisi comme nombre dans un tableur est relu s'il n'a pas perdu de chiffres",
        "Conservé ; le libellé est ajouté par l'observatoire",
        "conservé",
    ),
    "commune": (
        "Code INSEE de la commune sur 5 caractères (ex. `62041` pour Arras), jamais le code postal",
        "Conservé",
        "conservé",
    ),
    "date": (f"Date au format JJ/MM/AAAA (ex. `07/04/2025`), année de {YEAR_MIN} à {YEAR_MAX}", "Conservée",
             "conservé"),
    "entier": (f"Nombre entier, sans espace ni séparateur de milliers (ex. `1250`), de {french_number(INTEGER_MIN)} à "
               f"{french_number(INTEGER_MAX)}", "Conservé", "conservé"),
    "decimal": (
        f"Nombre à virgule décimale, deux décimales au plus, sans séparateur de milliers (ex. `1250,50`), "
        f"{french_number(DECIMAL_MAX)},99 au plus en valeur absolue",
        "Conservé",
        "conservé",
    ),
    "booleen": ("`O` (oui) ou `N` (non) ; vide si l'information est inconnue", "Conservé", "conservé"),
    "mesure": ("Données ouvertes : nombre tel que le publie le producteur (décimales à point ou virgule, comptes "
               "pondérés du recensement) ; `s`, `nd`, `ns`, `so` ou vide pour une valeur sous secret",
               "Conservé ; une valeur sous secret devient NULL et reste signalée comme telle", "conservé"),
}

MARKER = re.compile(
    r"(?P<open><!-- (?P<tag>colonnes|codes|index|types):debut(?P<arg>(?: [a-z0-9_]+)?) -->\n)"
    r"(?P<body>.*?)"
    r"(?P<close><!-- (?P=tag):fin(?P=arg) -->)",
    re.DOTALL,
)


def page_of(source: str) -> str:
    """The page (docs/sources/<page>.md) that specifies a source."""
    return SOURCES[source].domain


def page_path(page: str) -> Path:
    return DOCS_DIR / f"{page}.md"


def read_seed(spec: str) -> tuple[list[str], list[dict[str, str]]]:
    """Columns (the codes first) and rows of a code list. A code list of seeds/nomenclatures shows every column;
    one of the plan's reference tables only its codes and their label."""
    path, column = code_list_file(spec)
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    fields = list(reader.fieldnames or [])
    if path.parent != NOMENCLATURES_DIR:
        label = next((c for c in fields if c.startswith(("libelle", "titre"))), None)
        return [column, *([label] if label else [])], rows
    return [column, *(c for c in fields if c != column)], rows


def seed_docs(spec: str) -> dict:
    """The entry of a code list's seed in the yml files beside it (empty if there is none)."""
    path, _ = code_list_file(spec)
    for yml in sorted(path.parent.glob("_*.yml")):
        content = yaml.safe_load(yml.read_text(encoding="utf-8")) or {}
        for seed in content.get("seeds", []):
            if seed["name"] == path.stem:
                return seed
    return {}


def code_lists(sources: list[Source]) -> dict[str, list[tuple[Source, Column]]]:
    """Code-list seeds used by the sources, in order of first use, with the columns that use them; the age bands
    (which the observatory derives, the producer never writes them) come last."""
    used: dict[str, list[tuple[Source, Column]]] = {}
    for source in sources:
        for column in source.columns:
            seed = (column.codes or MULTI_CODE_COLUMNS.get((source.name, column.name))
                    or COUNTED_CODE_COLUMNS.get((source.name, column.name)))
            if seed:
                used.setdefault(seed, []).append((source, column))
    for source in sources:
        for column in source.columns:
            if column.kind == "naissance":
                used.setdefault(AGE_SEED, []).append((source, column))
    return used


def _cell(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", " ")


def _value(value: str | None) -> str:
    return {"true": "oui", "false": "non"}.get(value or "", value or "")


def render_columns(source: Source) -> str:
    lines = [
        "| En-tête | Type | Obligatoire | Liste de codes | Description | À l'observatoire |",
        "|---|---|---|---|---|---|",
    ]
    for c in source.columns:
        multi = MULTI_CODE_COLUMNS.get((source.name, c.name))
        counted = COUNTED_CODE_COLUMNS.get((source.name, c.name))
        if c.codes:
            codes = f"`{c.codes}`"
        elif counted:
            codes = f"`{counted}` (codes comptés ; les autres sont chargés sans être comptés)"
        elif multi:
            codes = f"`{multi}` (plusieurs codes séparés par `/`)"
        else:
            codes = f"(`{AGE_SEED}`)" if c.kind == "naissance" else "—"
        lines.append(
            f"| `{_cell(c.header)}` | `{c.kind}` | {'oui' if c.required else 'non'} | {codes} "
            f"| {_cell(c.description)} | {KINDS_DOC[c.kind][2]} |"
        )
    key = ", ".join(f"`{source.column(n).header}`" for n in source.key)
    if source.publication:
        return "\n".join(lines + ["", *_publication(source)])
    lines += [
        "",
        f"{len(source.columns)} colonnes, dans l'ordre recommandé. "
        f"Clé d'une ligne dans un extrait : {key}. "
        f"Formats acceptés : {', '.join(f'`.{f}`' for f in source.formats)}.",
    ]
    return "\n".join(lines)


def _publication(source: Source) -> list[str]:
    """What an open-data file is and which documentation its columns were checked against."""
    pub = source.publication
    assert pub is not None
    unverified = [f"`{c.header}`" for c in source.columns if c.unverified]
    from_name = [f"`{c.header}`" for c in source.columns if c.from_name]
    if "(?P<jour>" in pub.file_pattern:
        when = ("le nom porte le jour de l'extraction (AAAAMMJJ), qui est la date d'extraction ; le millésime est "
                "l'année de ce jour")
    else:
        when = f"le millésime N paraît vers le mois {pub.release_month} de l'année N+{pub.lag_years}"
    # an export whose name carries no date is saved by the team under a name of its convention
    named = ("choisi par l'équipe (l'export du producteur ne porte pas de date)" if pub.period_column
             else "tel que publié")
    if pub.fields:
        layout = (f"pas d'en-tête : la ligne 1 est un commentaire du producteur (`{pub.first_line_example}`, "
                  "contrôlé : un fichier dont la ligne 1 est autre est refusé) ; les champs sont positionnels, "
                  f"{len(pub.fields)} nommés comme dans la documentation du producteur (`{'`, `'.join(pub.fields)}`)"
                  + (" ; les lignes d'autres sections ont moins de champs (complétées, puis ignorées)"
                     if pub.ragged else ""))
    else:
        layout = ("`{aa}` dans un en-tête désigne les deux derniers chiffres du millésime du fichier, `{pp}` ceux "
                  "du recensement antérieur qu'il donne pour comparaison (le plus récent, au moins cinq ans avant)")
    period = [f"- **Période de chaque ligne** : la colonne `{source.column(pub.period_column).header}` doit valoir "
              f"`{pub.period_example}` (le millésime du nom du fichier) sur chaque ligne ; sinon le fichier est "
              "refusé en entier, en nommant la première ligne d'une autre période."] if pub.period_column else []
    return [
        f"- **Producteur** : {pub.publisher} ; **jeu de données** : « {pub.dataset} » (<{pub.url}>).",
        f"- **Documentation suivie** : {pub.documentation}.",
        f"- **Nom du fichier** : {named}, `{pub.example}` (motif `{pub.file_pattern}`, sans tenir compte de "
        f"la casse) ; {when}.",
        *period,
        f"- **Format** : CSV, séparateur `{pub.separator}`, UTF-8 ou Windows-1252 ; {layout}.",
        f"- **Lignes retenues** : le fichier est national ; les lignes {pub.keep_label} sont ignorées et comptées.",
        f"- **Valeurs lues dans le nom du fichier**, pas dans ses colonnes : {', '.join(from_name) or 'aucune'}.",
        ("- **Champs non vérifiés sur la documentation** (position reprise d'une autre publication du producteur, "
         f"à confirmer sur la description du fichier) : {', '.join(unverified) or 'aucun'}." if pub.fields else
         "- **En-têtes non vérifiés sur la documentation** (suivis du motif de nommage du producteur, à confirmer "
         f"sur le dictionnaire des variables du millésime) : {', '.join(unverified) or 'aucun'}."),
        f"- {pub.notes}" if pub.notes else "",
    ]


def render_codes(sources: list[Source]) -> str:
    parts = []
    for seed, uses in code_lists(sources).items():
        fields, rows = read_seed(seed)
        notes = {"naissance": ", convertie, jamais stockée", "texte": ", plusieurs codes séparés par `/`"}
        where = ", ".join(f"`{c.header}` (`{s.name}`"
                          + (", codes comptés, non contrôlés" if (s.name, c.name) in COUNTED_CODE_COLUMNS
                             else notes.get(c.kind, "")) + ")" for s, c in uses)
        block = [f"### `{seed}`", ""]
        description = " ".join(str(seed_docs(seed).get("description", "")).split())
        if description:
            block += [description, ""]
        block += [f"Utilisée pour : {where}.", ""]
        heads = ["Code", "Libellé", *(f"`{f}`" for f in fields[2:])]
        block += ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
        for row in rows:
            cells = [f"`{row[fields[0]]}`", *(_cell(_value(row[f])) for f in fields[1:])]
            block.append("| " + " | ".join(cells) + " |")
        parts.append("\n".join(block))
    return "\n\n".join(parts) if parts else "Aucune liste de codes."


def render_index() -> str:
    lines = [
        "| Fichier | Source | Une ligne = | Cadence | Période dans le nom | Formats | Exemple de nom | Page |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in SOURCES.values():
        pattern, period, extracted = PERIODS[s.cadence]
        example = file_name(s.name, period, extracted, s.formats[0])
        if s.publication:  # open data keeps its publisher's file name
            pattern, example = "millésime (nom du producteur)", s.publication.example.format(millesime=2021)
        page = page_of(s.name)
        lines.append(
            f"| `{s.name}` | {_cell(s.label)} | {_cell(s.grain)} | {s.cadence} | `{pattern}` "
            f"| {', '.join(f'`.{f}`' for f in s.formats)} | `{example}` | [{page}.md]({page}.md) |"
        )
    return "\n".join(lines)


def render_types() -> str:
    lines = ["| Type | Ce que le producteur écrit | Ce qu'en fait l'observatoire |", "|---|---|---|"]
    for kind, (written, treated, _) in KINDS_DOC.items():
        lines.append(f"| `{kind}` | {written} | {treated} |")
    return "\n".join(lines)


def render(text: str, sources: list[Source] | None = None) -> str:
    """The text with every generated block rewritten. ``sources``: the page's sources (None for README)."""
    covered: set[str] = set()

    def block(m: re.Match[str]) -> str:
        tag, arg = m["tag"], m["arg"].strip()
        if tag in ("colonnes", "codes") and sources is None:
            raise ValueError(f"bloc « {tag} » hors d'une page de source")
        if tag == "colonnes":
            assert sources is not None
            chosen = [s for s in sources if not arg or s.name == arg]
            if not chosen:
                raise ValueError(f"bloc colonnes : la source {arg!r} n'appartient pas à cette page")
            covered.update(s.name for s in chosen)
            if len(chosen) == 1:
                body = render_columns(chosen[0])
            else:
                body = "\n\n".join(f"### Fichier `{s.name}`\n\n{render_columns(s)}" for s in chosen)
        elif tag == "codes":
            assert sources is not None
            body = render_codes(sources)
        elif tag == "index":
            body = render_index()
        else:
            body = render_types()
        return f"{m['open']}{body}\n{m['close']}"

    result = MARKER.sub(block, text)
    if sources is not None:
        missing = [s.name for s in sources if s.name not in covered]
        if missing:
            raise ValueError(f"pas de bloc <!-- colonnes:debut --> pour {', '.join(missing)}")
    return result


def pages() -> dict[Path, list[Source] | None]:
    """Every generated page with its sources (None for the README)."""
    result: dict[Path, list[Source] | None] = {DOCS_DIR / "README.md": None}
    for page, names in PAGES.items():
        result[page_path(page)] = [SOURCES[n] for n in names]
    return result


def expected() -> dict[Path, str]:
    """Each page as its generated blocks should read."""
    return {path: render(path.read_text(encoding="utf-8"), sources) for path, sources in pages().items()}


def outdated() -> list[Path]:
    """Pages whose generated blocks differ from what extracts.py and the seeds give."""
    return generators.outdated(expected())


def main(argv: list[str] | None = None) -> int:
    return generators.command("observatoire.generators.docs_sources", "observatoire/extracts.py et des seeds",
                              expected, argv)


if __name__ == "__main__":
    sys.exit(main())
