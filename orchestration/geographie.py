"""Real geography of the Pas-de-Calais as dbt seeds, rebuilt from the npm package
``@etalab/decoupage-administratif`` (INSEE Code officiel géographique + DGCL EPCI lists, Licence Ouverte).

Each package version is one COG millésime (package README, "Millésimes et versions de package"). The current
millésime gives the communes, arrondissements and EPCI; every millésime from 2021 on gives the codes that the
commune-merger table (``correspondance_communes.csv``) must map to a current commune.

``commune_territoire.csv`` is the one seed that people edit by hand (the 8 territories of the Département
are not an official level): a regeneration keeps its rows for communes that still exist, adds the default
territory (derived from the EPCI) for new communes only and drops merged communes, saying so.

Run with ``python -m orchestration.geographie`` (or ``observatoire geographie``). See docs/geographie.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.settings import GEOGRAPHY_DIR, settings

PACKAGE = "@etalab/decoupage-administratif"
DEPARTEMENT = "62"

# One package version per COG millésime (1st January of the year).
PACKAGE_VERSIONS: dict[int, str] = {
    2021: "1.1.1",
    2022: "2.3.1",
    2023: "3.1.1",
    2024: "4.1.0",
    2025: "5.3.0",
    2026: "6.0.0",
}
CURRENT_MILLESIME = max(PACKAGE_VERSIONS)

COMMUNE_ACTUELLE = "commune-actuelle"

# The 8 territories of the Département (MDS territories, annexe 4 of the PDALHPD 2022-2027), in annex order.
TERRITOIRES: tuple[tuple[str, str], ...] = (
    ("ARR", "Arrageois"),
    ("ART", "Artois"),
    ("AUD", "Audomarois"),
    ("BOU", "Boulonnais"),
    ("CAL", "Calaisis"),
    ("LEN", "Lens-Hénin"),
    ("MON", "Montreuillois"),
    ("TER", "Ternois"),
)
TERRITOIRE_CODES = frozenset(code for code, _ in TERRITOIRES)

# Default territory of each EPCI (SIREN), used only for communes that have no row yet in
# commune_territoire.csv. Annexe 4 also attaches "19 communes de la CC des 7 Vallées" to the Ternois without
# listing them: the CC des 7 Vallées stays whole in the Montreuillois until someone edits the CSV.
EPCI_TERRITOIRE: dict[str, str] = {
    "200033579": "ARR",  # CU d'Arras
    "200069482": "ARR",  # CC des Campagnes de l'Artois
    "200044048": "ARR",  # CC Osartis Marquion
    "200035442": "ARR",  # CC du Sud Artois
    "200072460": "ART",  # CA de Béthune-Bruay, Artois-Lys Romane (CABBALR)
    "245900758": "ART",  # CC Flandre Lys (its 62 communes only; the EPCI straddles the Nord)
    "200069037": "AUD",  # CA du Pays de Saint-Omer
    "246201016": "AUD",  # CC du Pays de Lumbres
    "246200729": "BOU",  # CA du Boulonnais
    "200018083": "BOU",  # CC de Desvres-Samer
    "246200380": "BOU",  # CC de la Terre des Deux Caps
    "200090751": "CAL",  # CA Grand Calais Terres et Mers
    "200072478": "CAL",  # CC Pays d'Opale
    "246200844": "CAL",  # CC de la Région d'Audruicq
    "246200364": "LEN",  # CA de Lens-Liévin
    "246200299": "LEN",  # CA d'Hénin-Carvin
    "200069029": "MON",  # CA des Deux Baies en Montreuillois
    "200069235": "MON",  # CC du Haut Pays du Montreuillois
    "200044030": "MON",  # CC des 7 Vallées (whole, by default)
    "200069672": "TER",  # CC du Ternois (its 62 communes only; one member, 80810, is in the Somme)
}

# Mergers that no package version shows as a commune-deleguee/associee entry, handled explicitly.
# code before the merger -> (name before the merger, absorbing commune).
EXPLICIT_MERGERS: dict[str, tuple[str, str]] = {
    # Canteleux (62210, in the IGN Admin Express COG 2018 boundaries) joined Bonnières (62154) on
    # 1 January 2019 as a commune nouvelle *without* communes déléguées, so it has no entry of its own in any
    # package version (the first one, 1.1.1, is COG 2021). Only the `anciensCodes` of Bonnières mention it.
    "62210": ("Canteleux", "62154"),
}

MOTIF_IDENTIQUE = "identique"
MOTIF_FUSION = "fusion"

# Seed file name -> header. The order of this dict is the order of writing and of the printout.
SEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "communes": ("code_commune", "nom_commune", "population", "code_arrondissement", "code_epci"),
    "arrondissements": ("code_arrondissement", "nom_arrondissement", "code_commune_chef_lieu"),
    "epci": ("code_epci", "nom_epci", "type_epci", "nb_communes_62", "nb_communes_total", "population_62"),
    "territoires": ("code_territoire", "nom_territoire", "ordre"),
    "commune_territoire": ("code_commune", "code_territoire"),
    "correspondance_communes": (
        "code_commune_origine",
        "nom_commune_origine",
        "code_commune_actuel",
        "motif",
    ),
}
MAPPING_SEED = "commune_territoire"

Row = tuple[str | int, ...]


class GeographieError(Exception):
    """A problem the user must fix; the message is a French sentence."""


@dataclass(frozen=True)
class Millesime:
    """The three JSON files of one package version, as loaded."""

    annee: int
    version: str
    communes: list[dict]
    epci: list[dict]
    arrondissements: list[dict]


@dataclass
class Build:
    """The seed tables (name -> rows, without header) and the French lines describing what happened."""

    tables: dict[str, list[Row]]
    messages: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------------
# Package cache


def default_cache_dir() -> Path:
    """Where package versions are installed: ``<data>/cache/decoupage-administratif/<version>/``."""
    return settings().data_dir / "cache" / "decoupage-administratif"


def package_data_dir(cache_dir: Path, version: str) -> Path:
    return cache_dir / version / "node_modules" / PACKAGE / "data"


def is_cached(cache_dir: Path, version: str) -> bool:
    """True when the exact package version is already installed in the cache (no npm call needed)."""
    manifest = cache_dir / version / "node_modules" / PACKAGE / "package.json"
    if not manifest.is_file():
        return False
    try:
        installed = json.loads(manifest.read_text(encoding="utf-8")).get("version")
    except (OSError, json.JSONDecodeError):
        return False
    data = package_data_dir(cache_dir, version)
    files = ("communes.json", "epci.json", "arrondissements.json")
    return installed == version and all((data / name).is_file() for name in files)


def ensure_package(cache_dir: Path, version: str) -> Path:
    """Install ``PACKAGE@version`` in ``cache_dir/version`` with npm unless already there; return its data dir."""
    if is_cached(cache_dir, version):
        return package_data_dir(cache_dir, version)
    npm = shutil.which("npm")
    if npm is None:
        raise GeographieError(
            f"npm est introuvable : installez Node.js (npm) pour télécharger {PACKAGE}@{version}, "
            f"ou copiez le paquet déjà installé dans {cache_dir / version}."
        )
    prefix = cache_dir / version
    prefix.mkdir(parents=True, exist_ok=True)
    command = [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", f"{PACKAGE}@{version}"]
    env = {**os.environ, "npm_config_update_notifier": "false"}
    try:
        subprocess.run(command, check=True, capture_output=True, text=True, timeout=600, env=env)
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()[-5:]
        raise GeographieError(
            f"« npm install {PACKAGE}@{version} » a échoué (code {exc.returncode}) : "
            + " / ".join(detail)
            + ". Vérifiez l'accès au registre npm."
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise GeographieError(
            f"« npm install {PACKAGE}@{version} » n'a pas abouti en 10 minutes : "
            "vérifiez l'accès au registre npm."
        ) from exc
    if not is_cached(cache_dir, version):
        raise GeographieError(
            f"npm a terminé mais {package_data_dir(cache_dir, version)} ne contient pas communes.json, "
            "epci.json et arrondissements.json."
        )
    return package_data_dir(cache_dir, version)


def load_millesime(data_dir: Path, annee: int, version: str) -> Millesime:
    def load(name: str) -> list[dict]:
        path = data_dir / name
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise GeographieError(f"Impossible de lire {path} : {exc}.") from exc

    return Millesime(
        annee=annee,
        version=version,
        communes=load("communes.json"),
        epci=load("epci.json"),
        arrondissements=load("arrondissements.json"),
    )


# --------------------------------------------------------------------------------------------------------
# Building the tables (pure: no file, no network)


def _communes_62(millesime: Millesime) -> list[dict]:
    return [c for c in millesime.communes if c.get("departement") == DEPARTEMENT]


def _current_communes(millesime: Millesime) -> dict[str, dict]:
    return {c["code"]: c for c in _communes_62(millesime) if c.get("type") == COMMUNE_ACTUELLE}


def _commune_epci(millesime: Millesime, codes: Iterable[str]) -> dict[str, str]:
    wanted = set(codes)
    result: dict[str, str] = {}
    for epci in millesime.epci:
        for member in epci.get("membres", []):
            if member["code"] in wanted:
                if member["code"] in result:
                    raise GeographieError(
                        f"La commune {member['code']} appartient à deux EPCI dans le paquet {PACKAGE}@"
                        f"{millesime.version} ({result[member['code']]} et {epci['code']})."
                    )
                result[member["code"]] = epci["code"]
    return result


def _correspondance(millesimes: Sequence[Millesime], current: dict[str, dict]) -> list[Row]:
    """Map every 62 commune code seen in any millésime (plus EXPLICIT_MERGERS) to its current commune."""
    names: dict[str, str] = {}
    successor: dict[str, str] = {}  # code -> chef-lieu of a commune-deleguee/associee entry
    absorbed_by: dict[str, str] = {}  # old code -> commune listing it in anciensCodes
    for millesime in sorted(millesimes, key=lambda m: m.annee):
        # Current communes first, so that within one millésime the name of a delegated part wins for its code.
        entries = sorted(_communes_62(millesime), key=lambda c: c.get("type") != COMMUNE_ACTUELLE)
        for entry in entries:
            code = entry["code"]
            names[code] = entry["nom"]
            chef_lieu = entry.get("chefLieu")
            if entry.get("type") != COMMUNE_ACTUELLE and chef_lieu and chef_lieu != code:
                successor[code] = chef_lieu
            if entry.get("type") == COMMUNE_ACTUELLE:
                for old in entry.get("anciensCodes") or []:
                    if old != code:
                        absorbed_by[old] = code

    for code, (name, target) in EXPLICIT_MERGERS.items():
        names.setdefault(code, name)
        listed = absorbed_by.get(code)
        if listed is not None and listed != target:
            raise GeographieError(
                f"Fusion explicite {code} ({name}) -> {target} contredite par le paquet {PACKAGE}, "
                f"qui la rattache à {listed} : corrigez EXPLICIT_MERGERS dans orchestration/geographie.py."
            )

    explicit = {code: target for code, (_, target) in EXPLICIT_MERGERS.items()}

    def resolve(code: str) -> str:
        path = [code]
        while path[-1] not in current:
            last = path[-1]
            nxt = successor.get(last) or explicit.get(last) or absorbed_by.get(last)
            if nxt is None or nxt in path:
                raise GeographieError(
                    f"La commune {code} ({names.get(code, '?')}) ne se rattache à aucune commune du COG "
                    f"{CURRENT_MILLESIME} (chaîne suivie : {' -> '.join(path)}). "
                    "Ajoutez-la à EXPLICIT_MERGERS dans orchestration/geographie.py."
                )
            path.append(nxt)
        return path[-1]

    rows: list[Row] = []
    for code in sorted(set(names) | set(EXPLICIT_MERGERS)):
        if code in current:
            rows.append((code, current[code]["nom"], code, MOTIF_IDENTIQUE))
        else:
            rows.append((code, names[code], resolve(code), MOTIF_FUSION))
    return rows


def _mapping(
    current: dict[str, dict],
    commune_epci: dict[str, str],
    existing: list[tuple[str, str]] | None,
    correspondance: dict[str, str],
    messages: list[str],
) -> list[Row]:
    """commune_territoire rows: manual rows kept, defaults for new communes, merged communes dropped."""

    def default(code: str) -> str:
        epci = commune_epci.get(code)
        if epci not in EPCI_TERRITOIRE:
            raise GeographieError(
                f"La commune {code} ({current[code]['nom']}) appartient à l'EPCI {epci}, sans territoire par "
                "défaut : ajoutez son territoire dans commune_territoire.csv (ou dans EPCI_TERRITOIRE)."
            )
        return EPCI_TERRITOIRE[epci]

    if existing is None:
        messages.append(
            f"{MAPPING_SEED}.csv : fichier absent, créé avec le territoire par défaut de chaque EPCI."
        )
        return [(code, default(code)) for code in sorted(current)]

    kept = {code: territoire for code, territoire in existing if code in current}
    dropped = [code for code, _ in existing if code not in current]
    added = sorted(code for code in current if code not in kept)
    mapping = {**kept, **{code: default(code) for code in added}}

    edited = sorted(
        code for code in kept if commune_epci.get(code) in EPCI_TERRITOIRE and kept[code] != default(code)
    )
    messages.append(
        f"{MAPPING_SEED}.csv : {len(kept)} lignes existantes conservées"
        + (
            f", dont {len(edited)} différentes du territoire par défaut (modifications manuelles)"
            if edited
            else ""
        )
        + "."
    )
    for code in added:
        messages.append(
            f"{MAPPING_SEED}.csv : nouvelle commune {code} ({current[code]['nom']}) ajoutée au territoire "
            f"{mapping[code]} (territoire par défaut de son EPCI)."
        )
    for code in dropped:
        target = correspondance.get(code)
        where = (
            f"fusionnée dans {target} ({current[target]['nom']})" if target in current else "absente du COG"
        )
        messages.append(f"{MAPPING_SEED}.csv : commune {code} retirée ({where} au COG {CURRENT_MILLESIME}).")
    return sorted(mapping.items())


def build_tables(
    millesimes: Sequence[Millesime], existing_mapping: list[tuple[str, str]] | None = None
) -> Build:
    """Compute every seed from the loaded package files (the latest millésime is the current geography).

    ``existing_mapping`` holds the rows of the current ``commune_territoire.csv`` (None when there is none).
    """
    if not millesimes:
        raise GeographieError("Aucun millésime du COG n'a été chargé.")
    latest = max(millesimes, key=lambda m: m.annee)
    messages: list[str] = []

    current = _current_communes(latest)
    if not current:
        raise GeographieError(f"Aucune commune du département {DEPARTEMENT} dans {PACKAGE}@{latest.version}.")
    commune_epci = _commune_epci(latest, current)

    communes = [
        (code, c["nom"], int(c["population"]), c["arrondissement"], commune_epci.get(code, ""))
        for code, c in sorted(current.items())
    ]
    missing_epci = [code for code in current if code not in commune_epci]
    if missing_epci:
        messages.append(
            f"communes.csv : {len(missing_epci)} communes sans EPCI : {', '.join(sorted(missing_epci))}."
        )

    arrondissements = sorted(
        (a["code"], a["nom"], a["chefLieu"])
        for a in latest.arrondissements
        if a.get("departement") == DEPARTEMENT
    )

    epci_rows: list[Row] = []
    for epci in latest.epci:
        members_62 = [m["code"] for m in epci.get("membres", []) if m["code"] in current]
        if not members_62:
            continue
        population_62 = sum(int(current[code]["population"]) for code in members_62)
        total = len(epci["membres"])
        epci_rows.append((epci["code"], epci["nom"], epci["type"], len(members_62), total, population_62))
        if total != len(members_62):
            outside = sorted(m["code"] for m in epci["membres"] if m["code"] not in current)
            messages.append(
                f"epci.csv : {epci['nom']} ({epci['code']}) compte {total} communes dont "
                f"{total - len(members_62)} hors du Pas-de-Calais ({', '.join(outside)}), non retenues."
            )
    epci_rows.sort()

    territoires = [(code, nom, ordre) for ordre, (code, nom) in enumerate(TERRITOIRES, start=1)]

    correspondance = _correspondance(millesimes, current)
    merged = {row[0]: str(row[2]) for row in correspondance}
    mapping = _mapping(current, commune_epci, existing_mapping, merged, messages)

    tables: dict[str, list[Row]] = {
        "communes": communes,
        "arrondissements": arrondissements,
        "epci": epci_rows,
        "territoires": territoires,
        "commune_territoire": mapping,
        "correspondance_communes": correspondance,
    }
    return Build(tables=tables, messages=messages)


# --------------------------------------------------------------------------------------------------------
# Files


def read_mapping(path: Path) -> list[tuple[str, str]] | None:
    """Rows of an existing commune_territoire.csv, checked; None when the file does not exist."""
    if not path.exists():
        return None
    expected = SEED_COLUMNS[MAPPING_SEED]
    rows: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None or tuple(h.strip().lstrip("\ufeff") for h in header) != expected:
            raise GeographieError(
                f"{path}, ligne 1 : en-tête {','.join(header or [])!r} inattendu, "
                f"attendu {','.join(expected)!r}."
            )
        for line, values in enumerate(reader, start=2):
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != 2:
                raise GeographieError(
                    f"{path}, ligne {line} : {len(values)} valeurs, attendu 2 (code_commune,code_territoire)."
                )
            code, territoire = values[0].strip(), values[1].strip().upper()
            if not (len(code) == 5 and code[:2] == DEPARTEMENT):
                raise GeographieError(
                    f"{path}, ligne {line}, colonne code_commune : {code!r} n'est pas un code INSEE "
                    f"de commune du {DEPARTEMENT} (5 caractères, par exemple 62041)."
                )
            if territoire not in TERRITOIRE_CODES:
                raise GeographieError(
                    f"{path}, ligne {line}, colonne code_territoire : {territoire!r} inconnu, "
                    f"attendu l'un de {', '.join(sorted(TERRITOIRE_CODES))}."
                )
            if code in seen:
                raise GeographieError(
                    f"{path}, ligne {line}, colonne code_commune : la commune {code} figure déjà "
                    f"ligne {seen[code]} (une commune appartient à un seul territoire)."
                )
            seen[code] = line
            rows.append((code, territoire))
    return rows


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Row]) -> None:
    """UTF-8, comma, header row, LF line ends; written to a temporary file then moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    os.replace(tmp, path)


def write_seeds(seeds_dir: Path, build: Build) -> None:
    for name, header in SEED_COLUMNS.items():
        write_csv(seeds_dir / f"{name}.csv", header, build.tables[name])


def regenerate(seeds_dir: Path = GEOGRAPHY_DIR, cache_dir: Path | None = None) -> Build:
    """Install (or reuse) each package version in ``cache_dir``, rebuild the seeds, write them to ``seeds_dir``.

    ``cache_dir`` holds one folder per package version (default ``<data>/cache/decoupage-administratif``).
    Manual edits of ``seeds_dir/commune_territoire.csv`` are kept. Returns the tables and the French messages.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    seeds_dir = Path(seeds_dir)
    existing = read_mapping(seeds_dir / f"{MAPPING_SEED}.csv")  # fail early, before any download

    messages: list[str] = []
    millesimes = []
    for annee, version in sorted(PACKAGE_VERSIONS.items()):
        was_cached = is_cached(cache_dir, version)
        data_dir = ensure_package(cache_dir, version)
        origin = "cache" if was_cached else "téléchargé avec npm"
        messages.append(f"COG {annee} : {PACKAGE}@{version} ({origin}, {cache_dir / version}).")
        millesimes.append(load_millesime(data_dir, annee, version))

    build = build_tables(millesimes, existing)
    write_seeds(seeds_dir, build)
    written = [f"{name}.csv : {len(build.tables[name])} lignes" for name in SEED_COLUMNS]
    build.messages = messages + build.messages + [f"Écrit dans {seeds_dir} : " + " ; ".join(written) + "."]
    return build


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.geographie",
        description=f"Régénère les seeds de géographie (COG {CURRENT_MILLESIME}) depuis {PACKAGE}.",
    )
    parser.add_argument(
        "--seeds", type=Path, default=GEOGRAPHY_DIR, help="dossier des seeds (seeds/geographie)"
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help="dossier du cache npm des versions du paquet"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        build = regenerate(args.seeds, args.cache)
    except GeographieError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    for message in build.messages:
        print(message)
    print(f"Terminé en {time.monotonic() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
