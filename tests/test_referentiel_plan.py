"""The plan's referential seeds (seeds/plan) against the plan itself: every fiche action of the table of §2 of the
reading notes (shared/reference/plan_body.md, « Fiche | Title | VII. Indicateurs d'évaluation (verbatim) | Data
source »), every indicator it quotes, and the allowed values of the referential's columns.

The table is parsed here, independently of how the seeds were written: a fiche's cell quotes its indicators as
"…" / "…", followed by the plan lines they come from, e.g. (L710-713)."""

from __future__ import annotations

import csv
import re

import pytest

from observatoire.settings import PROJECT_DIR, SEEDS_DIR

PLAN_BODY = PROJECT_DIR.parent / "shared" / "reference" / "plan_body.md"
PLAN_SEEDS = SEEDS_DIR / "plan"

UNIT_OF_NATURE = {"nombre": "nombre", "part": "%", "montant": "euros", "delai": "jours", "jalon": "date",
                  "qualitatif": "note de 1 à 5"}
LEVELS = {"departement", "territoire", "arrondissement"}
PERIODICITIES = {"trimestrielle", "annuelle", "ponctuelle"}
MODES = {"calcule", "collecte"}
STATUSES = {"avec_indicateurs", "sans_texte", "gouvernance"}
CONTEXT_SUFFIX = "(contexte)"

# Fiche 4-3: the seed splits the plan's first indicator (« Nombre de dossiers déposés sur le volet EET du FSL mais
# aussi sur ASTRE et le Fonds de travaux du FSL ») in two rows, the EET part computed from the FSL marts and the
# ASTRE / Fonds de travaux part collected from the Département: one row more than quoted wordings.
SPLIT_WORDINGS = {
    "4-3": {
        "Nombre de dossiers déposés sur le volet EET du FSL mais aussi sur ASTRE et le Fonds de travaux du FSL": [
            "Nombre de dossiers déposés sur le volet EET du FSL",
            "Nombre de dossiers déposés sur ASTRE et le Fonds de travaux du FSL",
        ],
    },
}
EXTRA_ROWS = {fiche: sum(len(parts) - 1 for parts in splits.values()) for fiche, splits in SPLIT_WORDINGS.items()}

# The computed indicators the marts feed (models/marts/plan/indicateurs_plan.sql): code -> (numerateur,
# denominateur, facteur). They must not change with the referential.
COMPUTED = {
    "cfp_demandes": ("nb_cfp_demandes", "", "1"),
    "cfp_accordes": ("nb_cfp_accordes", "", "1"),
    "cfp_executes": ("nb_cfp_executes", "", "1"),
    "part_assignes_dette_regularisee": ("nb_assignations_dette_regularisee", "nb_assignations", "100"),
    "jeunes_loges_parc_public": ("nb_attributions_moins_25_ans", "", "1"),
    "jeunes_demandeurs": ("nb_demandes_en_cours_moins_25_ans", "", "1"),
    "victimes_relogees": ("nb_attributions_violences", "", "1"),
    "victimes_demandeuses": ("nb_demandes_en_cours_violences", "", "1"),
    "dossiers_fsl_eet": ("nb_dossiers_energie+nb_dossiers_eau+nb_dossiers_telephone", "", "1"),
    "aides_fsl_energie": ("nb_aides_energie", "", "1"),
    # Fiche 6-3: computed from the follow-up itself (marts.suivi_completude), no longer collected.
    "completude_outil": ("nb_elements_renseignes", "nb_elements_dus", "100"),
}
# Collected before the full referential (the former seed saisie_cotech referred to them): their codes stay.
EARLIER_COLLECTED = {"jeunes_sollicitant_siao", "jeunes_accompagnes", "victimes_accompagnees",
                     "sollicitations_ecoute_caf", "dossiers_astre_fonds_travaux", "menages_dette_energeticien",
                     "professionnels_sensibilises_energie", "menages_sensibilises_energie", "outil_etabli",
                     "completude_outil"}


def normalise(text: str) -> str:
    """Whitespace collapsed, typographic apostrophes made straight (the plan mixes both, the notes use straight
    ones), list punctuation at the end dropped."""
    text = re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip()
    return re.sub(r"\s*[;.]$", "", text)


def read_seed(name: str) -> list[dict[str, str]]:
    with (PLAN_SEEDS / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def plan_table() -> dict[str, dict]:
    """Fiche -> {"wordings": quoted indicators, "lines": (first, last) plan lines of the indicators or None}."""
    if not PLAN_BODY.is_file():
        pytest.skip(f"{PLAN_BODY} absent : notes de lecture du plan non disponibles")
    text = PLAN_BODY.read_text(encoding="utf-8")
    section = text[text.index("\n## 2."):]
    section = section[:section.index("\n## ", 1)]
    fiches: dict[str, dict] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        match = re.match(r"(\d-\d)\b", cells[0]) if line.startswith("|") and len(cells) >= 4 else None
        if not match:
            continue
        indicators = cells[2]
        lines = re.search(r"\(L(\d+)(?:-(\d+))?\)\s*$", indicators)
        fiches[match.group(1)] = {
            "wordings": [normalise(w) for w in re.findall(r'"([^"]+)"', indicators)],
            "lines": (int(lines.group(1)), int(lines.group(2) or lines.group(1))) if lines else None,
        }
    return fiches


@pytest.fixture(scope="module")
def table() -> dict[str, dict]:
    fiches = plan_table()
    assert len(fiches) >= 20, f"tableau du §2 mal lu : {sorted(fiches)}"
    return fiches


@pytest.fixture(scope="module")
def indicators() -> list[dict[str, str]]:
    return read_seed("indicateurs_plan_referentiel")


@pytest.fixture(scope="module")
def fiches() -> dict[str, dict[str, str]]:
    return {row["fiche"]: row for row in read_seed("fiches_actions")}


@pytest.fixture(scope="module")
def pilots() -> set[str]:
    return {row["code_pilote"] for row in read_seed("pilotes_plan")}


def fiche_indicators(indicators, fiche):
    return [row for row in indicators if row["fiche"] == fiche and not row["libelle_indicateur"].strip()
            .endswith(CONTEXT_SUFFIX)]


def test_every_fiche_of_the_plan_is_in_fiches_actions(table, fiches, indicators):
    missing = sorted(set(table) - set(fiches))
    assert not missing, f"fiches du plan absentes de fiches_actions.csv : {missing}"
    unknown = sorted({row["fiche"] for row in indicators} - set(fiches))
    assert not unknown, f"indicateurs rattachés à des fiches inconnues : {unknown}"


def test_fiche_status_follows_the_plan(table, fiches):
    for fiche, entry in table.items():
        status = fiches[fiche]["statut_referentiel"]
        assert status in STATUSES, f"fiche {fiche} : statut_referentiel inconnu « {status} »"
        if entry["wordings"]:
            assert status == "avec_indicateurs", f"fiche {fiche} : le plan lui donne des indicateurs ({status})"
        else:
            assert status != "avec_indicateurs", f"fiche {fiche} : sans indicateurs dans le plan"
            assert fiches[fiche]["remarque"].strip(), f"fiche {fiche} : la remarque doit dire pourquoi"
    assert fiches["2-2"]["statut_referentiel"] == "sans_texte", "la fiche 2-2 n'a pas de texte dans le plan"
    assert fiches["6-1"]["statut_referentiel"] == "gouvernance", "la fiche 6-1 renvoie au chapitre gouvernance"


def test_each_fiche_has_as_many_indicators_as_the_plan_quotes(table, indicators):
    for fiche, entry in table.items():
        expected = len(entry["wordings"]) + EXTRA_ROWS.get(fiche, 0)
        got = len(fiche_indicators(indicators, fiche))
        assert got == expected, (f"fiche {fiche} : {got} indicateur(s) dans le référentiel, {expected} attendu(s) "
                                 f"d'après le plan")


def test_each_quoted_wording_is_a_libelle_of_its_fiche(table, indicators):
    for fiche, entry in table.items():
        libelles = {normalise(row["libelle_indicateur"]) for row in fiche_indicators(indicators, fiche)}
        splits = {normalise(k): v for k, v in SPLIT_WORDINGS.get(fiche, {}).items()}
        for wording in entry["wordings"]:
            if wording in splits:
                for part in splits[wording]:
                    assert normalise(part) in libelles, f"fiche {fiche} : « {part} » absent des libellés"
            elif wording.endswith("…"):  # the notes shorten a long wording: the libellé gives it in full
                prefix = wording.rstrip("…").strip()
                assert any(lib.startswith(prefix) and lib != prefix for lib in libelles), (
                    f"fiche {fiche} : aucun libellé complet ne commence par « {prefix} »")
            else:
                assert wording in libelles, f"fiche {fiche} : « {wording} » absent des libellés {sorted(libelles)}"


def test_indicators_lie_on_their_fiche_lines(table, indicators, fiches):
    for row in indicators:
        fiche, line = row["fiche"], int(row["ligne_plan"])
        start, end = int(fiches[fiche]["ligne_debut"]), int(fiches[fiche]["ligne_fin"])
        assert start <= line <= end, f"{row['code_indicateur']} : ligne {line} hors de la fiche {fiche}"
        cited = table.get(fiche, {}).get("lines")
        if cited:
            assert cited[0] <= line <= cited[1], (f"{row['code_indicateur']} : ligne {line} hors des lignes "
                                                  f"L{cited[0]}-{cited[1]} citées pour la fiche {fiche}")


def test_indicator_columns_take_allowed_values(indicators):
    codes = [row["code_indicateur"] for row in indicators]
    assert len(codes) == len(set(codes)), "codes d'indicateur en double"
    for row in indicators:
        code = row["code_indicateur"]
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code), f"{code} : code hors snake_case ASCII"
        assert row["libelle_indicateur"].strip() == row["libelle_indicateur"] != "", f"{code} : libellé à revoir"
        assert row["nature"] in UNIT_OF_NATURE, f"{code} : nature inconnue « {row['nature']} »"
        assert row["unite"] == UNIT_OF_NATURE[row["nature"]], (
            f"{code} : unité « {row['unite']} » incohérente avec la nature « {row['nature']} »")
        assert row["niveau_suivi"] in LEVELS, f"{code} : niveau_suivi inconnu « {row['niveau_suivi']} »"
        assert row["periodicite"] in PERIODICITIES, f"{code} : périodicité inconnue « {row['periodicite']} »"
        assert row["mode"] in MODES, f"{code} : mode inconnu « {row['mode']} »"
        assert row["source"].strip(), f"{code} : source manquante"
        if row["nature"] == "jalon":
            assert row["periodicite"] == "ponctuelle", f"{code} : un jalon est ponctuel"


def test_computed_indicators_are_unchanged_and_alone(indicators):
    by_code = {row["code_indicateur"]: row for row in indicators}
    for code, (numerator, denominator, factor) in COMPUTED.items():
        assert code in by_code, f"indicateur calculé {code} disparu du référentiel"
        row = by_code[code]
        assert row["mode"] == "calcule", f"{code} : doit rester calculé"
        assert (row["numerateur"], row["denominateur"], float(row["facteur"])) == (
            numerator, denominator, float(factor)), f"{code} : numérateur, dénominateur ou facteur modifié"
    computed = {row["code_indicateur"] for row in indicators if row["mode"] == "calcule"}
    assert computed == set(COMPUTED), f"indicateurs calculés inattendus : {sorted(computed - set(COMPUTED))}"
    missing = sorted(EARLIER_COLLECTED - set(by_code))
    assert not missing, f"codes existants disparus : {missing}"


def test_collected_indicators_have_a_known_pilot(indicators, pilots):
    for row in indicators:
        code, pilot = row["code_indicateur"], row["pilote_collecte"]
        if row["mode"] == "collecte":
            assert pilot in pilots, f"{code} : pilote de collecte « {pilot} » absent de pilotes_plan.csv"
        else:
            assert pilot == "", f"{code} : un indicateur calculé n'a pas de pilote de collecte"
            assert row["numerateur"], f"{code} : un indicateur calculé a un numérateur"


def test_fiche_pilots_are_known(fiches, pilots):
    for fiche, row in fiches.items():
        unknown = sorted(set(row["codes_pilotes"].split()) - pilots)
        assert not unknown, f"fiche {fiche} : codes pilotes absents de pilotes_plan.csv : {unknown}"
        if row["statut_referentiel"] == "avec_indicateurs":
            assert row["codes_pilotes"].split(), f"fiche {fiche} : pilotes manquants"
            assert row["pilotes"].strip(), f"fiche {fiche} : pilotes du plan manquants"
        assert 1 <= int(row["axe"]) <= 6 and fiche.startswith(row["axe"] + "-"), f"fiche {fiche} : axe erroné"
        assert int(row["ligne_debut"]) <= int(row["ligne_fin"]), f"fiche {fiche} : lignes inversées"
