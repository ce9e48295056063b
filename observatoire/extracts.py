"""Specifications of the five sources' extract files: the one contract shared by the demo generator,
the ingestion, the staging models and the docs (docs/sources/*.md).

Each column is declared once with its French header (as in the producers' files), its warehouse name,
its kind and, for coded columns, the code-list seed (seeds/nomenclatures/<seed>.csv) that validates it.

Kinds:
- ``identifiant``: a case or demand number; replaced by HMAC-SHA256 at ingestion (never stored in clear).
- ``personnel``: a direct identifier (name, NIR, address, phone, e-mail); dropped at ingestion.
- ``naissance``: a birth date; turned into an age band at the extraction date, then dropped.
- ``texte``, ``code``, ``commune``, ``date`` (JJ/MM/AAAA), ``entier``, ``decimal`` (decimal comma),
  ``booleen`` (O/N), ``mesure`` (an open-data statistic: any decimals, or the publisher's secret marker): kept,
  as text in ``raw``, cast in ``staging``. What a valid value of each kind is, and
  its range, is defined once in observatoire/formats.py.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from observatoire.followup import layout as followup_layout
from observatoire.settings import SEEDS_DIR

KINDS = {"identifiant", "personnel", "naissance", "texte", "code", "commune", "date", "entier", "decimal", "booleen",
         "mesure"}


AGE_BAND_DESCRIPTION = "Tranche d'âge à la date d'extraction (code de la nomenclature tranches_age)"

# The columns the loader adds to every raw table, in their order: name, DuckDB type, description.
LINEAGE_COLUMNS = (
    ("_fichier", "VARCHAR", "Nom du fichier d'extraction d'origine"),
    ("_sha256", "VARCHAR", "Empreinte SHA-256 du fichier"),
    ("_ligne", "BIGINT", "Numéro de ligne dans le fichier (1 = en-tête)"),
    ("_date_extraction", "DATE", "Date d'extraction portée par le nom du fichier"),
    ("_charge_le", "TIMESTAMP", "Horodatage du chargement"),
)


def header_in(header: str, millesime: int) -> str:
    """A declared open-data header as the file of a millésime writes it: ``{aa}`` is its two last digits."""
    return header.replace("{aa}", f"{millesime % 100:02d}")


@dataclass(frozen=True)
class Column:
    header: str  # French header as written in the extract
    name: str  # warehouse column name (snake_case, French)
    kind: str
    required: bool = False  # a row without a value is quarantined
    codes: str | None = None  # code list for kind "code": a seed's name, or "<seed>.<column>" (see code_list)
    description: str = ""
    planned: bool = False  # a date that may lie after the extraction date (a meeting, a milestone to come)
    # Open data: the header was not checked against the publisher's documentation (said so in docs/sources).
    unverified: bool = False
    # Open data: a value the file's name carries ("millesime", "niveau"), or the earlier census millésime the
    # headers carry ("millesime_precedent"); not a column of the file.
    from_name: bool = False

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r} for {self.header!r}")
        if (self.kind == "code") != (self.codes is not None):
            raise ValueError(f"column {self.header!r}: kind 'code' and a code list go together")

    @property
    def stored(self) -> bool:
        """Whether the column (or its derived value) is stored in DuckDB."""
        return self.kind != "personnel"

    @property
    def stored_name(self) -> str:
        return "tranche_age" if self.kind == "naissance" else self.name

    def header_in(self, millesime: int) -> str:
        """The header as the file of a millésime writes it (``P{aa}_POP`` is ``P21_POP`` in 2021)."""
        return header_in(self.header, millesime)

    @property
    def stored_description(self) -> str:
        """What the stored column holds (a birth date is stored as its age band)."""
        return AGE_BAND_DESCRIPTION if self.kind == "naissance" else self.description


@dataclass(frozen=True)
class RowRule:
    """A business rule on one row, checked at ingestion (a failing row is quarantined).

    ``invalid`` is DuckDB SQL over the warehouse column names, true when the row breaks the rule; the macros
    formats.date_fr(x) and formats.decimal_fr(x) (observatoire/formats.py) read the producers' formats.
    ``column`` is the warehouse name reported.
    """

    column: str
    invalid: str
    reason: str


@dataclass(frozen=True)
class Publication:
    """How an open-data publisher distributes a source's files: what the team downloads each year, and the
    documentation its layout was checked against (docs/sources/<domaine>.md cites it).

    Headers may carry the millésime: ``{aa}`` in a column's header stands for its two last digits
    (``P{aa}_POP`` reads ``P21_POP`` in the 2021 file) and ``{pp}`` for an earlier census the same file gives for
    comparison (``P{pp}_POP``: ``P15_POP``), stored as ``millesime_precedent``."""

    publisher: str
    dataset: str  # the title of the publisher's page
    url: str
    documentation: str  # the documentation followed: dictionary of variables, file notes, millésime
    # On the lower-cased file name: the group ``millesime`` (4 digits), optionally ``niveau`` (the file's
    # geographic level) and ``jour`` (AAAAMMJJ, the extraction date of a stock file).
    file_pattern: str
    example: str  # an expected file name, ``{millesime}`` standing for the millésime
    lag_years: int  # millésime N is published during year N + lag_years
    release_month: int  # ... in that month (Insee: census bases end of June, Filosofi in July)
    separator: str = ";"
    # Rows outside the Pas-de-Calais (the files are national), as SQL over the warehouse names: ignored and
    # counted. ``_codes`` (liste, code) holds the code lists and the EPCI of the département (liste 'epci').
    keep: str = "true"
    keep_label: str = "hors du Pas-de-Calais"  # what the ignored rows are, in the loader's warning
    # A file whose first line is a comment, not a header: the names of its fields, in order.
    fields: tuple[str, ...] = ()
    # With ``fields``: what the comment line must read (a regex over the whole first line), so that a file whose
    # comment was removed, or replaced by a header, is refused rather than losing its first row.
    first_line: str = ""
    first_line_example: str = ""  # the comment line as the publisher writes it, for the refusal message
    ragged: bool = False  # lines of other sections have fewer fields (padded, then left out by ``keep``)
    # A file whose rows carry their reference period (an export whose name the team chooses): the warehouse
    # name of that column and what every row's value must read (a regex, ``{millesime}`` standing for the
    # millésime of the file name); a row of another period refuses the file.
    period_column: str = ""
    period_pattern: str = ""
    period_example: str = ""  # the expected value, ``{millesime}`` standing for the millésime, for the message
    notes: str = ""  # what the publisher's file notes say that the loader relies on


@dataclass(frozen=True)
class Source:
    name: str  # raw table name and dépôt folder
    label: str
    grain: str  # what one row is
    cadence: str  # "mensuelle", "trimestrielle", "biennale"
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # warehouse names that identify a row within one extract
    staging: str  # the dbt staging model built on raw.<name>
    short_label: str  # in the COTECH dossier's tables
    producer: str  # the producer's system, as the dossier's sources table names it
    formats: tuple[str, ...] = ("csv",)
    rules: tuple[RowRule, ...] = ()
    # "tableau": one table of rows (header, then one row per line); "classeur_suivi": the follow-up workbook of
    # fiche 6-3 (observatoire/followup/), several sheets flattened into rows, each with its sheet in "feuille".
    reader: str = "tableau"
    # For a workbook: column letter of each stored column, so that a quarantined value is named by its cell.
    cells: tuple[tuple[str, str], ...] = ()
    publication: Publication | None = None  # open data: how its publisher distributes it

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def domain(self) -> str:
        """The staging folder (models/staging/<domain>/) and docs page (docs/sources/<domain>.md) of the
        source: its staging model's prefix (stg_sne__demandes -> sne), shared by the two SNE extracts."""
        return self.staging.removeprefix("stg_").split("__")[0]

    @property
    def stored_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.stored)

    @property
    def file_columns(self) -> tuple[Column, ...]:
        """The columns a file carries (not those its name gives)."""
        return tuple(c for c in self.columns if not c.from_name)


@functools.cache
def code_list_file(spec: str) -> tuple[Path, str]:
    """Where a code list is: the seed ``<name>.csv`` anywhere under seeds/ and the column holding the codes
    (``<name>.<column>``, or the seed's first column)."""
    name, _, column = spec.partition(".")
    found = sorted(SEEDS_DIR.rglob(f"{name}.csv"))
    if len(found) != 1:
        raise ValueError(f"liste de codes « {spec} » : {len(found)} seeds {name}.csv sous seeds/ (une attendue)")
    with open(found[0], encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    if column and column not in header:
        raise ValueError(f"liste de codes « {spec} » : pas de colonne {column} dans {found[0].name}")
    return found[0], column or header[0]


@functools.cache
def code_list(spec: str) -> tuple[str, ...]:
    """The codes of a code list, in file order."""
    path, column = code_list_file(spec)
    with open(path, encoding="utf-8", newline="") as f:
        return tuple(row[column] for row in csv.DictReader(f) if row[column])


def _personal(*headers_names: tuple[str, str]) -> tuple[Column, ...]:
    return tuple(Column(h, n, "personnel", description="Identifiant direct, supprimé à l'ingestion")
                 for h, n in headers_names)


FSL_MAINTIEN_MAX = 3000  # € per household, règlement intérieur of the FSL (plan, l. 2386)

FSL = Source(
    name="fsl",
    short_label="FSL – aides et accompagnements",
    producer="Fonds de solidarité pour le logement (Département)",
    rules=(
        RowRule("date_decision", "formats.date_fr(date_decision) < formats.date_fr(date_depot)",
                "décision antérieure au dépôt de la demande"),
        RowRule("montant_accorde", f"volet = 'MAINTIEN' AND formats.decimal_fr(montant_accorde) > {FSL_MAINTIEN_MAX}",
                f"aide au maintien supérieure au plafond de {FSL_MAINTIEN_MAX} € du règlement intérieur"),
    ),
    label="Fonds de Solidarité Logement (FSL)",
    grain="une ligne par demande d'aide et sa décision",
    cadence="mensuelle",
    staging="stg_fsl__demandes_aide",
    key=("numero_dossier",),
    columns=(
        Column("N° dossier", "numero_dossier", "identifiant", required=True,
               description="Numéro de dossier FSL, pseudonymisé (HMAC-SHA256)"),
        *_personal(("Nom", "nom"), ("Prénom", "prenom"), ("N° allocataire CAF", "numero_allocataire"),
                   ("Adresse", "adresse"), ("Téléphone", "telephone")),
        Column("Date de naissance", "date_naissance", "naissance",
               description="Tranche d'âge du demandeur à la date d'extraction"),
        Column("Code commune", "code_commune", "commune", required=True,
               description="Code INSEE de la commune du logement"),
        Column("Volet", "volet", "code", required=True, codes="fsl_volets",
               description="Volet du FSL (accès, maintien, énergie, eau, téléphone, ASLL, AML, FAL)"),
        Column("Logement identifié", "logement_identifie", "booleen",
               description="Accès : logement identifié (LI, O) ou non identifié (LNI, N)"),
        Column("Type de parc", "type_parc", "code", codes="types_parc",
               description="Parc public (bailleurs sociaux) ou privé"),
        Column("Date de dépôt", "date_depot", "date", required=True, description="Date de dépôt du dossier"),
        Column("Date de décision", "date_decision", "date", description="Date de la décision de la commission"),
        Column("Décision", "decision", "code", codes="fsl_decisions", description="Décision sur la demande"),
        Column("Motif de refus", "motif_refus", "texte", description="Motif du refus, en clair"),
        Column("Forme de l'aide", "forme_aide", "code", codes="fsl_formes_aide",
               description="Subvention, prêt, garantie ou mesure d'accompagnement"),
        Column("Montant accordé", "montant_accorde", "decimal", description="Montant accordé en euros"),
        Column("Garantie de loyer", "garantie_loyer", "booleen",
               description="Une garantie d'impayés de loyer est accordée (O/N)"),
        Column("Nombre de personnes", "nb_personnes", "entier", description="Nombre de personnes du ménage"),
        Column("Procédure d'expulsion", "procedure_expulsion", "booleen",
               description="Le ménage fait l'objet d'une procédure d'expulsion (O/N)"),
    ),
)

DALO = Source(
    name="dalo",
    short_label="DALO – recours",
    producer="Commission de médiation DALO (ComDALO)",
    rules=(
        RowRule("date_decision", "formats.date_fr(date_decision) < formats.date_fr(date_depot)",
                "décision antérieure au dépôt du recours"),
        RowRule("date_relogement", "formats.date_fr(date_relogement) < formats.date_fr(date_decision)",
                "relogement antérieur à la décision"),
    ),
    label="Recours DALO et DAHO (COMDALO)",
    grain="une ligne par recours, dans son dernier état connu à la date d'extraction",
    cadence="trimestrielle",
    formats=("csv", "xlsx"),
    staging="stg_dalo__recours",
    key=("numero_recours",),
    columns=(
        Column("N° recours", "numero_recours", "identifiant", required=True,
               description="Numéro du recours COMDALO, pseudonymisé (HMAC-SHA256)"),
        *_personal(("Nom", "nom"), ("Prénom", "prenom"), ("Adresse", "adresse"), ("Téléphone", "telephone"),
                   ("Courriel", "courriel")),
        Column("Date de naissance", "date_naissance", "naissance",
               description="Tranche d'âge du requérant à la date d'extraction"),
        Column("Code commune", "code_commune", "commune", required=True,
               description="Code INSEE de la commune de résidence du requérant"),
        Column("Type de recours", "type_recours", "code", required=True, codes="dalo_types_recours",
               description="Recours logement (DALO) ou hébergement (DAHO)"),
        Column("Date de dépôt", "date_depot", "date", required=True, description="Date de dépôt du recours"),
        Column("Motif principal", "motif_principal", "code", codes="dalo_motifs",
               description="Motif principal invoqué (R441-14-1 CCH)"),
        Column("Motif secondaire", "motif_secondaire", "code", codes="dalo_motifs",
               description="Second motif invoqué, le cas échéant"),
        Column("Typologie demandée", "typologie_demandee", "code", codes="sne_typologies",
               description="Typologie de logement demandée"),
        Column("Taille du ménage", "taille_menage", "entier", description="Nombre de personnes du ménage"),
        Column("Date de décision", "date_decision", "date", description="Date de la décision de la commission"),
        Column("Décision", "decision", "code", codes="dalo_decisions",
               description="Décision de la commission de médiation"),
        Column("Suite donnée", "suite", "code", codes="dalo_suites",
               description="Suite donnée à une décision favorable"),
        Column("Date de relogement", "date_relogement", "date",
               description="Date du relogement ou de l'accueil en structure"),
    ),
)

SNE_DEMANDES = Source(
    name="sne_demandes",
    short_label="SNE – demandes de logement social",
    producer="Système national d'enregistrement (infocentre), demandes",
    rules=(
        RowRule("date_radiation", "formats.date_fr(date_radiation) < formats.date_fr(date_depot)",
                "radiation antérieure au dépôt"),
    ),
    label="SNE : demandes de logement social",
    grain="une ligne par demande créée, renouvelée ou radiée dans le mois, dans son état à la date d'extraction",
    cadence="mensuelle",
    formats=("csv", "xlsx"),
    staging="stg_sne__demandes",
    key=("numero_unique",),
    columns=(
        Column("Numéro unique", "numero_unique", "identifiant", required=True,
               description="Numéro unique de la demande, pseudonymisé (HMAC-SHA256)"),
        *_personal(("Nom", "nom"), ("Prénom", "prenom"), ("NIR", "nir"), ("Adresse", "adresse"),
                   ("Téléphone", "telephone"), ("Courriel", "courriel")),
        Column("Date de naissance", "date_naissance", "naissance",
               description="Tranche d'âge du demandeur à la date d'extraction"),
        Column("Code commune de résidence", "code_commune_residence", "commune",
               description="Code INSEE de la commune de résidence actuelle"),
        Column("Commune souhaitée 1", "code_commune_souhaitee", "commune", required=True,
               description="Code INSEE de la première commune souhaitée (rattachement territorial)"),
        Column("Typologies souhaitées", "typologies_souhaitees", "texte", required=True,
               description="Typologies souhaitées séparées par « / » (ex. T2/T3)"),
        Column("Date de dépôt initial", "date_depot", "date", required=True,
               description="Date du premier dépôt (conservée au renouvellement)"),
        Column("Date de dernier renouvellement", "date_renouvellement", "date",
               description="Date du dernier renouvellement"),
        Column("Statut", "statut", "code", required=True, codes="sne_statuts_demande",
               description="Demande active ou radiée"),
        Column("Date de radiation", "date_radiation", "date", description="Date de radiation"),
        Column("Motif de radiation", "motif_radiation", "code", codes="sne_motifs_radiation",
               description="Motif de radiation (R441-2-8 CCH)"),
        Column("Demande de mutation", "demande_mutation", "booleen",
               description="Le demandeur est déjà locataire du parc social (O/N)"),
        Column("Taille du ménage", "taille_menage", "entier", description="Nombre de personnes à loger"),
        Column("Motif principal", "motif_principal", "code", codes="sne_motifs_demande",
               description="Motif principal de la demande"),
        Column("Prioritaire DALO", "prioritaire_dalo", "booleen",
               description="Reconnu prioritaire et urgent au titre du DALO (O/N)"),
        Column("Prioritaire PDALHPD", "prioritaire_pdalhpd", "booleen",
               description="Public prioritaire au titre de l'article L441-1 CCH ou du PDALHPD (O/N)"),
    ),
)

SNE_ATTRIBUTIONS = Source(
    name="sne_attributions",
    short_label="SNE – attributions",
    producer="Système national d'enregistrement (infocentre), attributions",
    rules=(
        RowRule("date_attribution", "formats.date_fr(date_attribution) < formats.date_fr(date_depot)",
                "attribution antérieure au dépôt de la demande"),
    ),
    label="SNE : attributions de logements sociaux",
    grain="une ligne par attribution",
    cadence="mensuelle",
    formats=("csv", "xlsx"),
    staging="stg_sne__attributions",
    key=("numero_unique",),
    columns=(
        Column("Numéro unique", "numero_unique", "identifiant", required=True,
               description="Numéro unique de la demande satisfaite, pseudonymisé (HMAC-SHA256)"),
        *_personal(("Nom", "nom"), ("Prénom", "prenom"), ("Adresse du logement", "adresse_logement")),
        Column("Date de naissance", "date_naissance", "naissance",
               description="Tranche d'âge du titulaire à la date d'extraction"),
        Column("Date d'attribution", "date_attribution", "date", required=True,
               description="Date de la décision d'attribution"),
        Column("Date de dépôt initial", "date_depot", "date", required=True,
               description="Date du premier dépôt de la demande"),
        Column("Code commune du logement", "code_commune", "commune", required=True,
               description="Code INSEE de la commune du logement attribué"),
        Column("Typologie attribuée", "typologie_attribuee", "code", required=True, codes="sne_typologies",
               description="Typologie du logement attribué"),
        Column("Logement en QPV", "logement_qpv", "booleen",
               description="Le logement est situé en quartier prioritaire de la ville (O/N)"),
        Column("Réservataire", "reservataire", "code", codes="sne_reservataires",
               description="Réservataire du logement"),
        Column("Bailleur", "bailleur", "texte", description="Bailleur social"),
        Column("Ménage prioritaire DALO", "prioritaire_dalo", "booleen",
               description="Ménage reconnu prioritaire et urgent au titre du DALO (O/N)"),
        Column("Ménage prioritaire PDALHPD", "prioritaire_pdalhpd", "booleen",
               description="Ménage prioritaire au titre de l'article L441-1 CCH ou du PDALHPD (O/N)"),
        Column("Quartile de ressources", "quartile_ressources", "entier",
               description="Quartile de ressources du ménage (1 = ressources les plus faibles)"),
        Column("Demande de mutation", "demande_mutation", "booleen",
               description="Le ménage était déjà locataire du parc social (O/N)"),
        Column("Taille du ménage", "taille_menage", "entier", description="Nombre de personnes logées"),
    ),
)

PPPI = Source(
    name="pppi",
    short_label="PPPI – parc privé potentiellement indigne",
    producer="Filocom (DGFiP), traitement PPPI",
    label="Parc privé potentiellement indigne (PPPI, Filocom)",
    grain="une ligne par commune et millésime",
    cadence="biennale",
    staging="stg_pppi__communes",
    key=("code_commune", "millesime"),
    columns=(
        Column("Code commune", "code_commune", "commune", required=True, description="Code INSEE de la commune"),
        Column("Millésime", "millesime", "entier", required=True, description="Millésime Filocom"),
        Column("Résidences principales privées", "nb_rp_privees", "entier", required=True,
               description="Nombre de résidences principales du parc privé"),
        Column("PPPI total", "nb_pppi", "entier", required=True,
               description="Logements du parc privé potentiellement indigne"),
        Column("PPPI catégorie 6", "nb_pppi_cat6", "entier",
               description="PPPI en catégorie cadastrale 6 (ménages sous 70 % du seuil de pauvreté)"),
        Column("PPPI catégories 7 et 8", "nb_pppi_cat78", "entier",
               description="PPPI en catégories cadastrales 7 et 8 (ménages sous 150 % du seuil de pauvreté)"),
        Column("PPPI propriétaires occupants", "nb_pppi_po", "entier",
               description="PPPI occupé par son propriétaire"),
        Column("PPPI locataires", "nb_pppi_lp", "entier", description="PPPI occupé par un locataire du parc privé"),
        Column("PPPI construits avant 1949", "nb_pppi_avant_1949", "entier",
               description="PPPI construit avant 1949"),
        Column("Secret statistique", "secret_statistique", "booleen",
               description="Le producteur signale une cellule de moins de 11 unités (O/N)"),
    ),
)

CCAPEX = Source(
    name="ccapex",
    short_label="CCAPEX – procédures d'expulsion",
    producer="CCAPEX / EXPLOC",
    label="Prévention des expulsions (CCAPEX / EXPLOC)",
    grain="une ligne par événement de procédure",
    cadence="trimestrielle",
    staging="stg_ccapex__evenements",
    key=("numero_procedure", "etape", "date_etape"),
    columns=(
        Column("N° procédure", "numero_procedure", "identifiant", required=True,
               description="Numéro de procédure EXPLOC, pseudonymisé (HMAC-SHA256)"),
        *_personal(("Nom", "nom"), ("Prénom", "prenom"), ("Adresse", "adresse"), ("Téléphone", "telephone")),
        Column("Date de naissance", "date_naissance", "naissance",
               description="Tranche d'âge de l'occupant à la date d'extraction"),
        Column("Code commune", "code_commune", "commune", required=True,
               description="Code INSEE de la commune du logement"),
        Column("Type de bailleur", "type_bailleur", "code", codes="ccapex_types_bailleur",
               description="Bailleur personne physique, personne morale ou social"),
        Column("Motif de la procédure", "motif_procedure", "code", codes="ccapex_motifs",
               description="Motif de la procédure"),
        Column("Étape", "etape", "code", required=True, codes="ccapex_etapes",
               description="Étape de la procédure"),
        Column("Date de l'étape", "date_etape", "date", required=True, description="Date de l'étape"),
        Column("Montant de la dette", "montant_dette", "decimal", description="Montant de la dette en euros"),
        Column("Décision du jugement", "decision_jugement", "code", codes="ccapex_decisions_jugement",
               description="Pour l'étape jugement : décision prononcée"),
    ),
)

# --- Open data: the context of annexe 4 (docs/sources/insee.md) ------------------------------------------------
INSEE_RP_PAGE = "Insee, « Bases de données chiffres clés » du recensement de la population, exploitation principale"
COMMUNES_62 = "starts_with(code_geo, '62')"


def _millesime(what: str) -> Column:
    return Column("millesime", "millesime", "entier", from_name=True,
                  description=f"Millésime {what}, lu dans le nom du fichier")


def _codgeo(level: str | None = None) -> Column:
    """A census file's commune code (checked against the COG), or a code of the level its file name gives."""
    if level is None:
        return Column("CODGEO", "code_geo", "commune", required=True, description="Code Insee de la commune")
    return Column("CODGEO", "code_geo", "texte", required=True, description=f"Code géographique Insee ({level})")


def _rp(header: str, name: str, description: str, unverified: bool = False) -> Column:
    return Column(header, name, "mesure", description=description, unverified=unverified)


def _rp_publication(theme: str, dataset: str, page: str, documentation: str) -> Publication:
    return Publication(
        publisher="Insee",
        dataset=dataset,
        url=f"https://www.insee.fr/fr/statistiques/{page}",
        documentation=documentation,
        file_pattern=rf"base-cc-{theme}-(?P<millesime>\d{{4}})\.csv",
        example=f"base-cc-{theme}-{{millesime}}.CSV",
        lag_years=3,
        release_month=6,
        keep=COMMUNES_62,
        notes="Un fichier national, une ligne par commune (arrondissements municipaux pour Paris, Lyon et "
              "Marseille) ; valeurs pondérées à décimales (point décimal), à arrondir à l'affichage seulement ; "
              "le fichier de millésime N donne aussi les recensements N-6 et N-11 (P15_ et P10_ pour 2021).",
    )


def _census(theme: str, name: str, what: str, dataset: str, page: str, columns: tuple[Column, ...],
            previous: bool = True) -> Source:
    """A census base of the Insee (base chiffres clés ``base-cc-<theme>``): one row per commune of France."""
    earlier = (Column("millesime_precedent", "millesime_precedent", "entier", from_name=True,
                      description="Recensement antérieur que le fichier donne pour l'évolution (P15_ dans le "
                                  "fichier 2021)"),) if previous else ()
    return Source(
        name=f"insee_rp_{name}",
        short_label=f"Insee RP – {what}",
        producer="Insee, recensement de la population",
        label=f"Recensement de la population : {what} (Insee)",
        grain="une ligne par commune de France et millésime du recensement",
        cadence="annuelle",
        staging=f"stg_insee__rp_{name}",
        key=("code_geo",),
        publication=_rp_publication(
            theme, dataset, page,
            f"Dictionnaire des variables du fichier (meta_base-cc-{theme}-2021.CSV : COD_VAR, LIB_VAR), "
            "millésime 2021, géographie au 01/01/2024"),
        columns=(_codgeo(), _millesime("du recensement"), *earlier, *columns),
    )


INSEE_RP_POPULATION = _census(
    "evol-struct-pop", "population", "évolution et structure de la population",
    "Évolution et structure de la population en 2021 – Base chiffres clés", "8201904", (
        _rp("P{aa}_POP", "population", "Population municipale (« Population en 2021 (princ) »)"),
        _rp("P{pp}_POP", "population_precedente", "Population au recensement antérieur (« Population en 2015 »)"),
        _rp("P{aa}_POP0019", "population_0_19", "Population de 0 à 19 ans"),
        _rp("P{aa}_POP6074", "population_60_74", "Population de 60 à 74 ans"),
        _rp("P{aa}_POP75P", "population_75_plus", "Population de 75 ans ou plus"),
        _rp("P{aa}_POP65P", "population_65_plus", "Population de 65 ans ou plus"),
    ))

INSEE_RP_LOGEMENT = _census(
    "logement", "logement", "logement", "Logement en 2021 – Base chiffres clés", "8202349", (
        _rp("P{aa}_LOG", "nb_logements", "Logements (« Logements en 2021 (princ) »)"),
        _rp("P{aa}_RP", "nb_residences_principales", "Résidences principales (= ménages)"),
        _rp("P{pp}_RP", "nb_residences_principales_precedent", "Résidences principales au recensement antérieur"),
        _rp("P{aa}_RSECOCC", "nb_residences_secondaires", "Résidences secondaires et logements occasionnels"),
        _rp("P{aa}_LOGVAC", "nb_logements_vacants", "Logements vacants"),
        _rp("P{aa}_MAISON", "nb_maisons", "Maisons"),
        _rp("P{aa}_RP_PROP", "nb_rp_proprietaires", "Résidences principales occupées par leur propriétaire"),
        _rp("P{aa}_RP_LOC", "nb_rp_locataires", "Résidences principales occupées par des locataires"),
        _rp("P{aa}_RP_LOCHLMV", "nb_rp_locataires_hlm", "Résidences principales louées vides HLM"),
        _rp("P{aa}_RP_GRAT", "nb_rp_loges_gratuitement", "Résidences principales occupées à titre gratuit",
            unverified=True),
    ))

INSEE_RP_EMPLOI = _census(
    "emploi-pop-active", "emploi", "emploi et population active",
    "Emploi – Population active en 2021 – Base chiffres clés", "8202916", (
        _rp("P{aa}_ACT1564", "nb_actifs_15_64", "Actifs de 15 à 64 ans"),
        _rp("P{aa}_CHOM1564", "nb_chomeurs_15_64", "Chômeurs de 15 à 64 ans (au sens du recensement)"),
    ), previous=False)

# Filosofi: one file per level, whose indicators are not additive (each level's values come from its own file,
# never from adding communes).
INSEE_FILOSOFI = Source(
    name="insee_filosofi",
    short_label="Insee Filosofi – revenus et pauvreté",
    producer="Insee, Filosofi (fichier localisé social et fiscal)",
    label="Revenus, pauvreté et niveau de vie (Insee, Filosofi)",
    grain="une ligne par zone (commune, EPCI ou département de France) et millésime",
    cadence="annuelle",
    staging="stg_insee__filosofi",
    key=("code_geo",),
    publication=Publication(
        publisher="Insee",
        dataset="Revenus, pauvreté et niveau de vie en 2021 – Base chiffres clés (Filosofi)",
        url="https://www.insee.fr/fr/statistiques/7756729",
        documentation="Page « Principaux indicateurs sur les revenus et la pauvreté aux niveaux national et local "
                      "en 2021 » (19/07/2024) et dictionnaire des variables de base-cc-filosofi-2021-geo2023 ; "
                      "secret statistique : s, nd, ns, so",
        file_pattern=r"cc_filosofi_(?P<millesime>\d{4})_(?P<niveau>com|epci|dep)\.csv",
        example="cc_filosofi_{millesime}_COM.csv (et _EPCI, _DEP)",
        lag_years=3,
        release_month=7,
        keep=f"(niveau_fichier = 'COM' AND {COMMUNES_62}) OR (niveau_fichier = 'DEP' AND code_geo = '62') OR "
             "(niveau_fichier = 'EPCI' AND code_geo IN (SELECT code FROM _codes WHERE liste = 'epci'))",
        notes="Un fichier par niveau géographique ; « la plupart des indicateurs proposés sont non sommables » : "
              "médiane et taux de pauvreté sont lus au niveau publié, jamais recalculés ; cellules soumises au "
              "secret écrites s, nd, ns ou so. Noms de fichier vérifiés pour les communes (cc_filosofi_2021_COM.csv) ; "
              "_EPCI et _DEP suivent le même motif du producteur, non vérifiés sur un fichier.",
    ),
    columns=(
        _codgeo("commune, EPCI ou département selon le fichier"),
        _millesime("des revenus"),
        Column("niveau", "niveau_fichier", "texte", from_name=True,
               description="Niveau géographique du fichier (COM, EPCI, DEP), lu dans son nom"),
        _rp("NBMENFISC{aa}", "nb_menages_fiscaux", "Nombre de ménages fiscaux"),
        _rp("NBPERSMENFISC{aa}", "nb_personnes_menages_fiscaux", "Nombre de personnes dans les ménages fiscaux"),
        _rp("MED{aa}", "mediane_niveau_vie", "Médiane du niveau de vie (euros)"),
        _rp("TP60{aa}", "taux_pauvrete", "Taux de pauvreté au seuil de 60 % du niveau de vie médian (%)"),
    ),
)


RPLS = Source(
    name="rpls",
    short_label="RPLS – parc locatif social",
    producer="SDES, répertoire des logements locatifs des bailleurs sociaux (RPLS)",
    label="Parc locatif social au 1er janvier (SDES, RPLS)",
    grain="une ligne par commune de France et millésime (parc au 1er janvier)",
    cadence="annuelle",
    formats=("xlsx",),
    staging="stg_rpls__communes",
    key=("code_geo",),
    publication=Publication(
        publisher="SDES (ministère chargé du logement)",
        dataset="Le parc locatif social au 1er janvier – résultats détaillés par territoire (RPLS)",
        url="https://www.statistiques.developpement-durable.gouv.fr/le-parc-locatif-social-au-1er-janvier-2024",
        documentation="Classeur des résultats détaillés (feuilles INFORMATIONS, REGION, DEPARTEMENT, EPCI, "
                      "COMMUNES) : noms techniques des variables sur la ligne 6 de chaque feuille, millésimes "
                      "2021 à 2024",
        file_pattern=r"(?:resultats_)?rpls_(?P<millesime>\d{4})(?:_resultats|_v\d+|_\d+)?\.xlsx",
        example="resultats_rpls_{millesime}.xlsx",
        lag_years=0,
        release_month=11,
        keep="starts_with(code_geo, '62')",
        notes="La feuille des communes est la seule dont l'en-tête porte DEPCOM_ARM : les autres niveaux sont "
              "ignorés (les EPCI, territoires et département sont les sommes des communes, le parc social étant "
              "un compte). Noms des feuilles variables selon l'année (COMMUNES, COMMUNE, Commune).",
    ),
    columns=(
        Column("DEPCOM_ARM", "code_geo", "commune", required=True,
               description="Code Insee de la commune (arrondissement municipal pour Paris, Lyon, Marseille)"),
        _millesime("du parc (au 1er janvier)"),
        _rp("nb_ls", "nb_logements_sociaux", "Logements locatifs sociaux (ensemble du parc social)"),
        _rp("nb_ls_individuels", "nb_ls_individuels", "Logements sociaux individuels"),
        _rp("nb_ls_collectifs", "nb_ls_collectifs", "Logements sociaux collectifs"),
        _rp("nb_ls_1piece", "nb_ls_1_piece", "Logements sociaux d'une pièce"),
        _rp("nb_ls_2piece", "nb_ls_2_pieces", "Logements sociaux de deux pièces", unverified=True),
        _rp("nb_ls_3piece", "nb_ls_3_pieces", "Logements sociaux de trois pièces", unverified=True),
        _rp("nb_ls_4piece", "nb_ls_4_pieces", "Logements sociaux de quatre pièces"),
        _rp("nb_ls_5piece_plus", "nb_ls_5_pieces_plus", "Logements sociaux de cinq pièces ou plus"),
        _rp("nb_vacants", "nb_ls_vacants", "Logements sociaux vacants"),
    ),
)


# FINESS (docs/sources/finess.md): the ANS's extractions of the national file of health and social establishments,
# published on data.gouv.fr as stock files named by their extraction day. Line 1 is a comment
# (finess;etalab;<n>;<AAAA-MM-JJ>), there is no header: fields are positional, named by the publisher's layout.
FINESS_FIRST_LINE = r"finess;etalab;[0-9]+;[0-9]{4}-[0-9]{2}-[0-9]{2};*"
FINESS_KEEP_LABEL = "hors du Pas-de-Calais ou d'une autre section du fichier"
FINESS_ETABLISSEMENT_FIELDS = (
    "section", "nofinesset", "nofinessej", "rs", "rslongue", "complrs", "compldistrib", "numvoie", "typvoie", "voie",
    "compvoie", "lieuditbp", "commune", "departement", "libdepartement", "ligneacheminement", "telephone",
    "telecopie", "categetab", "libcategetab", "categagretab", "libcategagretab", "siret", "codeape", "codemft",
    "libmft", "codesph", "libsph", "dateouv", "dateautor", "datemaj", "numuai")
# Fields 0-15 as documented (capacité installée: capinstot, indsupinst); the authorised capacity that follows is
# named after the order of the FINESS XML flux (datederinst, datepremautor, capautot, ...): not verified on the
# CSV layout.
FINESS_EQUIPEMENT_FIELDS = (
    "section", "nofinesset", "de", "libde", "ta", "libta", "client", "libclient", "sourceinfo", "capinstot",
    "capinstm", "capinstf", "capinsthab", "ageminiinst", "agemaxiinst", "indsupinst", "datederinst",
    "datepremautor", "capautot", "capautm", "capautf", "capauthab", "ageminiaut", "agemaxiaut", "indsupaut",
    "dateautor", "datemajaut", "datemajinst")
FINESS_NUMBER_RULE = ("nofinesset", "NOT regexp_full_match(nofinesset, '62[0-9]{7}')",
                      "numéro FINESS d'établissement à 9 chiffres commençant par 62 attendu")


def _finess_publication(code: str, dataset: str, slug: str, **kwargs) -> Publication:
    return Publication(
        publisher="l'Agence du numérique en santé (ANS)",
        dataset=dataset,
        url=f"https://www.data.gouv.fr/fr/datasets/{slug}/",
        file_pattern=rf"etalab-{code}-stock-(?P<jour>(?P<millesime>\d{{4}})\d{{4}})-\d{{4}}\.csv",
        example=f"etalab-{code}-stock-{{millesime}}0901-0400.csv",  # the day and time are the extraction's
        lag_years=0,
        release_month=1,
        first_line=FINESS_FIRST_LINE,
        first_line_example="finess;etalab;<n>;<AAAA-MM-JJ>",
        keep_label=FINESS_KEEP_LABEL,
        **kwargs,
    )


def _finess_millesime() -> Column:
    return Column("millesime", "millesime", "entier", from_name=True,
                  description="Année de l'extraction, lue dans le nom du fichier (etalab-…-stock-AAAAMMJJ-HHMM.csv)")


FINESS_ETABLISSEMENTS = Source(
    name="finess_etablissements",
    short_label="FINESS – établissements",
    producer="FINESS, fichier national des établissements sanitaires et sociaux (ANS)",
    label="FINESS : extraction du fichier des établissements (ANS, data.gouv.fr)",
    grain="une ligne par établissement (numéro FINESS géographique) de France à la date d'extraction",
    cadence="annuelle",
    staging="stg_finess__etablissements",
    key=("nofinesset",),
    rules=(RowRule(*FINESS_NUMBER_RULE),
           RowRule("commune", "NOT regexp_full_match(commune, '[0-9]{3}')",
                   "code commune à 3 chiffres (dans le département) attendu")),
    publication=_finess_publication(
        "cs1100502", "FINESS Extraction du Fichier des établissements",
        "finess-extraction-du-fichier-des-etablissements",
        documentation="Page du jeu de données sur data.gouv.fr ; ordre des 32 champs relevé sur une ligne réelle "
                      "du fichier (ligne 1 finess;etalab;<n>;<date>, puis lignes structureet), non relu sur la "
                      "description du producteur ; catégories d'établissement : nomenclature ANS "
                      "TRE_R66-CategorieEtablissement (jeu de valeurs JDV_J55_CategorieEG_ROR, vérifiée)",
        fields=FINESS_ETABLISSEMENT_FIELDS,
        keep="section = 'structureet' AND left(nofinesset, 2) = '62'",
        notes="Un fichier national, sans en-tête : une ligne de commentaire, puis une ligne structureet par "
              "établissement (32 champs positionnels, nommés ici comme dans la documentation du producteur) ; le "
              "code commune est le code Insee sans le département (451 pour Viriat, 01451) ; les numéros FINESS "
              "du Pas-de-Calais commencent par 62. Adresse, téléphone et télécopie de l'établissement ne sont pas "
              "lus. Encodage non vérifié : UTF-8 et Windows-1252 sont acceptés.",
    ),
    columns=(
        Column("section", "section", "texte", required=True, description="Type de ligne (structureet)"),
        Column("nofinesset", "nofinesset", "texte", required=True,
               description="Numéro FINESS de l'établissement (géographique), 9 chiffres"),
        Column("nofinessej", "nofinessej", "texte", description="Numéro FINESS de l'entité juridique gestionnaire"),
        *_personal(("numvoie", "numvoie"), ("typvoie", "typvoie"), ("voie", "voie"), ("compvoie", "compvoie"),
                   ("lieuditbp", "lieuditbp"), ("ligneacheminement", "ligneacheminement"),
                   ("telephone", "telephone"), ("telecopie", "telecopie")),
        Column("commune", "commune", "texte", required=True,
               description="Code de la commune dans le département (3 chiffres : code Insee sans le département)"),
        Column("departement", "departement", "texte", required=True, description="Code du département"),
        Column("categetab", "categetab", "texte", required=True,
               description="Catégorie d'établissement (nomenclature ANS TRE_R66 ; les catégories d'hébergement et "
                           "de logement adapté retenues sont dans finess_categories_hebergement)"),
        Column("libcategetab", "libcategetab", "texte", description="Libellé de la catégorie d'établissement"),
        _finess_millesime(),
    ),
)

FINESS_EQUIPEMENTS = Source(
    name="finess_equipements",
    short_label="FINESS – équipements sociaux",
    producer="FINESS, fichier national des établissements sanitaires et sociaux (ANS)",
    label="FINESS : extraction des équipements sociaux et médico-sociaux (ANS, data.gouv.fr)",
    grain="une ligne par équipement (discipline, activité, clientèle) d'un établissement de France à la date "
          "d'extraction",
    cadence="annuelle",
    staging="stg_finess__equipements",
    key=("nofinesset", "de", "ta", "client", "indsupinst"),
    rules=(RowRule(*FINESS_NUMBER_RULE),
           RowRule("indsupinst", "indsupinst NOT IN ('O', 'N')",
                   "indicateur de suppression de l'installation O ou N attendu")),
    publication=_finess_publication(
        "cs1100505", "FINESS Extraction des équipements sociaux et médico-sociaux",
        "finess-extraction-des-equipements-sociaux-et-medico-sociaux",
        documentation="Page du jeu de données sur data.gouv.fr (ligne 1 finess;etalab;<n>;<date>, lignes "
                      "structureet;<nofinesset>;<nofinessej>, puis lignes equipementsocial) ; 16 premiers champs "
                      "(capinstot 10e, indsupinst 16e) concordant avec l'ordre des champs du flux XML FINESS ; champs "
                      "suivants (capacités autorisées) repris de ce flux, non vérifiés sur le CSV",
        fields=FINESS_EQUIPEMENT_FIELDS,
        ragged=True,
        keep="section = 'equipementsocial' AND left(nofinesset, 2) = '62'",
        notes="Un fichier national, sans en-tête, à deux sections : les lignes structureet (3 champs) relient "
              "l'établissement à son entité juridique et sont ignorées ; les lignes equipementsocial donnent la "
              "capacité installée de chaque équipement. Capacité d'un établissement = somme de capinstot sur ses "
              "lignes dont indsupinst n'est pas O (installation supprimée). Des champs au-delà des 28 nommés ici "
              "sont ignorés.",
    ),
    columns=(
        Column("section", "section", "texte", required=True, description="Type de ligne (equipementsocial)"),
        Column("nofinesset", "nofinesset", "texte", required=True,
               description="Numéro FINESS de l'établissement (géographique), 9 chiffres"),
        Column("de", "de", "texte", required=True, description="Discipline d'équipement (code)"),
        Column("libde", "libde", "texte", description="Libellé de la discipline d'équipement"),
        Column("ta", "ta", "texte", description="Type d'activité (code)"),
        Column("client", "client", "texte", description="Clientèle (code)"),
        Column("capinstot", "capinstot", "entier",
               description="Capacité installée totale de l'équipement (places)"),
        Column("capinsthab", "capinsthab", "entier", description="Capacité installée en places habilitées à l'aide "
                                                                 "sociale"),
        Column("indsupinst", "indsupinst", "texte",
               description="Indicateur de suppression de l'installation (O : supprimée, N : en service)"),
        Column("capautot", "capautot", "entier", unverified=True,
               description="Capacité autorisée totale (position dans le CSV non vérifiée : non utilisée)"),
        _finess_millesime(),
    ),
)


# CAF (docs/sources/caf.md): the data.caf.fr export of « Foyers allocataires et personnes couvertes par prestation,
# par commune » (s_ben_com_f), one December per file. Opendatasoft exports carry no date in their name: the team
# saves each December's export as caf_s_ben_com_f_AAAA.csv, and the loader checks dtreffre against that name.
CAF_ALLOCATAIRES = Source(
    name="caf_allocataires",
    short_label="CAF – foyers allocataires du RSA",
    producer="Cnaf, Cafdata (data.caf.fr), foyers allocataires par commune",
    label="Foyers allocataires et personnes couvertes du RSA par commune (Cnaf, data.caf.fr)",
    grain="une ligne par commune de domicile (ou code masqué) de France et mois de décembre",
    cadence="annuelle",
    staging="stg_caf__communes",
    key=("code_geo",),
    rules=(RowRule("code_geo", "NOT regexp_full_match(code_geo, '62[0-9A-Z]{3}')",
                   "code commune du Pas-de-Calais à 5 caractères attendu (62 et 3 chiffres, ou masqué par la CAF : "
                   "62XXX)"),),
    publication=Publication(
        publisher="la Cnaf (Cafdata, data.caf.fr)",
        dataset="Foyers allocataires et personnes couvertes par prestation, par commune (s_ben_com_f)",
        url="https://data.caf.fr/explore/dataset/s_ben_com_f/",
        documentation="Page du jeu de données s_ben_com_f (Licence Ouverte 2.0) : décembres depuis 2020, effectifs "
                      "arrondis à 5 par la Cnaf, géographie de janvier N+1 ; noms des champs dtreffre, numcomdo, "
                      "nomcom, indfoy_rsa, indfoy_ndur relevés sur du code qui lit de vrais exports (non relus sur "
                      "le dictionnaire des variables du producteur)",
        file_pattern=r"caf_s_ben_com_f_(?P<millesime>\d{4})\.csv",
        example="caf_s_ben_com_f_{millesime}.csv",
        lag_years=1,
        release_month=7,
        keep="starts_with(code_geo, '62')",
        keep_label="hors du Pas-de-Calais ou sans code commune",
        period_column="mois_reference",
        period_pattern=r"{millesime}-12(-01)?",
        period_example="{millesime}-12",
        notes="Export CSV de l'API Opendatasoft (séparateur ;, UTF-8 avec BOM) filtré sur un mois de décembre, "
              "enregistré par l'équipe sous le nom caf_s_ben_com_f_AAAA.csv (AAAA : l'année du mois de décembre) ; "
              "le champ dtreffre de chaque ligne doit être ce décembre (AAAA-12), sinon le fichier est refusé. Un "
              "fichier national : les communes hors du Pas-de-Calais et les lignes sans code commune sont ignorées "
              "et comptées ; les foyers que la CAF ne rattache à aucune commune du département viennent sous un "
              "code masqué (62XXX), gardés et comptés à part (le département seulement). Effectifs arrondis à 5 "
              "par la Cnaf (la somme des communes n'est pas le total départemental exact) ; une cellule vide ou "
              "un marqueur de secret reste sans valeur (NULL) et la commune est signalée. Publication vers juillet "
              "N+1 (données de décembre N observées avec un recul de 6 mois) : mois non vérifié.",
    ),
    columns=(
        Column("dtreffre", "mois_reference", "texte", required=True,
               description="Mois de référence (décembre de l'année du fichier, AAAA-12)"),
        Column("numcomdo", "code_geo", "texte", required=True,
               description="Code Insee de la commune de domicile du foyer (62XXX : commune masquée par la CAF)"),
        Column("nomcom", "nom_commune", "texte", description="Nom de la commune"),
        _millesime("(année du mois de décembre)"),
        Column("indfoy_ndur", "nb_foyers_allocataires", "mesure",
               description="Foyers allocataires d'au moins une prestation (droit versable en décembre), arrondis à 5"),
        Column("indfoy_rsa", "nb_foyers_rsa", "mesure",
               description="Foyers allocataires du RSA (droit versable en décembre), arrondis à 5"),
        Column("indnbp_rsa", "nb_personnes_couvertes_rsa", "mesure", unverified=True,
               description="Personnes couvertes par le RSA (allocataire, conjoint, enfants et autres personnes à "
                           "charge), arrondies à 5"),
    ),
)


def _value_rule(nature: str, condition: str) -> str:
    """SQL: true when a value entered for an indicator of this nature breaks its rule."""
    return f"nature = '{nature}' AND valeur IS NOT NULL AND NOT coalesce({condition}, false)"


_NUMBER = "formats.decimal_fr(valeur)"

SUIVI_PLAN = Source(
    name="suivi_plan",
    short_label="Suivi des fiches actions",
    producer="Pilotes des fiches actions (classeurs de suivi du COTECH)",
    label="Suivi partagé des fiches actions du plan (fiche 6-3)",
    grain="une ligne par indicateur, zone et période d'une feuille de fiche, ou par fiche de la feuille Avancement",
    cadence="trimestrielle",
    formats=("xlsx",),
    staging="stg_suivi__retours",
    reader="classeur_suivi",
    cells=tuple(followup_layout.letters().items()),
    key=("pilote", "date_cotech", "feuille", "fiche", "code_indicateur", "niveau", "code_zone", "periode"),
    rules=(
        RowRule("code_indicateur", f"feuille <> '{followup_layout.PROGRESS_SHEET}' AND code_indicateur IS NULL",
                "code indicateur manquant sur une feuille de fiche"),
        RowRule("valeur", _value_rule("nombre", f"{_NUMBER} >= 0 AND {_NUMBER} = trunc({_NUMBER})"),
                "nombre entier positif ou nul attendu"),
        RowRule("valeur", _value_rule("part", f"{_NUMBER} BETWEEN 0 AND 100"),
                "part en pourcentage attendue, de 0 à 100"),
        RowRule("valeur", _value_rule("montant", f"{_NUMBER} >= 0"), "montant en euros positif ou nul attendu"),
        RowRule("valeur", _value_rule("delai", f"{_NUMBER} >= 0"), "délai en jours positif ou nul attendu"),
        RowRule("valeur", _value_rule("jalon", "formats.date_fr(valeur) IS NOT NULL"),
                "date JJ/MM/AAAA attendue (date à laquelle le jalon est atteint)"),
        RowRule("valeur", _value_rule("qualitatif", "valeur IN ('1', '2', '3', '4', '5')"),
                "appréciation de 1 à 5 attendue"),
    ),
    columns=(
        Column("Pilote", "pilote", "code", required=True, codes="pilotes_plan",
               description="Code de l'institution pilote qui a rempli le classeur (feuille Lisez-moi)"),
        Column("Date du COTECH", "date_cotech", "date", required=True, planned=True,
               description="Date du COTECH que le classeur prépare (feuille Lisez-moi)"),
        Column("Feuille", "feuille", "texte", required=True, description="Feuille du classeur d'où vient la ligne"),
        Column("Ligne de la feuille", "ligne_feuille", "entier", required=True,
               description="Ligne de la feuille d'où vient la ligne (_ligne : son rang dans le classeur)"),
        Column("Fiche", "fiche", "code", required=True, codes="fiches_actions",
               description="Numéro de la fiche action (1-1 à 6-4)"),
        Column("Code indicateur", "code_indicateur", "code", codes="indicateurs_plan_referentiel.code_indicateur",
               description="Code de l'indicateur d'évaluation (feuilles de fiches)"),
        Column("Nature", "nature", "code", codes="natures_indicateur",
               description="Nature attendue de la valeur (nombre, part, montant, délai, jalon, qualitatif)"),
        Column("Niveau", "niveau", "code", codes="niveaux_suivi",
               description="Niveau géographique de la valeur (département, territoire, arrondissement)"),
        Column("Code zone", "code_zone", "texte", description="Code de la zone (62, code de territoire ou "
                                                              "d'arrondissement)"),
        Column("Période", "periode", "texte", description="Période de la valeur (AAAA, AAAA-Tn)"),
        Column("Valeur", "valeur", "texte",
               description="Valeur saisie par le pilote, telle quelle (nombre à virgule, date JJ/MM/AAAA ou note)"),
        Column("Commentaire", "commentaire", "texte", description="Commentaire du pilote sur la valeur"),
        Column("Statut", "statut", "code", codes="suivi_statuts_action",
               description="Statut d'avancement de la fiche (feuille Avancement)"),
        Column("Commentaire sur l'avancement", "commentaire_avancement", "texte",
               description="Commentaire du pilote sur l'avancement de la fiche"),
        Column("Prochain jalon", "prochain_jalon", "texte", description="Prochain jalon de la fiche"),
        Column("Date du prochain jalon", "date_prochain_jalon", "date", planned=True,
               description="Date prévue du prochain jalon"),
    ),
)

SOURCES: dict[str, Source] = {s.name: s for s in (FSL, DALO, SNE_DEMANDES, SNE_ATTRIBUTIONS, PPPI, CCAPEX,
                                                   SUIVI_PLAN, INSEE_RP_POPULATION, INSEE_RP_LOGEMENT,
                                                   INSEE_RP_EMPLOI, INSEE_FILOSOFI, RPLS, FINESS_ETABLISSEMENTS,
                                                   FINESS_EQUIPEMENTS, CAF_ALLOCATAIRES)}
OPEN_SOURCES = {name: s for name, s in SOURCES.items() if s.publication is not None}

# File names carry the extraction date: <source>_<période>_extrait_<AAAA-MM-JJ>.<csv|xlsx>, in any case.
EXTRACTION_DATE = re.compile(r"extrait_(\d{4})-(\d{2})-(\d{2})", re.IGNORECASE)
# The period written in a file name, per cadence: its pattern (on the lower-cased name) and what is expected.
PERIODS: dict[str, tuple[str, str]] = {
    "mensuelle": (r"\d{4}-(0[1-9]|1[0-2])", "AAAA-MM, mois de 01 à 12"),
    "trimestrielle": (r"\d{4}-t[1-4]", "AAAA-Tn, trimestre de T1 à T4"),
    "annuelle": (r"\d{4}", "AAAA"),
    "biennale": (r"\d{4}", "AAAA, le millésime"),
}


def published_name(source: Source, file_name: str) -> re.Match[str] | None:
    """The publisher's file name of an open-data source, matched (groups millesime, niveau, jour), or None."""
    assert source.publication is not None
    return re.fullmatch(source.publication.file_pattern, file_name.lower())


def extraction_date(file_name: str, source: Source | None = None) -> date | None:
    """The extraction date written in a file name, or None. An open-data file's is the date its name carries
    (a stock file's extraction day), else the 1st of January of its millésime."""
    if source is not None and source.publication is not None:
        m = published_name(source, file_name)
        if not m:
            return None
        groups = m.groupdict()
        try:
            if groups.get("jour"):
                day = groups["jour"]
                return date(int(day[:4]), int(day[4:6]), int(day[6:8]))
            return date(int(groups["millesime"]), 1, 1)
        except ValueError:
            return None
    m = EXTRACTION_DATE.search(file_name)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def file_name(source: str, period: str, extracted: date, ext: str = "csv") -> str:
    return f"{source}_{period}_extrait_{extracted.isoformat()}.{ext}"


def file_name_problem(source: Source, name: str) -> str | None:
    """What is wrong with a file name dropped in the source's folder (French, naming the file), or None.

    The name must carry the extraction date, start with the source's name (the folder's) and carry a period
    valid for the source's cadence; case does not matter (``FSL_2024-03_EXTRAIT_2024-04-05.CSV``). An open-data
    file keeps the name its publisher gives it."""
    if source.publication is not None:
        pub = source.publication
        if published_name(source, name) is None or extraction_date(name, source) is None:
            what = ("AAAAMMJJ-HHMM étant le jour et l'heure de l'extraction" if "(?P<jour>" in pub.file_pattern
                    else "{millesime} étant l'année du millésime")
            return (f"{name} : nom de fichier inattendu pour {source.label} ; déposer le fichier sous le nom que lui "
                    f"donne {pub.publisher} (attendu « {pub.example} », {what}, motif {pub.file_pattern}).")
        return None
    expected = f"« {source.name}_<période>_extrait_AAAA-MM-JJ.{source.formats[0]} »"
    if extraction_date(name) is None:
        return f"{name} : date d'extraction absente du nom du fichier (attendu {expected})."
    lower = name.lower()
    if not lower.startswith(f"{source.name}_"):
        other = next((s for s in sorted(SOURCES, key=len, reverse=True) if lower.startswith(f"{s}_")), None)
        found = f"commence par « {other} », le nom d'une autre source" if other else \
            f"ne commence pas par le nom de la source « {source.name} »"
        return (f"{name} : le nom du fichier {found}, alors qu'il est déposé dans le dossier « {source.name} » ; "
                f"déposer le fichier dans le dossier de sa source, ou le renommer (attendu {expected}).")
    period = lower[len(source.name) + 1:].split("_", 1)[0]
    pattern, wanted = PERIODS[source.cadence]
    if not re.fullmatch(pattern, period):
        shown = name[len(source.name) + 1:].split("_", 1)[0]
        what = "période absente du nom du fichier" if period == "extrait" else f"période « {shown} » invalide"
        return f"{name} : {what} pour une source {source.cadence} (attendu {wanted}, dans un nom {expected})."
    return None


def normalise_header(header: str) -> str:
    """Compare headers without case, accents, punctuation or repeated spaces."""
    # Typographic apostrophes and the degree/ordinal signs of "N°" become spaces ("N°dossier", "l’aide").
    text = re.sub(r"[’'`°º]", " ", header)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^a-z0-9]+", " ", text.lower())
    return " ".join(text.split())
