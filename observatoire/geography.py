"""Real geography of the Pas-de-Calais as dbt seeds, rebuilt from the npm package
``@etalab/decoupage-administratif`` (INSEE Code officiel géographique + DGCL EPCI lists, Licence Ouverte).

Each package version is one COG millésime (package README, "Millésimes et versions de package"). The current
millésime gives the communes, arrondissements and EPCI; every millésime from 2021 on gives the codes that the
commune-merger table (``correspondance_communes.csv``) must map to a current commune.

``commune_territoire.csv`` is the one seed that people edit by hand (the 8 territories of the Département
are not an official level): a regeneration keeps its rows for communes that still exist, adds the default
territory (derived from the EPCI) for new communes only and drops merged communes, saying so.

``communes.superficie_km2`` is the area of each commune, computed from the IGN Admin Express COG 2018
boundaries (one polygon per 2018 commune code, summed into the current commune through the merger table).
Without that GeoJSON file the values of the existing ``communes.csv`` are kept, so no area is ever lost.

Run with ``python -m observatoire.geography`` (or ``observatoire geographie``). See docs/geographie.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

from observatoire.settings import GEOGRAPHY_DIR, GEOJSON_COMMUNES_ENV, PROJECT_DIR, settings

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

# IGN Admin Express COG 2018 commune boundaries (WGS 84, COG 2018 codes), shared reference data outside the
# repository; the environment variable overrides the path (the tests use the same lookup).
DEFAULT_GEOJSON_COMMUNES = PROJECT_DIR.parent / "shared" / "reference" / "geo" / "communes-62-pas-de-calais.geojson"
GEOJSON_SOURCE = "IGN Admin Express COG 2018 simplifiée, Licence Ouverte"

# WGS 84 ellipsoid and its authalic sphere (the sphere with the same total area as the ellipsoid).
WGS84_A = 6_378_137.0
WGS84_F = 1 / 298.257223563
WGS84_E2 = WGS84_F * (2 - WGS84_F)
AUTHALIC_RADIUS = 6_371_007.2  # metres, a * sqrt(q_p / 2) = 6 371 007.18 m

MOTIF_IDENTIQUE = "identique"
MOTIF_FUSION = "fusion"

# Seed file name -> header. The order of this dict is the order of writing and of the printout.
SEED_COLUMNS: dict[str, tuple[str, ...]] = {
    "communes": (
        "code_commune",
        "nom_commune",
        "population",
        "code_arrondissement",
        "code_epci",
        "superficie_km2",
    ),
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

Row = tuple[str | int | float, ...]


class GeographyError(Exception):
    """A problem the user must fix; the message is a French sentence."""


@dataclass(frozen=True)
class Millesime:
    """The three JSON files of one package version, as loaded."""

    annee: int
    version: str
    communes: list[dict]
    epci: list[dict]
    arrondissements: list[dict]


@dataclass(frozen=True)
class Superficies:
    """Areas in km² keyed by commune code of some millésime (to be summed through the merger table).

    ``origine`` says in French where they come from; ``calculees`` is True when they were computed from the
    IGN boundaries, False when they are the values kept from an existing communes.csv.
    """

    km2: Mapping[str, float]
    origine: str
    calculees: bool


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
        raise GeographyError(
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
        raise GeographyError(
            f"« npm install {PACKAGE}@{version} » a échoué (code {exc.returncode}) : "
            + " / ".join(detail)
            + ". Vérifiez l'accès au registre npm."
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise GeographyError(
            f"« npm install {PACKAGE}@{version} » n'a pas abouti en 10 minutes : "
            "vérifiez l'accès au registre npm."
        ) from exc
    if not is_cached(cache_dir, version):
        raise GeographyError(
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
            raise GeographyError(f"Impossible de lire {path} : {exc}.") from exc

    return Millesime(
        annee=annee,
        version=version,
        communes=load("communes.json"),
        epci=load("epci.json"),
        arrondissements=load("arrondissements.json"),
    )


# --------------------------------------------------------------------------------------------------------
# Areas from the IGN boundaries (pure Python, no GIS dependency)


def geojson_communes_path() -> Path:
    """The IGN 2018 commune boundaries: ``$OBSERVATOIRE_GEOJSON_COMMUNES`` or the shared reference file."""
    return settings().geojson_communes or DEFAULT_GEOJSON_COMMUNES


def _q(sin_phi: float) -> float:
    """The ``q`` function of the authalic latitude (Snyder, Map Projections, eq. 3-12) on WGS 84."""
    e = math.sqrt(WGS84_E2)
    return (1 - WGS84_E2) * (
        sin_phi / (1 - WGS84_E2 * sin_phi**2) - math.log((1 - e * sin_phi) / (1 + e * sin_phi)) / (2 * e)
    )


_Q_POLE = _q(1.0)


def authalic_latitude(phi: float) -> float:
    """Authalic latitude (radians) of the geodetic latitude ``phi`` (radians) on WGS 84.

    Placing points on the authalic sphere at their authalic latitude preserves areas, so a spherical area
    computed there equals the ellipsoidal area (to about 1e-7 here) instead of underestimating it by 0.35 %
    at the latitude of the Pas-de-Calais, as plain geodetic latitudes would.
    """
    return math.asin(max(-1.0, min(1.0, _q(math.sin(phi)) / _Q_POLE)))


def ring_area_m2(ring: Sequence[Sequence[float]]) -> float:
    """Unsigned area (m²) enclosed by one closed ring of ``[longitude, latitude]`` degrees (WGS 84).

    Sum over the edges of the signed spherical excess of the triangle edge + North pole (exact for
    great-circle edges: E = 2 atan(tan(Δλ/2) (tan(β1/2) + tan(β2/2)) / (1 + tan(β1/2) tan(β2/2)))),
    on the authalic sphere with authalic latitudes β. The sign depends on the ring orientation and is
    dropped, so the result is valid for rings that neither enclose a pole nor span 180° of longitude.
    """
    points = [(math.radians(p[0]), math.tan(authalic_latitude(math.radians(p[1])) / 2)) for p in ring]
    if len(points) > 1 and points[0] != points[-1]:
        points.append(points[0])
    excess = 0.0
    for (lon1, t1), (lon2, t2) in pairwise(points):
        dlon = (lon2 - lon1 + math.pi) % (2 * math.pi) - math.pi
        excess += 2 * math.atan2(math.tan(dlon / 2) * (t1 + t2), 1 + t1 * t2)
    return abs(excess) * AUTHALIC_RADIUS**2


def geometry_area_m2(geometry: Mapping) -> float:
    """Area (m²) of a GeoJSON Polygon or MultiPolygon: each exterior ring minus its holes."""
    kind = geometry.get("type")
    if kind == "Polygon":
        polygons = [geometry["coordinates"]]
    elif kind == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        raise ValueError(f"géométrie {kind!r} non prise en charge (Polygon ou MultiPolygon attendu)")
    total = 0.0
    for rings in polygons:
        if rings:
            total += ring_area_m2(rings[0]) - sum(ring_area_m2(hole) for hole in rings[1:])
    return total


def load_geojson_superficies(path: Path) -> Superficies:
    """Area (km², not rounded) of each commune code of the IGN GeoJSON; features sharing a code add up."""
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as exc:
        raise GeographyError(f"Impossible de lire les contours des communes {path} : {exc}.") from exc
    km2: dict[str, float] = {}
    for number, feature in enumerate(features, start=1):
        try:
            code = str(feature["properties"]["code"])
            area = geometry_area_m2(feature["geometry"]) / 1e6
        except (KeyError, TypeError, IndexError, ValueError) as exc:
            raise GeographyError(f"{path}, objet n° {number} : contour illisible ({exc}).") from exc
        km2[code] = km2.get(code, 0.0) + area
    if not km2:
        raise GeographyError(f"{path} ne contient aucune commune.")
    return Superficies(
        km2=km2,
        origine=f"contours {GEOJSON_SOURCE} ({path}, {len(km2)} communes 2018)",
        calculees=True,
    )


def read_superficies(path: Path) -> Superficies | None:
    """``superficie_km2`` of an existing communes.csv, checked; None without file or without that column."""
    if not path.exists():
        return None
    km2: dict[str, float] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if "superficie_km2" not in (reader.fieldnames or []) or "code_commune" not in reader.fieldnames:
            return None
        for line, row in enumerate(reader, start=2):
            code, value = (row.get("code_commune") or "").strip(), (row.get("superficie_km2") or "").strip()
            try:
                area = float(value.replace(",", "."))
            except ValueError:
                area = math.nan
            if not math.isfinite(area) or area <= 0:
                raise GeographyError(
                    f"{path}, ligne {line}, colonne superficie_km2 : {value!r} n'est pas une superficie en km² "
                    "(nombre positif, par exemple 11.92)."
                )
            km2[code] = area
    return Superficies(km2=km2, origine=f"valeurs conservées de {path}", calculees=False)


def _km2(value: float) -> str:
    """A French-formatted area: 6 694,21 km²."""
    return f"{value:,.2f}".replace(",", " ").replace(".", ",") + " km²"


def _superficies_actuelles(
    superficies: Superficies,
    current: dict[str, dict],
    correspondance: dict[str, str],
    messages: list[str],
) -> dict[str, float]:
    """Sum the areas into the current communes through the merger table; every commune must get one."""
    unmapped = sorted(code for code in superficies.km2 if code not in correspondance)
    if unmapped:
        raise GeographyError(
            f"Superficies ({superficies.origine}) : {len(unmapped)} codes communes sans correspondance au COG "
            f"{CURRENT_MILLESIME} ({', '.join(unmapped[:10])}) : leur superficie serait perdue. "
            "Ajoutez-les à EXPLICIT_MERGERS dans observatoire/geography.py."
        )
    totals: dict[str, float] = {}
    for code, area in superficies.km2.items():
        target = correspondance[code]
        totals[target] = totals.get(target, 0.0) + area
    missing = sorted(code for code in current if code not in totals)
    if missing:
        named = ", ".join(f"{code} ({current[code]['nom']})" for code in missing[:10])
        remedy = (
            "le fichier ne couvre pas tout le département"
            if superficies.calculees
            else f"fournissez les contours IGN ({GEOJSON_COMMUNES_ENV} ou {DEFAULT_GEOJSON_COMMUNES}) pour "
            "les calculer"
        )
        raise GeographyError(
            f"communes.csv : {len(missing)} communes sans superficie ({superficies.origine}) : {named} ; "
            f"{remedy}."
        )
    total = sum(totals[code] for code in current)
    merged = sum(1 for code in superficies.km2 if correspondance[code] != code)
    if superficies.calculees:
        messages.append(
            f"communes.csv : superficie_km2 calculée depuis les {superficies.origine}, "
            f"dont {merged} anciennes communes sommées dans leur commune actuelle ; total {_km2(total)}."
        )
    else:
        messages.append(
            f"communes.csv : superficie_km2 reprend les {superficies.origine}, sans recalcul"
            + (f" ({merged} communes fusionnées depuis sommées dans leur commune actuelle)" if merged else "")
            + f" ; total {_km2(total)}."
        )
    return {code: round(totals[code], 2) for code in current}


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
                    raise GeographyError(
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
            raise GeographyError(
                f"Fusion explicite {code} ({name}) -> {target} contredite par le paquet {PACKAGE}, "
                f"qui la rattache à {listed} : corrigez EXPLICIT_MERGERS dans observatoire/geography.py."
            )

    explicit = {code: target for code, (_, target) in EXPLICIT_MERGERS.items()}

    def resolve(code: str) -> str:
        path = [code]
        while path[-1] not in current:
            last = path[-1]
            nxt = successor.get(last) or explicit.get(last) or absorbed_by.get(last)
            if nxt is None or nxt in path:
                raise GeographyError(
                    f"La commune {code} ({names.get(code, '?')}) ne se rattache à aucune commune du COG "
                    f"{CURRENT_MILLESIME} (chaîne suivie : {' -> '.join(path)}). "
                    "Ajoutez-la à EXPLICIT_MERGERS dans observatoire/geography.py."
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
            raise GeographyError(
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
    millesimes: Sequence[Millesime],
    existing_mapping: list[tuple[str, str]] | None = None,
    *,
    superficies: Superficies,
) -> Build:
    """Compute every seed from the loaded package files (the latest millésime is the current geography).

    ``existing_mapping`` holds the rows of the current ``commune_territoire.csv`` (None when there is none).
    ``superficies`` gives areas by commune code of any millésime, summed into the current communes through
    the merger table (IGN 2018 polygons, or the values of the existing communes.csv).
    """
    if not millesimes:
        raise GeographyError("Aucun millésime du COG n'a été chargé.")
    latest = max(millesimes, key=lambda m: m.annee)
    messages: list[str] = []

    current = _current_communes(latest)
    if not current:
        raise GeographyError(f"Aucune commune du département {DEPARTEMENT} dans {PACKAGE}@{latest.version}.")
    commune_epci = _commune_epci(latest, current)

    correspondance = _correspondance(millesimes, current)
    merged = {str(row[0]): str(row[2]) for row in correspondance}
    superficie = _superficies_actuelles(superficies, current, merged, messages)

    communes = [
        (code, c["nom"], int(c["population"]), c["arrondissement"], commune_epci.get(code, ""), superficie[code])
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
            raise GeographyError(
                f"{path}, ligne 1 : en-tête {','.join(header or [])!r} inattendu, "
                f"attendu {','.join(expected)!r}."
            )
        for line, values in enumerate(reader, start=2):
            if not values or all(not v.strip() for v in values):
                continue
            if len(values) != 2:
                raise GeographyError(
                    f"{path}, ligne {line} : {len(values)} valeurs, attendu 2 (code_commune,code_territoire)."
                )
            code, territoire = values[0].strip(), values[1].strip().upper()
            if not (len(code) == 5 and code[:2] == DEPARTEMENT):
                raise GeographyError(
                    f"{path}, ligne {line}, colonne code_commune : {code!r} n'est pas un code INSEE "
                    f"de commune du {DEPARTEMENT} (5 caractères, par exemple 62041)."
                )
            if territoire not in TERRITOIRE_CODES:
                raise GeographyError(
                    f"{path}, ligne {line}, colonne code_territoire : {territoire!r} inconnu, "
                    f"attendu l'un de {', '.join(sorted(TERRITOIRE_CODES))}."
                )
            if code in seen:
                raise GeographyError(
                    f"{path}, ligne {line}, colonne code_commune : la commune {code} figure déjà "
                    f"ligne {seen[code]} (une commune appartient à un seul territoire)."
                )
            seen[code] = line
            rows.append((code, territoire))
    return rows


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Row]) -> None:
    """UTF-8, comma, header row, LF line ends, floats with 2 decimals; written to a temporary file first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(tuple(f"{v:.2f}" if isinstance(v, float) else v for v in row) for row in rows)
    os.replace(tmp, path)


def write_seeds(seeds_dir: Path, build: Build) -> None:
    for name, header in SEED_COLUMNS.items():
        write_csv(seeds_dir / f"{name}.csv", header, build.tables[name])


def regenerate(
    seeds_dir: Path = GEOGRAPHY_DIR, cache_dir: Path | None = None, geojson: Path | None = None
) -> Build:
    """Install (or reuse) each package version in ``cache_dir``, rebuild the seeds, write them to ``seeds_dir``.

    ``cache_dir`` holds one folder per package version (default ``<data>/cache/decoupage-administratif``).
    ``geojson`` is the IGN 2018 commune boundaries (default ``geojson_communes_path()``); when that file does
    not exist, the areas of the existing ``seeds_dir/communes.csv`` are kept. Manual edits of
    ``seeds_dir/commune_territoire.csv`` are kept. Returns the tables and the French messages.
    """
    cache_dir = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    seeds_dir = Path(seeds_dir)
    geojson = Path(geojson) if geojson is not None else geojson_communes_path()
    # Fail early, before any download.
    existing = read_mapping(seeds_dir / f"{MAPPING_SEED}.csv")
    messages: list[str] = []
    if geojson.is_file():
        superficies = load_geojson_superficies(geojson)
    else:
        communes_csv = seeds_dir / "communes.csv"
        kept = read_superficies(communes_csv)
        if kept is None:
            raise GeographyError(
                f"Contours IGN des communes introuvables ({geojson}) et aucune colonne superficie_km2 à "
                f"conserver dans {communes_csv} : placez le fichier GeoJSON ({GEOJSON_SOURCE}) en {geojson} "
                f"ou indiquez son chemin dans la variable d'environnement {GEOJSON_COMMUNES_ENV}."
            )
        superficies = kept
        messages.append(
            f"Contours IGN des communes introuvables ({geojson}) : les superficies existantes de "
            f"{communes_csv} sont conservées. Définissez {GEOJSON_COMMUNES_ENV} pour les recalculer."
        )

    millesimes = []
    for annee, version in sorted(PACKAGE_VERSIONS.items()):
        was_cached = is_cached(cache_dir, version)
        data_dir = ensure_package(cache_dir, version)
        origin = "cache" if was_cached else "téléchargé avec npm"
        messages.append(f"COG {annee} : {PACKAGE}@{version} ({origin}, {cache_dir / version}).")
        millesimes.append(load_millesime(data_dir, annee, version))

    build = build_tables(millesimes, existing, superficies=superficies)
    write_seeds(seeds_dir, build)
    written = [f"{name}.csv : {len(build.tables[name])} lignes" for name in SEED_COLUMNS]
    build.messages = messages + build.messages + [f"Écrit dans {seeds_dir} : " + " ; ".join(written) + "."]
    return build


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m observatoire.geography",
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
    except GeographyError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    for message in build.messages:
        print(message)
    print(f"Terminé en {time.monotonic() - started:.1f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
