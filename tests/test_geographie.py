"""Geography seeds (seeds/geographie): annexe-4 counts, merger table, and the regeneration command.

Everything here reads committed files or small fake package files: no network. The one test that rebuilds
the real seeds uses the npm cache filled by `python -m observatoire.geography` and skips without it.
"""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from observatoire import geography
from observatoire.geography import (
    EPCI_TERRITOIRE,
    GEOJSON_COMMUNES_ENV,
    PACKAGE,
    PACKAGE_VERSIONS,
    SEED_COLUMNS,
    WGS84_A,
    WGS84_E2,
    GeographyError,
    Millesime,
    Superficies,
    build_tables,
    default_cache_dir,
    geojson_communes_path,
    geometry_area_m2,
    is_cached,
    load_geojson_superficies,
    read_mapping,
    regenerate,
    ring_area_m2,
)
from observatoire.settings import GEOGRAPHY_DIR

# IGN Admin Express COG 2018 boundaries (shared reference data, outside the repository): the same lookup as
# the regeneration, $OBSERVATOIRE_GEOJSON_COMMUNES or /work/shared/reference/geo/communes-62-pas-de-calais.geojson.
GEOJSON_COMMUNES = geojson_communes_path()
NO_GEOJSON = f"contours IGN 2018 absents : {GEOJSON_COMMUNES}"


def read_seed(name: str, seeds_dir: Path = GEOGRAPHY_DIR) -> list[dict[str, str]]:
    with (seeds_dir / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def seeds() -> dict[str, list[dict[str, str]]]:
    return {name: read_seed(name) for name in SEED_COLUMNS}


@pytest.fixture(scope="module")
def territoire_of(seeds) -> dict[str, str]:
    return {row["code_commune"]: row["code_territoire"] for row in seeds["commune_territoire"]}


# --------------------------------------------------------------------------------------------------------
# Committed seeds


@pytest.mark.parametrize("name", list(SEED_COLUMNS))
def test_seed_files_are_deterministic_csv(name):
    raw = (GEOGRAPHY_DIR / f"{name}.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf"), "pas de BOM"
    assert b"\r" not in raw, "fins de ligne LF"
    text = raw.decode("utf-8")
    rows = list(csv.reader(text.splitlines()))
    assert tuple(rows[0]) == SEED_COLUMNS[name]
    keys = [row[0] for row in rows[1:]]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_totals(seeds):
    assert len(seeds["communes"]) == 887
    assert len(seeds["epci"]) == 20
    assert len(seeds["arrondissements"]) == 7
    assert [t["code_territoire"] for t in seeds["territoires"]] == [
        "ARR", "ART", "AUD", "BOU", "CAL", "LEN", "MON", "TER",
    ]  # fmt: skip


def test_codes_keep_leading_digits(seeds):
    assert all(len(c["code_commune"]) == 5 and c["code_commune"].startswith("62") for c in seeds["communes"])
    assert all(len(e["code_epci"]) == 9 for e in seeds["epci"])
    assert {a["code_arrondissement"] for a in seeds["arrondissements"]} == {f"62{i}" for i in range(1, 8)}


# Annexe 4 (portraits de territoire): communes and EPCI per territory. Montreuillois and Ternois are the
# 2026 COG figures: the annex says 164 (COG 2021, before Hesdin-la-Forêt) and 103 (with the Somme commune).
TERRITORY_COUNTS = {
    "ARR": (255, 4),
    "ART": (104, 2),
    "AUD": (89, 2),
    "BOU": (74, 3),
    "CAL": (52, 3),
    "LEN": (50, 2),
    "MON": (161, 3),
    "TER": (102, 1),
}


@pytest.mark.parametrize(("territoire", "expected"), TERRITORY_COUNTS.items())
def test_communes_and_epci_per_territory(seeds, territoire_of, territoire, expected):
    communes = [c for c in seeds["communes"] if territoire_of[c["code_commune"]] == territoire]
    epci = {c["code_epci"] for c in communes}
    assert (len(communes), len(epci)) == expected


def test_every_commune_in_exactly_one_territory(seeds, territoire_of):
    codes = [row["code_commune"] for row in seeds["commune_territoire"]]
    assert len(codes) == len(set(codes))
    assert set(codes) == {c["code_commune"] for c in seeds["communes"]}
    assert set(territoire_of.values()) <= {t["code_territoire"] for t in seeds["territoires"]}


def test_each_epci_in_one_territory_by_default(seeds, territoire_of):
    territories = defaultdict(set)
    for commune in seeds["communes"]:
        territories[commune["code_epci"]].add(territoire_of[commune["code_commune"]])
    assert all(len(t) == 1 for t in territories.values()), "un EPCI partagé : commune_territoire modifié ?"
    assert territories["200044030"] == {"MON"}  # CC des 7 Vallées entière dans le Montreuillois


def test_default_territories_follow_arrondissements(seeds):
    """Cross-check of the EPCI rule: each default territory lies in one arrondissement (Arras holds two)."""
    arrondissements = defaultdict(set)
    for commune in seeds["communes"]:
        arrondissements[EPCI_TERRITOIRE[commune["code_epci"]]].add(commune["code_arrondissement"])
    assert dict(arrondissements) == {
        "ARR": {"621"}, "TER": {"621"}, "ART": {"622"}, "BOU": {"623"},
        "MON": {"624"}, "AUD": {"625"}, "CAL": {"626"}, "LEN": {"627"},
    }  # fmt: skip


def test_epci_counts_keep_only_pas_de_calais(seeds):
    epci = {e["code_epci"]: e for e in seeds["epci"]}
    per_epci = Counter(c["code_epci"] for c in seeds["communes"])
    assert set(epci) == set(per_epci)
    for code, row in epci.items():
        assert int(row["nb_communes_62"]) == per_epci[code]
    assert (epci["245900758"]["nb_communes_62"], epci["245900758"]["nb_communes_total"]) == ("4", "8")
    assert (epci["200069672"]["nb_communes_62"], epci["200069672"]["nb_communes_total"]) == ("102", "103")
    assert {e["type_epci"] for e in seeds["epci"]} == {"CA", "CC", "CU"}


def test_population(seeds):
    total = sum(int(c["population"]) for c in seeds["communes"])
    assert 1_400_000 <= total <= 1_500_000
    assert sum(int(e["population_62"]) for e in seeds["epci"]) == total
    assert all(int(c["population"]) > 0 for c in seeds["communes"])


def test_arrondissement_chefs_lieux_are_communes(seeds):
    communes = {c["code_commune"]: c for c in seeds["communes"]}
    for arrondissement in seeds["arrondissements"]:
        chef_lieu = communes[arrondissement["code_commune_chef_lieu"]]
        assert chef_lieu["code_arrondissement"] == arrondissement["code_arrondissement"]


def test_correspondance_identity_for_every_current_commune(seeds):
    current = {c["code_commune"]: c["nom_commune"] for c in seeds["communes"]}
    rows = {r["code_commune_origine"]: r for r in seeds["correspondance_communes"]}
    for code, nom in current.items():
        assert rows[code] == {
            "code_commune_origine": code,
            "nom_commune_origine": nom,
            "code_commune_actuel": code,
            "motif": "identique",
        }
    merged = {code: r for code, r in rows.items() if code not in current}
    assert {r["motif"] for r in merged.values()} == {"fusion"}
    assert all(r["code_commune_actuel"] in current for r in rows.values())


def test_hesdin_la_foret_and_other_mergers(seeds):
    rows = {r["code_commune_origine"]: (r["code_commune_actuel"], r["motif"]) for r in seeds["correspondance_communes"]}
    communes = {c["code_commune"]: c["nom_commune"] for c in seeds["communes"]}
    assert communes["62447"] == "Hesdin-la-Forêt"
    assert rows["62447"] == ("62447", "identique")
    for old in ("62461", "62549", "62743"):  # Huby-Saint-Leu, Marconne, Sainte-Austreberthe (2025)
        assert rows[old] == ("62447", "fusion")
    assert rows["62210"] == ("62154", "fusion")  # Canteleux -> Bonnières (2019, no commune déléguée)
    assert rows["62482"] == ("62178", "fusion")  # Labuissière -> Bruay-la-Buissière


@pytest.mark.skipif(not GEOJSON_COMMUNES.is_file(), reason=NO_GEOJSON)
def test_every_2018_geojson_code_maps_to_a_current_commune(seeds):
    features = json.loads(GEOJSON_COMMUNES.read_text(encoding="utf-8"))["features"]
    codes = {f["properties"]["code"] for f in features}
    assert len(codes) == 891  # COG 2018
    mapping = {r["code_commune_origine"]: r["code_commune_actuel"] for r in seeds["correspondance_communes"]}
    current = {c["code_commune"] for c in seeds["communes"]}
    unmapped = sorted(codes - set(mapping))
    assert not unmapped, f"codes 2018 sans correspondance : {unmapped}"
    assert {mapping[code] for code in codes} == current  # and every current commune has a 2018 polygon


# Areas (superficie_km2). Official figure: 6 671 km² for the Département (INSEE); the IGN 2018 boundaries are
# simplified, so communes can be a few % off (Arras: 11.63 km² official).
DEPARTEMENT_KM2 = 6671


def test_superficie_written_with_two_decimals():
    with (GEOGRAPHY_DIR / "communes.csv").open(encoding="utf-8", newline="") as handle:
        values = [row["superficie_km2"] for row in csv.DictReader(handle)]
    assert all(re.fullmatch(r"\d+\.\d{2}", v) for v in values), "superficie_km2 : nombre à 2 décimales"


def test_superficie_totals_and_density(seeds):
    areas = {c["code_commune"]: float(c["superficie_km2"]) for c in seeds["communes"]}
    assert all(area > 0 for area in areas.values())
    total = sum(areas.values())
    assert abs(total - DEPARTEMENT_KM2) <= 0.02 * DEPARTEMENT_KM2, total
    assert abs(areas["62041"] - 11.6) <= 0.1 * 11.6, areas["62041"]  # Arras
    population = sum(int(c["population"]) for c in seeds["communes"])
    assert population == 1_457_905
    assert 210 <= population / total <= 225  # annexe 4: about 220 hab/km²


def test_superficie_of_merged_communes_is_summed(seeds):
    """Hesdin-la-Forêt (2025) holds four 2018 polygons: it is larger than any of its parts alone."""
    areas = {c["code_commune"]: float(c["superficie_km2"]) for c in seeds["communes"]}
    assert areas["62447"] > 15  # Hesdin + Huby-Saint-Leu + Marconne + Sainte-Austreberthe, about 21.5 km²


@pytest.mark.skipif(not GEOJSON_COMMUNES.is_file(), reason=NO_GEOJSON)
def test_committed_superficie_matches_the_geojson(seeds):
    computed = load_geojson_superficies(GEOJSON_COMMUNES).km2
    mapping = {r["code_commune_origine"]: r["code_commune_actuel"] for r in seeds["correspondance_communes"]}
    totals: dict[str, float] = defaultdict(float)
    for code, area in computed.items():
        totals[mapping[code]] += area
    for commune in seeds["communes"]:
        assert float(commune["superficie_km2"]) == pytest.approx(totals[commune["code_commune"]], abs=0.005)


def _ellipsoid_cell_m2(lon1: float, lat1: float, lon2: float, lat2: float, steps: int = 200) -> float:
    """Exact WGS 84 area of a longitude/latitude cell, by Simpson integration of M N cos(phi)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = (p2 - p1) / steps

    def f(phi: float) -> float:
        return WGS84_A**2 * (1 - WGS84_E2) * math.cos(phi) / (1 - WGS84_E2 * math.sin(phi) ** 2) ** 2

    total = f(p1) + f(p2) + sum((4 if i % 2 else 2) * f(p1 + i * h) for i in range(1, steps))
    return math.radians(lon2 - lon1) * total * h / 3


def _square(lon: float, lat: float, size: float, clockwise: bool = False) -> list[list[float]]:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return ring[::-1] if clockwise else ring


def test_ring_area_matches_the_wgs84_ellipsoid():
    # Small cells: great-circle and parallel edges coincide to better than 1e-6.
    for lat in (0.0, 45.0, 50.5, 51.0):
        expected = _ellipsoid_cell_m2(2.0, lat, 2.01, lat + 0.01)
        assert ring_area_m2(_square(2.0, lat, 0.01)) == pytest.approx(expected, rel=1e-6)
    # 0.1° x 0.1° at the latitude of Arras: about 79 km².
    assert ring_area_m2(_square(2.7, 50.25, 0.1)) / 1e6 == pytest.approx(79.2, abs=0.1)


def test_area_ignores_orientation_and_subtracts_holes():
    outer = _square(2.0, 50.0, 0.1)
    hole = _square(2.02, 50.02, 0.02, clockwise=True)
    assert ring_area_m2(outer) == pytest.approx(ring_area_m2(outer[::-1]))
    assert ring_area_m2(outer[:-1]) == pytest.approx(ring_area_m2(outer))  # unclosed ring
    polygon = {"type": "Polygon", "coordinates": [outer, hole]}
    assert geometry_area_m2(polygon) == pytest.approx(ring_area_m2(outer) - ring_area_m2(hole))
    island = _square(2.5, 50.0, 0.05)
    multi = {"type": "MultiPolygon", "coordinates": [[outer, hole], [island]]}
    assert geometry_area_m2(multi) == pytest.approx(geometry_area_m2(polygon) + ring_area_m2(island))
    with pytest.raises(ValueError, match="Point"):
        geometry_area_m2({"type": "Point", "coordinates": [2.0, 50.0]})


# --------------------------------------------------------------------------------------------------------
# The regeneration command


def test_regenerate_from_npm_cache_reproduces_committed_seeds(tmp_path):
    cache_dir = default_cache_dir()
    missing = [v for v in PACKAGE_VERSIONS.values() if not is_cached(cache_dir, v)]
    if missing:
        pytest.skip(
            f"cache npm absent pour {PACKAGE} {', '.join(missing)} dans {cache_dir} : "
            "lancer `python -m observatoire.geography` une fois (réseau npm requis)"
        )
    for name in ("commune_territoire", "communes"):  # communes.csv: areas kept if the geojson is missing
        shutil.copy(GEOGRAPHY_DIR / f"{name}.csv", tmp_path / f"{name}.csv")
    build = regenerate(tmp_path, cache_dir)
    assert not any("téléchargé" in m for m in build.messages)
    for name in SEED_COLUMNS:
        assert (tmp_path / f"{name}.csv").read_bytes() == (GEOGRAPHY_DIR / f"{name}.csv").read_bytes(), name

    # Without the geojson, the areas of the existing communes.csv are kept as they are.
    build = regenerate(tmp_path, cache_dir, geojson=tmp_path / "absent.geojson")
    assert any("introuvables" in m and "conservées" in m for m in build.messages)
    assert (tmp_path / "communes.csv").read_bytes() == (GEOGRAPHY_DIR / "communes.csv").read_bytes()


def _commune(code: str, nom: str, population: int | None = 100, type_: str = "commune-actuelle", **extra) -> dict:
    entry = {"code": code, "nom": nom, "type": type_, "departement": "62", "arrondissement": "621", **extra}
    if population is not None:
        entry["population"] = population
    return entry


def _epci(code: str, nom: str, membres: list[str]) -> dict:
    return {"code": code, "nom": nom, "type": "CC", "membres": [{"code": m} for m in membres]}


ARRONDISSEMENTS = [{"code": "621", "nom": "Arras", "chefLieu": "62001", "departement": "62"}]

# Fake package data: before, 62001-62003 in the CC des 7 Vallées (default MON) plus Bonnières (needed by the
# explicit Canteleux merger); after, 62003 is a commune déléguée of 62002, and 62004 is a new commune in the
# CC du Ternois (default TER).
OLD_COMMUNES = [
    _commune("62001", "Aval"),
    _commune("62002", "Amont"),
    _commune("62003", "Milieu"),
    _commune("62154", "Bonnières"),
    _commune("80810", "Hors département", departement="80"),
]
NEW_COMMUNES = [
    _commune("62001", "Aval"),
    _commune("62002", "Amont-la-Neuve", population=250),
    _commune("62002", "Amont", population=None, type_="commune-deleguee", chefLieu="62002"),
    _commune("62003", "Milieu", population=None, type_="commune-deleguee", chefLieu="62002"),
    _commune("62004", "Nouvelle"),
    _commune("62154", "Bonnières", anciensCodes=["62210"]),
]
OLD_EPCI = [_epci("200044030", "CC des 7 Vallées", ["62001", "62002", "62003", "62154"])]
NEW_EPCI = [
    _epci("200044030", "CC des 7 Vallées", ["62001", "62002", "62154"]),
    _epci("200069672", "CC du Ternois", ["62004", "80810"]),
]


# Fake areas by 2018 code: 62003 (Milieu) is summed into 62002, 62210 (Canteleux) into 62154.
FAKE_KM2 = {"62001": 1.0, "62002": 2.0, "62003": 0.504, "62004": 3.0, "62154": 4.0, "62210": 1.25}
FAKE_SUPERFICIES = Superficies(km2=FAKE_KM2, origine="test", calculees=True)


def _millesimes() -> list[Millesime]:
    return [
        Millesime(2025, "5.3.0", OLD_COMMUNES, OLD_EPCI, ARRONDISSEMENTS),
        Millesime(2026, "6.0.0", NEW_COMMUNES, NEW_EPCI, ARRONDISSEMENTS),
    ]


def test_build_tables_on_fake_package():
    build = build_tables(_millesimes(), superficies=FAKE_SUPERFICIES)
    tables = build.tables
    assert tables["communes"] == [
        ("62001", "Aval", 100, "621", "200044030", 1.0),
        ("62002", "Amont-la-Neuve", 250, "621", "200044030", 2.5),
        ("62004", "Nouvelle", 100, "621", "200069672", 3.0),
        ("62154", "Bonnières", 100, "621", "200044030", 5.25),
    ]
    assert tables["epci"] == [
        ("200044030", "CC des 7 Vallées", "CC", 3, 3, 450),
        ("200069672", "CC du Ternois", "CC", 1, 2, 100),
    ]
    assert tables["correspondance_communes"] == [
        ("62001", "Aval", "62001", "identique"),
        ("62002", "Amont-la-Neuve", "62002", "identique"),
        ("62003", "Milieu", "62002", "fusion"),
        ("62004", "Nouvelle", "62004", "identique"),
        ("62154", "Bonnières", "62154", "identique"),
        ("62210", "Canteleux", "62154", "fusion"),
    ]
    assert tables["commune_territoire"] == [
        ("62001", "MON"),
        ("62002", "MON"),
        ("62004", "TER"),
        ("62154", "MON"),
    ]


def _fake_cache(tmp_path: Path) -> Path:
    """A cache of every package version: OLD_* files before the current millésime, NEW_* files for it."""
    cache_dir = tmp_path / "cache"
    for annee, version in PACKAGE_VERSIONS.items():
        package_dir = cache_dir / version / "node_modules" / PACKAGE
        (package_dir / "data").mkdir(parents=True)
        (package_dir / "package.json").write_text(json.dumps({"name": PACKAGE, "version": version}))
        old = annee < max(PACKAGE_VERSIONS)
        for name, content in (
            ("communes", OLD_COMMUNES if old else NEW_COMMUNES),
            ("epci", OLD_EPCI if old else NEW_EPCI),
            ("arrondissements", ARRONDISSEMENTS),
        ):
            (package_dir / "data" / f"{name}.json").write_text(json.dumps(content), encoding="utf-8")
    return cache_dir


def _fake_geojson(path: Path) -> dict[str, float]:
    """One 0.01° square (about 0.8 km²) per 2018 code of the fake package, larger for later codes; areas."""
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [_square(2.0 + i / 10, 50.0, 0.01 * (1 + i / 4))]},
            "properties": {"code": code, "nom": code},
        }
        for i, code in enumerate(sorted(FAKE_KM2))
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return {f["properties"]["code"]: geometry_area_m2(f["geometry"]) / 1e6 for f in features}


def test_manual_edits_survive_regeneration(tmp_path, monkeypatch):
    """A full regenerate() over a fake npm cache: an edited territory is kept, merged communes are dropped."""
    cache_dir = _fake_cache(tmp_path)
    monkeypatch.setattr(geography.shutil, "which", lambda _: pytest.fail("npm ne doit pas être appelé"))
    areas = _fake_geojson(tmp_path / "communes.geojson")
    monkeypatch.setenv(GEOJSON_COMMUNES_ENV, str(tmp_path / "communes.geojson"))

    seeds_dir = tmp_path / "seeds"
    seeds_dir.mkdir()
    # 62001 moved by hand from MON (default) to TER, e.g. one of the 19 communes of the 7 Vallées.
    (seeds_dir / "commune_territoire.csv").write_text(
        "code_commune,code_territoire\n62001,TER\n62002,MON\n62003,MON\n62154,MON\n", encoding="utf-8"
    )
    build = regenerate(seeds_dir, cache_dir)

    assert read_mapping(seeds_dir / "commune_territoire.csv") == [
        ("62001", "TER"),  # manual edit kept
        ("62002", "MON"),
        ("62004", "TER"),  # new commune: default of its EPCI
        ("62154", "MON"),
    ]
    text = "\n".join(build.messages)
    assert "dont 1 différentes du territoire par défaut" in text
    assert "nouvelle commune 62004 (Nouvelle) ajoutée au territoire TER" in text
    assert "commune 62003 retirée (fusionnée dans 62002 (Amont-la-Neuve)" in text
    assert "superficie_km2 calculée depuis les contours IGN" in text
    communes = {row["code_commune"]: row["superficie_km2"] for row in read_seed("communes", seeds_dir)}
    assert list(communes) == ["62001", "62002", "62004", "62154"]
    assert communes["62002"] == f"{areas['62002'] + areas['62003']:.2f}"  # Milieu summed into Amont-la-Neuve
    assert communes["62154"] == f"{areas['62154'] + areas['62210']:.2f}"  # Canteleux summed into Bonnières

    # Running again changes nothing.
    before = {p.name: p.read_bytes() for p in seeds_dir.iterdir()}
    regenerate(seeds_dir, cache_dir)
    assert {p.name: p.read_bytes() for p in seeds_dir.iterdir()} == before


def test_superficie_kept_without_geojson(tmp_path, monkeypatch):
    """No geojson: the areas of the existing communes.csv (previous COG) are kept, merged ones summed."""
    cache_dir = _fake_cache(tmp_path)
    monkeypatch.setenv(GEOJSON_COMMUNES_ENV, str(tmp_path / "absent.geojson"))
    seeds_dir = tmp_path / "seeds"
    seeds_dir.mkdir()
    header = ",".join(SEED_COLUMNS["communes"])
    (seeds_dir / "communes.csv").write_text(
        f"{header}\n62001,Aval,100,621,200044030,1.00\n62002,Amont,100,621,200044030,2.00\n"
        "62003,Milieu,100,621,200044030,0.50\n62004,Nouvelle,100,621,200069672,3.10\n"
        "62154,Bonnières,100,621,200044030,4.00\n",
        encoding="utf-8",
    )
    build = regenerate(seeds_dir, cache_dir)
    communes = {row["code_commune"]: row["superficie_km2"] for row in read_seed("communes", seeds_dir)}
    assert communes == {"62001": "1.00", "62002": "2.50", "62004": "3.10", "62154": "4.00"}
    text = "\n".join(build.messages)
    assert f"Contours IGN des communes introuvables ({tmp_path / 'absent.geojson'})" in text
    assert "les superficies existantes" in text and "sont conservées" in text
    assert "1 communes fusionnées depuis sommées" in text


@pytest.mark.parametrize(
    ("communes_csv", "expected"),
    [
        (None, "aucune colonne superficie_km2 à conserver"),
        ("code_commune,nom_commune,population,code_arrondissement,code_epci\n", "aucune colonne superficie_km2"),
        (
            ",".join(SEED_COLUMNS["communes"]) + "\n62001,Aval,100,621,200044030,1.00\n",
            r"3 communes sans superficie .* 62002 \(Amont-la-Neuve\), 62004 \(Nouvelle\), 62154",
        ),
        (
            ",".join(SEED_COLUMNS["communes"]) + "\n62001,Aval,100,621,200044030,\n",
            "ligne 2, colonne superficie_km2 : ''",
        ),
    ],
)
def test_superficie_missing_everywhere_is_an_error(tmp_path, monkeypatch, communes_csv, expected):
    """No geojson and nothing to keep: stop, in French, before writing anything."""
    cache_dir = _fake_cache(tmp_path)
    monkeypatch.setenv(GEOJSON_COMMUNES_ENV, str(tmp_path / "absent.geojson"))
    seeds_dir = tmp_path / "seeds"
    seeds_dir.mkdir()
    if communes_csv is not None:
        (seeds_dir / "communes.csv").write_text(communes_csv, encoding="utf-8")
    before = {p.name: p.read_bytes() for p in seeds_dir.iterdir()}
    with pytest.raises(GeographyError, match=expected):
        regenerate(seeds_dir, cache_dir)
    assert {p.name: p.read_bytes() for p in seeds_dir.iterdir()} == before


def test_geojson_code_without_correspondance_is_an_error():
    superficies = Superficies(km2={**FAKE_KM2, "62777": 1.0}, origine="test", calculees=True)
    with pytest.raises(GeographyError, match="1 codes communes sans correspondance .*62777"):
        build_tables(_millesimes(), superficies=superficies)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("code_commune,territoire\n", "ligne 1 : en-tête"),
        ("code_commune,code_territoire\n62001,MON\n62002,XYZ\n", "ligne 3, colonne code_territoire : 'XYZ'"),
        ("code_commune,code_territoire\n62001,MON\n62001,TER\n", "ligne 3, colonne code_commune"),
        ("code_commune,code_territoire\n2001,MON\n", "ligne 2, colonne code_commune : '2001'"),
    ],
)
def test_bad_mapping_file_is_reported_in_french(tmp_path, content, expected):
    path = tmp_path / "commune_territoire.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(GeographyError, match=expected):
        read_mapping(path)


def test_unresolvable_code_is_an_error():
    orphan = _commune("62999", "Orpheline", population=None, type_="commune-deleguee", chefLieu="62888")
    millesimes = [Millesime(2026, "6.0.0", [*NEW_COMMUNES, orphan], NEW_EPCI, ARRONDISSEMENTS)]
    with pytest.raises(GeographyError, match="62999 .Orpheline. ne se rattache à aucune commune"):
        build_tables(millesimes, superficies=FAKE_SUPERFICIES)
