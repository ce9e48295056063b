"""The extract specifications (docs/sources/*.md) and the code-list seeds agree with observatoire/extracts.py."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, datetime
from pathlib import Path

import pytest
import yaml

from observatoire.extracts import OPEN_SOURCES, SOURCES, Source, extraction_date
from observatoire.generators import docs_sources
from observatoire.settings import NOMENCLATURES_DIR, SEEDS_DIR

DATE_FORMAT = "%d/%m/%Y"  # the producers' format, as the specification pages state it
BOOLEAN_VALUES = ("O", "N")
KIND_NAMES = {"identifiant", "personnel", "naissance", "texte", "code", "commune", "date", "entier", "decimal",
              "booleen", "mesure"}


def page_text(source: Source) -> str:
    return docs_sources.page_path(docs_sources.page_of(source.name)).read_text(encoding="utf-8")


def table_rows(text: str) -> list[list[str]]:
    """Cells of every markdown table row of a page."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("|") and line.endswith("|") and not set(line) <= set("|-: "):
            rows.append([cell.strip() for cell in re.split(r"(?<!\\)\|", line[1:-1])])
    return rows


def column_rows(text: str) -> list[list[str]]:
    """Rows of the column tables: the second cell is a column kind."""
    return [r for r in table_rows(text) if len(r) >= 5 and r[1].strip("`") in KIND_NAMES and r[1].startswith("`")]


def seed_path(spec: str) -> Path:
    """The one seed named by a code list (``<seed>`` or ``<seed>.<column>``), anywhere under seeds/."""
    [path] = SEEDS_DIR.rglob(f"{spec.partition('.')[0]}.csv")
    return path


def seed_rows(spec: str) -> tuple[list[str], list[dict[str, str]]]:
    """Columns, the codes' column first, and rows of a code list."""
    with seed_path(spec).open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, rows = list(reader.fieldnames or []), list(reader)
    column = spec.partition(".")[2] or fields[0]
    return [column, *(f for f in fields if f != column)], rows


def seed_codes(spec: str) -> list[str]:
    fields, rows = seed_rows(spec)
    return [row[fields[0]] for row in rows]


def seed_entries() -> dict[str, dict]:
    """Every seed entry of every yml file under seeds/."""
    entries: dict[str, dict] = {}
    for path in sorted(SEEDS_DIR.rglob("*.yml")):
        content = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for entry in content.get("seeds") or []:
            assert entry["name"] not in entries, f"seed {entry['name']} documented twice ({path})"
            entries[entry["name"]] = entry
    return entries


def referenced_seeds(source: Source) -> set[str]:
    seeds = {c.codes for c in source.columns if c.codes}
    if any(c.kind == "naissance" for c in source.columns):
        seeds.add(docs_sources.AGE_SEED)
    return seeds


SOURCE_IDS = list(SOURCES)


# --- pages -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", SOURCE_IDS)
def test_every_source_has_its_page(name: str) -> None:
    path = docs_sources.page_path(docs_sources.page_of(name))
    assert path.exists(), f"{name}: page {path} manquante"
    readme = (docs_sources.DOCS_DIR / "README.md").read_text(encoding="utf-8")
    assert f"]({path.name})" in readme, f"README.md ne renvoie pas vers {path.name}"


def test_pages_are_up_to_date() -> None:
    stale = docs_sources.outdated()
    assert not stale, f"pages à régénérer (python -m observatoire.generators.docs_sources) : {stale}"


@pytest.mark.parametrize("name", SOURCE_IDS)
def test_every_column_is_in_the_page_table_with_its_kind(name: str) -> None:
    source = SOURCES[name]
    rows = column_rows(page_text(source))
    for c in source.columns:
        matching = [r for r in rows if r[0] == f"`{c.header}`" and r[1] == f"`{c.kind}`"]
        assert matching, f"{name}: pas de ligne « {c.header} » de type {c.kind} dans le tableau des colonnes"
        row = matching[0]
        assert row[2] == ("oui" if c.required else "non"), f"{name}: {c.header}: obligatoire"
        if c.codes:
            assert row[3] == f"`{c.codes}`", f"{name}: {c.header}: liste de codes"


@pytest.mark.parametrize("page", list(docs_sources.PAGES))
def test_page_tables_list_no_other_column(page: str) -> None:
    sources = [SOURCES[n] for n in docs_sources.PAGES[page]]
    expected = {(f"`{c.header}`", f"`{c.kind}`") for s in sources for c in s.columns}
    documented = {(r[0], r[1]) for r in column_rows(docs_sources.page_path(page).read_text(encoding="utf-8"))}
    assert documented == expected, f"{page}.md: colonnes en trop {documented - expected}"


@pytest.mark.parametrize("name", SOURCE_IDS)
def test_every_code_of_the_referenced_seeds_is_in_the_page(name: str) -> None:
    source = SOURCES[name]
    text = page_text(source)
    for seed in sorted(referenced_seeds(source)):
        missing = [code for code in seed_codes(seed) if f"`{code}`" not in text]
        assert not missing, f"{name}: codes de {seed} absents de la page : {missing}"


def example_lines(text: str, source: Source) -> list[str]:
    """The lines of the page's ```csv example whose header line is the source's headers."""
    header = ";".join(c.header for c in source.columns)
    for block in re.findall(r"```csv\n(.*?)```", text, re.DOTALL):
        lines = block.strip("\n").splitlines()
        if lines and lines[0] == header:
            return lines[1:]
    raise AssertionError(f"{source.name}: pas d'exemple ```csv dont l'en-tête est exactement celui du contrat")


@pytest.mark.parametrize("name", [n for n in SOURCE_IDS if n not in OPEN_SOURCES])
def test_page_example_follows_the_contract(name: str) -> None:
    source = SOURCES[name]
    lines = example_lines(page_text(source), source)
    assert len(lines) == 3, f"{name}: l'exemple doit avoir 3 lignes"
    for n, values in enumerate(csv.reader(io.StringIO("\n".join(lines)), delimiter=";"), start=2):
        assert len(values) == len(source.columns), f"{name}: exemple ligne {n}: {len(values)} champs"
        for c, value in zip(source.columns, values, strict=True):
            where = f"{name}: exemple ligne {n}, colonne « {c.header} » = {value!r}"
            if not value:
                assert not c.required, f"{where}: obligatoire"
                continue
            multi = docs_sources.MULTI_CODE_COLUMNS.get((name, c.name))
            if multi:
                assert set(value.split("/")) <= set(seed_codes(multi)), f"{where}: hors de la liste {multi}"
            elif c.kind in ("date", "naissance"):
                datetime.strptime(value, DATE_FORMAT)
            elif c.kind == "code":
                assert value in seed_codes(c.codes or ""), f"{where}: hors de la liste {c.codes}"
            elif c.kind == "booleen":
                assert value in BOOLEAN_VALUES, where
            elif c.kind == "entier":
                assert re.fullmatch(r"-?\d+", value), where
            elif c.kind == "decimal":
                assert re.fullmatch(r"-?\d+(,\d+)?", value), where
            elif c.kind == "commune":
                assert re.fullmatch(r"\d[\dAB]\d{3}", value), where


def test_file_names_in_the_index_carry_the_extraction_date() -> None:
    readme = (docs_sources.DOCS_DIR / "README.md").read_text(encoding="utf-8")
    for name in SOURCES:
        if name in OPEN_SOURCES:  # the publisher's own name, which the loader reads
            example = OPEN_SOURCES[name].publication.example.format(millesime=2021)
            assert f"`{example}`" in readme, name
            extracted = extraction_date(example.split(" ")[0], OPEN_SOURCES[name])
            if "(?P<jour>" in OPEN_SOURCES[name].publication.file_pattern:  # a stock file: its extraction day
                assert extracted is not None and extracted.year == 2021, name
            else:
                assert extracted == date(2021, 1, 1), name
            continue
        assert re.search(rf"`{name}_[0-9T-]+_extrait_\d{{4}}-\d{{2}}-\d{{2}}\.(csv|xlsx)`", readme), name


@pytest.mark.parametrize("name", list(OPEN_SOURCES))
def test_open_data_pages_cite_the_publishers_documentation(name: str) -> None:
    """The page names the publisher's dataset, its address and the documentation the layout was checked against,
    and says which headers were not verified."""
    pub = OPEN_SOURCES[name].publication
    text = page_text(OPEN_SOURCES[name])
    for cited in (pub.dataset, pub.url, pub.documentation):
        assert cited in text, f"{name}: « {cited} » absent de la page"
    for c in OPEN_SOURCES[name].columns:
        if c.unverified:
            assert re.search(rf"non vérifiés[^\n]*`{re.escape(c.header)}`", text), f"{name}: {c.header}"


# --- seeds -----------------------------------------------------------------------------------------------------

def test_code_lists_referenced_by_the_contract_exist() -> None:
    for source in SOURCES.values():
        for seed in referenced_seeds(source):
            fields, rows = seed_rows(seed)  # fails unless exactly one seed has that name
            if seed_path(seed).parent == NOMENCLATURES_DIR:
                assert fields[0].startswith("code_"), f"{seed}: la première colonne doit être le code"
            codes = [row[fields[0]] for row in rows]
            assert codes and all(codes) and len(codes) == len(set(codes)), f"{seed}: codes vides ou en double"


def test_every_seed_has_a_documented_yml_entry() -> None:
    entries = seed_entries()
    for path in sorted(SEEDS_DIR.rglob("*.csv")):
        name = path.stem
        assert name in entries, f"{path.relative_to(SEEDS_DIR)} n'a pas d'entrée dans un yml de seeds/"
        entry = entries[name]
        assert str(entry.get("description") or "").strip(), f"{name}: description manquante"
        with path.open(encoding="utf-8", newline="") as f:
            fields = next(csv.reader(f))
        documented = {c["name"]: str(c.get("description") or "").strip() for c in entry.get("columns") or []}
        for field in fields:
            assert documented.get(field), f"{name}.{field}: colonne sans description"
        assert set(documented) <= set(fields), f"{name}: colonnes documentées absentes du csv"


def test_nomenclatures_yml_types_and_tests() -> None:
    path = NOMENCLATURES_DIR / "_nomenclatures.yml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert content["version"] == 2
    entries = {e["name"]: e for e in content["seeds"]}
    for csv_path in sorted(NOMENCLATURES_DIR.glob("*.csv")):
        name = csv_path.stem
        fields, rows = seed_rows(name)
        types = {k: v.lower() for k, v in entries[name]["config"]["column_types"].items()}
        assert set(types) == set(fields), f"{name}: column_types doit typer chaque colonne"
        for field in fields:
            values = {row[field] for row in rows}
            if field == fields[0] or field.startswith(("code_", "libelle_")):
                expected = "varchar"
            elif values <= {"true", "false"}:
                expected = "boolean"
            elif field == "ordre" or field.startswith("age_"):
                expected = "integer"
            else:
                expected = "varchar"
            assert types[field] == expected, f"{name}.{field}: {types[field]} au lieu de {expected}"
        code = next(c for c in entries[name]["columns"] if c["name"] == fields[0])
        assert "unique" in (code.get("data_tests") or []), f"{name}.{fields[0]}: unique"
        filled = [t["colonnes_renseignees"]["arguments"]["columns"] for t in entries[name].get("data_tests") or []
                  if isinstance(t, dict) and "colonnes_renseignees" in t]
        assert filled and fields[0] in filled[0], f"{name}.{fields[0]}: colonnes_renseignees"
        assert "tests" not in code, f"{name}.{fields[0]}: utiliser data_tests (dbt 1.11)"


def test_generated_blocks_cover_every_page() -> None:
    for path, sources in docs_sources.pages().items():
        text = path.read_text(encoding="utf-8")
        tags = {"index", "types"} if sources is None else {"colonnes", "codes"}
        for tag in tags:
            assert f"<!-- {tag}:debut" in text, f"{Path(path).name}: marqueur {tag} manquant"
