"""Calibration of the demo extracts on annex 4 of the PDALHPD 2022-2027 (and its section II).

Two things live here, as plain data:

1. ``TARGETS``: every published figure the demo reproduces, with its year and its line in the plan
   (``seed_line`` of ``annex4_indicators.csv``, the line of the plan's text), the tolerance the tests apply and,
   when a figure cannot be reproduced together with the others, why (``asserted=False`` and a note).
2. The generator inputs (volumes per year and territory, shares, delays) chosen so that the targets come out.
   They are documented where they are not a target themselves ("choix" = our assumption).

Indicator definitions (the marts compute exactly these; the calibration test in tests/test_demo.py too)
------------------------------------------------------------------------------------------------------------
All figures are by territory (``commune_territoire.csv``) of the commune named below; the département is the
sum of the 8 territories. Per key, the ingestion keeps the row of the latest extraction.

SNE (``sne_demandes``, ``sne_attributions``)
- demandes en cours au 31/12/N (stock): demands with ``Date de dépôt initial`` <= 31/12/N and not radiated by
  then (no ``Date de radiation``, or one after 31/12/N); territory of ``Commune souhaitée 1``.
- attributions de l'année N (flow): attribution rows whose ``Date d'attribution`` is in N; territory of
  ``Code commune du logement``.
- tension N = demandes en cours au 31/12/N / attributions de N.
- tension Tk N = demands in that stock whose *smallest* typology in ``Typologies souhaitées`` is Tk /
  attributions of N whose ``Typologie attribuée`` is Tk.
- délai moyen d'attribution N (months) = mean over the attributions of N of
  (``Date d'attribution`` - ``Date de dépôt initial``) in days / 30.4375.
- part des attributions prioritaires = attributions with ``Ménage prioritaire DALO`` = O or
  ``Ménage prioritaire PDALHPD`` = O / attributions.
- part des attributions aux 1er et 2e quartiles = ``Quartile de ressources`` in (1, 2) / attributions.
- part T1 (T1+T2) des demandes: share of the stock whose smallest typology is T1 (T1 or T2).
- "Infocentre SNE janvier 2022" figures (stock au 1er janvier 2022, attributions, délai) are taken as the
  stock at 31/12/2021 and the flows of 2021.

DALO (``dalo``)
- recours déposés N: distinct ``N° recours`` with ``Date de dépôt`` in N; territory of ``Code commune``.
- part du département sur une période: recours of the territory / recours of the département.
- reconnus prioritaires et urgents: recours of the period whose ``Décision`` is PU.

FSL (``fsl``), by year of ``Date de décision``, territory of ``Code commune``
- dossiers enregistrés (accès, maintien, EET): rows of the volet(s) (accès: LI and LNI together).
- aides accordées: ``Décision`` = ACCORD and ``Montant accordé`` > 0; montant = sum of ``Montant accordé``;
  aide moyenne = montant / aides accordées.
- garanties accordées: ``Décision`` = ACCORD, ``Forme de l'aide`` = GARANTIE, ``Garantie de loyer`` = O (no
  amount); "parc public" when ``Type de parc`` = PUBLIC.
- accords de principe: ``Décision`` = ACCORD_PRINCIPE.
- dossiers acceptés (accès): ``Décision`` in (ACCORD, ACCORD_PRINCIPE); dossiers instruits = all rows.
- FSL maintien accordés (territories' "Données 2021"): aides accordées of the volet MAINTIEN.
- EET: volets ENERGIE, EAU, TELEPHONE; EET accordés: ``Décision`` = ACCORD.
- ménages accompagnés ASLL / AML / FAL: rows of the volet (one row per ménage and measure, ``Décision`` =
  ACCORD, ``Forme de l'aide`` = MESURE); montant = sum of ``Montant accordé``; shares of the département.

CCAPEX (``ccapex``), by year of ``Date de l'étape``, territory of ``Code commune``
- number of distinct ``N° procédure`` having an event of the stage in N: assignations (ASSIGNATION), DSF
  réalisés (DSF_REALISE), portes closes (DSF_PORTE_CLOSE), commandements de payer (COMMANDEMENT_PAYER)...
- part des commandements de payer du parc privé: ``Type de bailleur`` in (PERSONNE_PHYSIQUE, PERSONNE_MORALE).
- part des ménages assignés ayant régularisé leur dette: procedures with an ASSIGNATION in N and a later
  DETTE_SOLDEE / procedures with an ASSIGNATION in N.

PPPI (``pppi``), per millésime, sums over communes
- taux de PPPI = sum of ``PPPI total`` / sum of ``Résidences principales privées`` (by territory, EPCI,
  département); parts locataires / propriétaires occupants / avant 1949 = sums / sum of ``PPPI total``.

Tolerance: a figure is reproduced within ``tolerance`` (relative, 5 % by default) at ``echelle`` 1; a share
published as a whole percentage is also accepted within half a point (``precision``), since "1 %" covers
0.5 % to 1.5 %. At other scales counts scale with ``echelle`` and ratios stay the same (with more noise).
"""

from __future__ import annotations

from dataclasses import dataclass

TERRITORIES = ("ARR", "ART", "AUD", "BOU", "CAL", "LEN", "MON", "TER")
DEPT = "D62"  # the département as an "area" of a target

# EPCI (SIREN) named by annex 4
CA_GRAND_CALAIS = "200090751"
CALL = "246200364"  # CA de Lens-Liévin
CAHC = "246200299"  # CA d'Hénin-Carvin
CCHPM = "200069235"  # CC du Haut Pays du Montreuillois
CC_7_VALLEES = "200044030"
CA2BM = "200069029"  # CA des Deux Baies en Montreuillois
CAPSO = "200069037"  # CA du Pays de Saint-Omer
CC_PAYS_DE_LUMBRES = "246201016"
ARRONDISSEMENT_ARRAS = "621"


@dataclass(frozen=True)
class Target:
    indicator: str  # indicator code (annex4_indicators.csv where it exists)
    source: str  # sne, dalo, fsl, ccapex, pppi
    area: str  # territory code, EPCI SIREN, arrondissement code or D62
    year: str  # "2019", "2018-2020", millésime for PPPI
    value: float
    unit: str  # ratio, months, count, pct, eur, rank
    seed_line: int | None  # line of the plan (annex4_indicators.csv seed_line)
    tolerance: float = 0.05
    precision: float = 0.0  # half of it is also accepted (rounded published figures)
    asserted: bool = True  # False: reported, not reachable together with the asserted figures
    bound: str = ""  # "" exact value; "min"/"max": one-sided (value excluded)
    note: str = ""

    def accepts(self, obtained: float) -> bool:
        if self.bound == "min":
            return obtained > self.value
        if self.bound == "max":
            return obtained < self.value
        margin = max(abs(self.value) * self.tolerance, self.precision / 2)
        return abs(obtained - self.value) <= margin + 1e-9


def _t(indicator, source, area, year, value, unit, line, **kw) -> Target:
    return Target(indicator, source, area, str(year), float(value), unit, line, **kw)


TARGETS: tuple[Target, ...] = (
    # ---------------------------------------------------------------- SNE, 2019 (annex 4)
    _t("sne_tension_ratio", "sne", "ART", 2019, 2.1, "ratio", 2591),
    _t("sne_tension_ratio", "sne", "CAL", 2019, 1.9, "ratio", 3062),
    _t("sne_tension_ratio", "sne", "LEN", 2019, 2.1, "ratio", 3211),
    _t("sne_tension_ratio", "sne", "MON", 2019, 4.8, "ratio", 3418),
    _t("sne_tension_ratio", "sne", "TER", 2019, 3.4, "ratio", 3595, note="CC du Ternois = territoire"),
    _t("sne_tension_ratio", "sne", "BOU", 2019, 2.3, "ratio", 2888, note="« correspond à la moyenne »"),
    _t("sne_tension_ratio", "sne", "ARR", 2019, 2.3, "ratio", 2454, bound="min",
       note="« légèrement supérieure à la moyenne départementale » : 2,4 visé"),
    _t("sne_tension_ratio", "sne", DEPT, 2019, 2.3, "ratio", 2591, note="moyenne départementale citée"),
    _t("sne_tension_rank", "sne", "AUD", 2019, 2, "rank", 2765, tolerance=0.0,
       note="2e tension la plus forte après le Montreuillois : 3,6 visé"),
    _t("sne_tension_t1", "sne", "ARR", 2019, 17.6, "ratio", 2454),
    _t("sne_tension_t1", "sne", "ART", 2019, 8.4, "ratio", 2591),
    _t("sne_tension_t1", "sne", "AUD", 2019, 7.6, "ratio", 2765),
    _t("sne_tension_t1", "sne", "CAL", 2019, 3.2, "ratio", 3064),
    _t("sne_tension_t1", "sne", "LEN", 2019, 9.5, "ratio", 3211),
    _t("sne_tension_t1", "sne", DEPT, 2019, 8.1, "ratio", 2454),
    _t("sne_tension_t2", "sne", "AUD", 2019, 7.1, "ratio", 2765),
    _t("sne_tension_t2", "sne", "CAL", 2019, 3.3, "ratio", 3064),
    _t("sne_tension_t2", "sne", "LEN", 2019, 3.9, "ratio", 3211),
    _t("sne_tension_t2", "sne", DEPT, 2019, 4.2, "ratio", 3064),
    _t("sne_attribution_delay_months", "sne", "ART", 2019, 8, "months", 2591),
    _t("sne_attribution_delay_months", "sne", "CAL", 2019, 7, "months", 3062),
    _t("sne_attribution_delay_months", "sne", "LEN", 2019, 11, "months", 3209),
    _t("sne_attribution_delay_months", "sne", "MON", 2019, 12, "months", 3418,
       note="« le plus long des arrondissements », année non précisée"),
    _t("sne_attribution_delay_months", "sne", "TER", 2019, 7, "months", 3585),
    _t("sne_attribution_delay_months", "sne", DEPT, 2019, 10, "months", 2591),
    _t("sne_attribution_delay_months", "sne", "AUD", 2019, 10, "months", 2765, bound="max",
       note="« inférieur à la moyenne départementale de 10 mois »"),
    _t("sne_attributions_count", "sne", "TER", 2019, 94, "count", 3587),
    _t("sne_demand_t1_t2_share_pct", "sne", "TER", 2019, 44.3, "pct", 3587,
       note="stock au 31/12/2019 (infocentre 2020)"),
    _t("sne_demand_t1_t2_share_pct", "sne", DEPT, 2019, 41, "pct", 328, precision=1,
       note="au 1er janvier 2020"),
    _t("sne_demand_t1_share_pct", "sne", DEPT, 2019, 10, "pct", 328, precision=1, note="au 1er janvier 2020"),
    _t("attributions_prioritaires_pct", "sne", "MON", 2020, 19, "pct", 3454, precision=1),
    _t("sne_demandes_en_cours", "sne", DEPT, 2021, 41441, "count", 368, note="au 1er janvier 2022"),
    _t("sne_demandes_satisfaites", "sne", DEPT, 2021, 13007, "count", 368),
    _t("sne_attribution_delay_months", "sne", DEPT, 2021, 10.6, "months", 368,
       note="infocentre janvier 2022, pris comme délai des attributions 2021"),
    _t("sne_attributions_q1_q2_pct", "sne", DEPT, 2021, 36, "pct", 370, precision=1),
    # ---------------------------------------------------------------- DALO (annex 4)
    _t("dalo_recours_count", "dalo", "BOU", 2018, 62, "count", 2927),
    _t("dalo_recours_count", "dalo", "BOU", 2019, 34, "count", 2927),
    _t("dalo_recours_count", "dalo", "BOU", 2020, 33, "count", 2927),
    _t("dalo_recours_count", "dalo", "MON", 2018, 52, "count", 3464),
    _t("dalo_recours_count", "dalo", "MON", 2019, 31, "count", 3464),
    _t("dalo_recours_count", "dalo", "MON", 2020, 15, "count", 3464),
    _t("dalo_recours_count", "dalo", "TER", 2020, 3, "count", 3619),
    _t("dalo_recours_count", "dalo", "CAL", "2018-2020", 24, "count", 3101),
    _t("dalo_reconnus_pu_count", "dalo", "CAL", "2018-2020", 7, "count", 3101),
    _t("dalo_share_of_dept_pct", "dalo", "ARR", "2018-2020", 8, "pct", 2488, precision=1),
    _t("dalo_share_of_dept_pct", "dalo", "AUD", "2018-2020", 3, "pct", 2791, precision=1),
    _t("dalo_share_of_dept_pct", "dalo", "CAL", "2018-2020", 2.4, "pct", 3101, precision=0.1),
    _t("dalo_share_of_dept_pct", "dalo", "MON", "2018-2020", 10, "pct", 3470, precision=1,
       note="« presque 10 % »"),
    _t("dalo_recours_count", "dalo", DEPT, "2018-2020", 1000, "count", None,
       note="déduit : 24 recours = 2,4 % (Calaisis), 98 ≈ 10 % (Montreuillois)"),
    # ---------------------------------------------------------------- FSL (section II, annex 4)
    _t("fsl_acces_dossiers_enregistres", "fsl", DEPT, 2021, 5629, "count", 391),
    _t("fsl_acces_aides_accordees", "fsl", DEPT, 2021, 2046, "count", 392),
    _t("fsl_acces_montant_eur", "fsl", DEPT, 2021, 1459567, "eur", 392),
    _t("fsl_acces_aide_moyenne_eur", "fsl", DEPT, 2021, 713, "eur", 392),
    _t("fsl_acces_aide_moyenne_eur", "fsl", DEPT, 2020, 681, "eur", 392),
    _t("fsl_acces_garanties_loyer", "fsl", DEPT, 2021, 95, "count", 393),
    _t("fsl_acces_garanties_loyer_parc_public", "fsl", DEPT, 2021, 86, "count", 393),
    _t("fsl_acces_garanties_loyer", "fsl", DEPT, 2020, 141, "count", 393),
    _t("fsl_acces_garanties_loyer_parc_public", "fsl", DEPT, 2020, 127, "count", 393),
    _t("fsl_acces_dossiers_instruits", "fsl", "BOU", 2019, 453, "count", 2929),
    _t("fsl_acces_dossiers_acceptes", "fsl", "BOU", 2019, 300, "count", 2929),
    _t("fsl_maintien_dossiers_enregistres", "fsl", DEPT, 2021, 1292, "count", 499),
    _t("fsl_maintien_aides_accordees", "fsl", DEPT, 2021, 744, "count", 500),
    _t("fsl_maintien_montant_eur", "fsl", DEPT, 2021, 1090199, "eur", 500),
    _t("fsl_maintien_aide_moyenne_eur", "fsl", DEPT, 2021, 1465, "eur", 500),
    _t("fsl_maintien_aide_moyenne_eur", "fsl", DEPT, 2020, 1411, "eur", 500),
    _t("fsl_maintien_accords_principe", "fsl", DEPT, 2021, 187, "count", 500),
    _t("fsl_maintien_garanties_loyer", "fsl", DEPT, 2021, 69, "count", 501),
    _t("fsl_maintien_dossiers_accordes", "fsl", "ARR", 2021, 89, "count", 2549),
    _t("fsl_maintien_dossiers_accordes", "fsl", "ART", 2021, 162, "count", 2711),
    _t("fsl_maintien_dossiers_accordes", "fsl", "AUD", 2021, 36, "count", 2856),
    _t("fsl_maintien_dossiers_accordes", "fsl", "BOU", 2021, 97, "count", 3020),
    _t("fsl_maintien_dossiers_accordes", "fsl", "CAL", 2021, 52, "count", 3162),
    _t("fsl_maintien_dossiers_accordes", "fsl", "LEN", 2021, 258, "count", 3348),
    _t("fsl_maintien_dossiers_accordes", "fsl", "MON", 2021, 43, "count", 3549),
    _t("fsl_maintien_dossiers_accordes", "fsl", "ARR", 2019, 724, "count", 2551, asserted=False,
       note="« 724 … contre 710 en moyenne » : incohérent avec 89 en 2021 (annexe §6.6), non reproduit"),
    _t("fsl_eet_dossiers_enregistres", "fsl", "LEN", 2019, 734, "count", 3229),
    _t("fsl_eet_dossiers_accordes", "fsl", "LEN", 2019, 515, "count", 3229),
    _t("fsl_asll_menages", "fsl", DEPT, 2021, 2783, "count", 428),
    _t("fsl_asll_montant_eur", "fsl", DEPT, 2021, 2452583, "eur", 428),
    _t("fsl_aml_menages", "fsl", DEPT, 2021, 201, "count", 429),
    _t("fsl_aml_montant_eur", "fsl", DEPT, 2021, 203705, "eur", 429),
    _t("fsl_fal_menages", "fsl", DEPT, 2021, 695, "count", 430),
    _t("fsl_fal_montant_eur", "fsl", DEPT, 2021, 582908, "eur", 430),
    _t("fsl_asll_menages", "fsl", "TER", 2019, 53, "count", 3658),
    _t("fsl_aml_menages", "fsl", "ARR", 2019, 122, "count", 2510),
    _t("fsl_aml_menages", "fsl", "TER", 2019, 2, "count", 3656, tolerance=0.0),
    _t("fsl_fal_menages", "fsl", "TER", 2019, 7, "count", 3656, tolerance=0.0),
    *(_t("fsl_aml_share_of_dept_pct", "fsl", a, 2019, v, "pct", line, precision=1)
      for a, v, line in (("ARR", 51, 2510), ("ART", 7, 2695), ("AUD", 6, 2841), ("CAL", 14, 3150),
                         ("LEN", 19, 3317), ("MON", 2, 3525), ("TER", 1, 3656))),
    *(_t("fsl_fal_share_of_dept_pct", "fsl", a, 2019, v, "pct", line, precision=1)
      for a, v, line in (("ART", 18, 2695), ("AUD", 5, 2841), ("BOU", 10, 2987), ("CAL", 18, 3150),
                         ("LEN", 23, 3317), ("MON", 4, 3525), ("TER", 1, 3656))),
    _t("fsl_fal_share_of_dept_pct", "fsl", "ARR", 2019, 21, "pct", None, precision=1,
       note="déduit : 100 % moins les parts publiées des 7 autres territoires"),
    # ---------------------------------------------------------------- CCAPEX ("Données 2021", 2019)
    *(_t("ccapex_assignations", "ccapex", a, 2021, v, "count", line)
      for a, v, line in (("ARR", 279, 2546), ("ART", 565, 2708), ("AUD", 151, 2853), ("BOU", 297, 3017),
                         ("CAL", 172, 3159), ("LEN", 1085, 3345), ("MON", 146, 3546))),
    *(_t("ccapex_dsf_realises", "ccapex", a, 2021, v, "count", line)
      for a, v, line in (("ARR", 125, 2547), ("ART", 340, 2709), ("AUD", 63, 2854), ("BOU", 152, 3018),
                         ("CAL", 74, 3160), ("LEN", 452, 3346), ("MON", 68, 3547))),
    *(_t("ccapex_dsf_portes_closes", "ccapex", a, 2021, v, "count", line)
      for a, v, line in (("ARR", 104, 2548), ("ART", 195, 2710), ("AUD", 48, 2855), ("BOU", 105, 3019),
                         ("CAL", 73, 3161), ("LEN", 375, 3347), ("MON", 51, 3548))),
    _t("ccapex_assignations", "ccapex", "BOU", 2019, 287, "count", 3022),
    _t("ccapex_assignations", "ccapex", "LEN", 2019, 1132, "count", 3350),
    _t("ccapex_assignations", "ccapex", DEPT, 2019, 2795, "count", 493),
    _t("ccapex_assignations", "ccapex", DEPT, 2021, 2158, "count", 493, asserted=False,
       note="section II ; la somme des 7 territoires de l'annexe fait 2 695 (annexe §6.5) : l'annexe prime"),
    _t("ccapex_dsf_realises", "ccapex", DEPT, 2021, 1214, "count", 502, asserted=False,
       note="section II ; somme des territoires de l'annexe : 1 274 (+ Ternois)"),
    _t("ccapex_dsf_portes_closes", "ccapex", DEPT, 2021, 941, "count", 502, tolerance=0.06,
       note="section II ; somme des territoires de l'annexe : 951 (+ Ternois)"),
    _t("ccapex_commandements_payer_share_of_arrondissement_pct", "ccapex", "TER", 2020, 16, "pct", 3689,
       tolerance=0.1, note="« environ 16 % » des commandements de payer de l'arrondissement d'Arras"),
    _t("ccapex_commandements_payer_parc_prive_pct", "ccapex", "TER", 2020, 75, "pct", 3689, tolerance=0.1,
       note="~70 commandements de payer dans l'année : ±10 %"),
    # ---------------------------------------------------------------- PPPI, millésime 2017
    *(_t("pppi_pct", "pppi", a, 2017, v, "pct", line)
      for a, v, line in (("ARR", 5, 2458), ("ART", 7, 2605), ("AUD", 6.7, 2769), ("BOU", 7.4, 2894),
                         ("CAL", 9.99, 3074), ("TER", 8.6, 3601))),
    _t("pppi_pct_epci", "pppi", CAPSO, 2017, 6.7, "pct", 2769, note="« identique sur les deux EPCI »"),
    _t("pppi_pct_epci", "pppi", CC_PAYS_DE_LUMBRES, 2017, 6.7, "pct", 2769),
    _t("pppi_pct_epci", "pppi", CA_GRAND_CALAIS, 2017, 11.1, "pct", 3076),
    _t("pppi_pct_epci", "pppi", CALL, 2017, 5.3, "pct", 3227),
    _t("pppi_pct_epci", "pppi", CAHC, 2017, 4.4, "pct", 3227),
    _t("pppi_pct_epci", "pppi", CCHPM, 2017, 10.1, "pct", 3426),
    _t("pppi_pct_epci", "pppi", CC_7_VALLEES, 2017, 7.7, "pct", 3426),
    _t("pppi_pct", "pppi", DEPT, 2017, 6.5, "pct", 2458, note="moyenne départementale citée par l'annexe 4"),
    _t("pppi_logements", "pppi", DEPT, 2017, 29013, "count", 537),
    _t("pppi_pct", "pppi", DEPT, 2017, 6.18, "pct", 537, asserted=False,
       note="section II ; les taux des territoires de l'annexe (moyenne citée 6,5 %) donnent ~6,5 %"),
    _t("pppi_logements", "pppi", DEPT, 2013, 40323, "count", 537),
    _t("pppi_pct", "pppi", DEPT, 2013, 8, "pct", 537, asserted=False,
       note="incompatible avec 40 323 logements et un parc privé stable ; le nombre est retenu"),
    _t("pppi_locataires_pct", "pppi", DEPT, 2017, 58.8, "pct", 538),
    _t("pppi_po_pct", "pppi", DEPT, 2017, 38.57, "pct", 538),
    _t("pppi_pct_epci", "pppi", CA_GRAND_CALAIS, 2017, 10.46, "pct", 540, asserted=False,
       note="section II ; l'annexe 4 donne 11,1 % (retenu)"),
    _t("pppi_pct_epci", "pppi", CCHPM, 2017, 9.65, "pct", 540, asserted=False,
       note="section II ; l'annexe 4 donne 10,1 % (retenu)"),
    _t("pppi_avant_1949_pct", "pppi", DEPT, 2017, 77, "pct", None, precision=1,
       note="PDLHI 31/01/2019 (data_formats §4.6)"),
)


def targets(source: str | None = None, asserted: bool | None = None) -> list[Target]:
    return [t for t in TARGETS if (source is None or t.source == source)
            and (asserted is None or t.asserted == asserted)]


# ==============================================================================================================
# Generator inputs. "Choix" marks an assumption; other values are derived from the targets above.

FIRST_YEAR = 2018
LAST_MODELLED_YEAR = 2040  # schedules are flat after their last given year


def by_year(table: dict[int, float], year: int) -> float:
    """Value of a year-indexed schedule, flat before its first and after its last year."""
    years = sorted(table)
    if year <= years[0]:
        return table[years[0]]
    if year >= years[-1]:
        return table[years[-1]]
    return table[year]


# ---------------------------------------------------------------- SNE
# Attributions in the département per year. 2021 = 13 007 (section II); 2024 = 2019 - 21 % (préfet's review).
SNE_ATTRIBUTIONS = {2017: 16400, 2018: 16300, 2019: 16000, 2020: 13600, 2021: 13007, 2022: 12900,
                    2023: 12750, 2024: 12640, 2025: 12550, 2026: 12500}
# Share of the département's attributions by territory (choix, from the social stock; Ternois: 94 in 2019).
SNE_ATTRIBUTION_SHARE = {"ARR": 0.105, "ART": 0.21, "AUD": 0.045, "BOU": 0.11, "CAL": 0.12, "LEN": None,
                         "MON": 0.034, "TER": 94 / 16000}
SNE_ATTRIBUTION_SHARE["LEN"] = 1 - sum(v for v in SNE_ATTRIBUTION_SHARE.values() if v is not None)
# Tension 2019 by territory: targets, plus ARR "slightly above 2.3" and AUD second highest (choix 2.4 / 3.6).
SNE_TENSION_2019 = {"ARR": 2.4, "ART": 2.1, "AUD": 3.6, "BOU": 2.3, "CAL": 1.9, "LEN": 2.1, "MON": 4.8, "TER": 3.4}
# Stock at 31/12 relative to 2019 (2021: 41 441 demands; 2024: +26 % over five years).
SNE_STOCK_INDEX = {2017: 0.975, 2018: 0.99, 2019: 1.0, 2020: 1.06, 2021: None, 2022: 1.17, 2023: 1.215,
                   2024: 1.26, 2025: 1.285, 2026: 1.30, 2027: 1.31, 2028: 1.32}
_stock_2019 = sum(SNE_ATTRIBUTIONS[2019] * SNE_ATTRIBUTION_SHARE[t] * SNE_TENSION_2019[t] for t in TERRITORIES)
SNE_STOCK_INDEX[2021] = 41441 / _stock_2019
# Délai moyen d'attribution 2019 (months): targets; ARR and BOU (choix) make the département 10 months while
# staying under the Montreuillois (12, "le plus long"); AUD under 10.
SNE_DELAY_2019 = {"ARR": 11.8, "ART": 8.0, "AUD": 9.5, "BOU": 11.7, "CAL": 7.0, "LEN": 11.0, "MON": 12.0,
                  "TER": 7.0}
SNE_DELAY_GROWTH = 0.03  # per year after 2019, until 2026 (2021: 10.6 months in the département)
SNE_DELAY_GROWTH_UNTIL = 2026

# Typologies (T1..T6): share of the stock by smallest wished typology (choix; département T1 10 %,
# T1+T2 41 % at 01/01/2020; Ternois T1+T2 44.3 %).
SNE_STOCK_TYPOLOGY = {
    "ARR": (0.12, 0.29, 0.33, 0.18, 0.065, 0.015),
    "ART": (0.10, 0.31, 0.34, 0.18, 0.06, 0.01),
    "AUD": (0.10, 0.32, 0.33, 0.18, 0.06, 0.01),
    "BOU": (0.10, 0.31, 0.34, 0.18, 0.06, 0.01),
    "CAL": (0.07, 0.28, 0.33, 0.20, 0.10, 0.02),
    "LEN": (0.10, 0.31, 0.35, 0.17, 0.06, 0.01),
    "MON": (0.11, 0.33, 0.32, 0.17, 0.06, 0.01),
    "TER": (0.11, 0.333, 0.31, 0.18, 0.057, 0.01),
}
# Tension T1 / T2 2019: targets; None = solved so that the département makes 8.1 (T1) and 4.2 (T2).
SNE_TENSION_T1 = {"ARR": 17.6, "ART": 8.4, "AUD": 7.6, "BOU": None, "CAL": 3.2, "LEN": 9.5, "MON": 12.0,
                  "TER": None}
SNE_TENSION_T2 = {"ARR": None, "ART": None, "AUD": 7.1, "BOU": None, "CAL": 3.3, "LEN": 3.9, "MON": 7.0,
                  "TER": None}
SNE_TENSION_T1_DEPT = 8.1
SNE_TENSION_T2_DEPT = 4.2
# Ternois attributions 2019 by typology (annex: T2 19 %, T3 38.3 %, T4 36 %).
SNE_TER_ATTRIBUTION_TYPOLOGY = (0.025, 0.19, 0.383, 0.36, 0.035, 0.007)
SNE_ATTRIBUTION_T3_T6_PROFILE = (0.45, 0.37, 0.145, 0.035)  # T3..T6 of what is left (choix)

# Other attributes (choix unless stated)
SNE_MUTATION_SHARE = {"LEN": 0.45}  # demands; CALL "50 % des demandeurs"; others 0.37 (HdF 39 %)
SNE_MUTATION_DEFAULT = 0.37
SNE_PRIORITAIRE_SHARE = {"MON": 0.19}  # attributions to ménages prioritaires (MON 19 % in 2020)
SNE_PRIORITAIRE_DEFAULT = 0.23
SNE_PRIORITAIRE_DALO_SHARE = 0.035  # of attributions, included in the prioritaires
# Quartiles: 36 % of 2021 attributions to Q1+Q2, 50.8 % of prioritaires' attributions in Q1+Q2.
SNE_QUARTILES_PRIORITAIRES = (0.30, 0.208, 0.272, 0.22)
SNE_QUARTILES_Q1Q2 = 0.36
SNE_QPV_SHARE = {"LEN": 0.38, "CAL": 0.35, "BOU": 0.33, "ART": 0.28, "ARR": 0.25, "AUD": 0.22, "MON": 0.08,
                 "TER": 0.0}
SNE_RESERVATAIRES = {"PREFET": 0.26, "ACTION_LOGEMENT": 0.21, "COLLECTIVITE": 0.14, "BAILLEUR": 0.39}
SNE_MOTIFS_DEMANDE = {"SANS_LOGEMENT": 0.14, "STRUCTURE_HEBERGEMENT": 0.04, "EXPULSION": 0.025,
                      "VIOLENCES_FAMILIALES": 0.03, "LOGEMENT_NON_DECENT": 0.05, "LOGEMENT_INSALUBRE": 0.015,
                      "TROP_PETIT": 0.14, "TROP_CHER": 0.13, "TROP_GRAND": 0.04, "HANDICAP": 0.04, "SANTE": 0.05,
                      "DIVORCE_SEPARATION": 0.09, "DECOHABITATION": 0.07, "RAPPROCHEMENT": 0.06,
                      "DEMOLITION": 0.01, "AUTRE": 0.05}
SNE_PRIORITAIRE_DEMANDE = 0.20  # demands flagged prioritaire PDALHPD
SNE_DALO_DEMANDE = 0.012
# Radiations other than attribution: motif mix and mean duration since dépôt (months); non-renewal happens
# one month after an anniversary of the demand.
SNE_RADIATION_MIX = {"NON_RENOUVELLEMENT": 0.55, "RENONCIATION": 0.2, "ABSENCE_REPONSE": 0.12,
                     "IRRECEVABILITE": 0.08, "FUSION": 0.05}
SNE_RADIATION_MEAN_MONTHS = {"RENONCIATION": 10, "ABSENCE_REPONSE": 14, "IRRECEVABILITE": 7, "FUSION": 20}
SNE_RENEWAL_KEEP = 0.45  # probability to renew once more at each anniversary (non-renewed demands)
# Age of the applicant at dépôt: (min, max, share); under 25: 16 %.
SNE_AGES = ((18, 24, 0.16), (25, 29, 0.14), (30, 39, 0.22), (40, 49, 0.18), (50, 59, 0.14), (60, 74, 0.12),
            (75, 92, 0.04))

# ---------------------------------------------------------------- DALO
# Recours déposés by territory and year 2018-2020 (BOU, MON, TER 2020 published; CAL 24 over 3 years;
# ARR 8 %, AUD 3 %; MON 9.8 % ≈ "presque 10 %"; département ≈ 1 000; LEN and ART: the rest, choix).
DALO_RECOURS = {
    "ARR": {2018: 35, 2019: 25, 2020: 20},
    "ART": {2018: 40, 2019: 30, 2020: 26},
    "AUD": {2018: 12, 2019: 10, 2020: 8},
    "BOU": {2018: 62, 2019: 34, 2020: 33},
    "CAL": {2018: 10, 2019: 8, 2020: 6},
    "LEN": {2018: 230, 2019: 175, 2020: 128},
    "MON": {2018: 52, 2019: 31, 2020: 15},
    "TER": {2018: 4, 2019: 3, 2020: 3},
}
# Later years: département total ("hausse importante en 2021"), split like 2018-2020.
DALO_DEPT_LATER = {2021: 400, 2022: 440, 2023: 480, 2024: 510, 2025: 530, 2026: 540}
DALO_HEBERGEMENT_SHARE = 0.07
DALO_DECISIONS_LOGEMENT = {"PU": 0.33, "REJET": 0.42, "SANS_OBJET": 0.12, "REORIENTATION": 0.05,
                           "NON_EXAMINE": 0.08}
DALO_DECISIONS_HEBERGEMENT = {"PDA": 0.45, "REJET": 0.35, "SANS_OBJET": 0.1, "NON_EXAMINE": 0.1}
DALO_PU_SHARE = {"CAL": 7 / 24}  # Calaisis: 7 PU out of 24 (2018-2020)
# Main motives per territory (annex §2.2.4): first and second most frequent.
DALO_MOTIVES = {
    "ARR": ("DELAI_ANORMAL", "DEPOURVU_LOGEMENT"),
    "ART": ("DELAI_ANORMAL", "DEPOURVU_LOGEMENT"),
    "AUD": ("DELAI_ANORMAL", "MENACE_EXPULSION"),
    "BOU": ("DELAI_ANORMAL", "DEPOURVU_LOGEMENT"),
    "CAL": ("DELAI_ANORMAL", "SUROCCUPATION"),
    "LEN": ("DELAI_ANORMAL", "DEPOURVU_LOGEMENT"),
    "MON": ("MENACE_EXPULSION", "DELAI_ANORMAL"),
    "TER": ("DELAI_ANORMAL", "DEPOURVU_LOGEMENT"),
}
# Typology asked: ARR T3 predominant (T1-T2 to T4), CAL mostly T4/T5/T6 (annex), default (choix).
DALO_TYPOLOGY = {"ARR": (0.08, 0.22, 0.42, 0.22, 0.05, 0.01), "CAL": (0.04, 0.12, 0.2, 0.34, 0.22, 0.08)}
DALO_TYPOLOGY_DEFAULT = (0.14, 0.28, 0.3, 0.18, 0.08, 0.02)
DALO_HANDICAP_FROM = 2022  # loi 3DS: new motive

# ---------------------------------------------------------------- FSL
# Territory weights (population x poverty index, choix) for volets without published split.
FSL_POVERTY_INDEX = {"ARR": 0.8, "ART": 1.05, "AUD": 0.95, "BOU": 1.1, "CAL": 1.2, "LEN": 1.2, "MON": 0.9,
                     "TER": 0.85}
FSL_ACCES_DOSSIERS = {2017: 5100, 2018: 5150, 2019: 5300, 2020: 5053, 2021: 5629, 2022: 5800, 2023: 5950,
                      2024: 6050, 2025: 6150, 2026: 6200}  # 2020 = 5 629 / 1.114
FSL_ACCES_AIDES = {2017: 1880, 2018: 1900, 2019: 1950, 2020: 1880, 2021: 2046}  # later: 36.3 % of dossiers
FSL_ACCES_AIDE_MOYENNE = {2017: 650, 2018: 660, 2019: 670, 2020: 681, 2021: 713, 2022: 730, 2023: 745,
                          2024: 755, 2025: 765, 2026: 775}
FSL_ACCES_GARANTIES = {2017: 165, 2018: 160, 2019: 150, 2020: 141, 2021: 95, 2022: 90}
FSL_ACCES_GARANTIES_PUBLIC = {2020: 127 / 141, 2021: 86 / 95}  # other years 0.88
FSL_ACCES_PRINCIPE_SHARE = 0.16  # accords de principe (logement non identifié)
FSL_ACCES_REJECTS = {"REFUS": 0.22, "AJOURNE": 0.08, "SANS_SUITE": 0.06}  # of dossiers
FSL_ACCES_LNI_SHARE = 0.30
# Boulonnais 2019: 453 dossiers instruits, 300 acceptés (ACCORD or ACCORD_PRINCIPE).
FSL_ACCES_BOU_2019 = (453, 300)
FSL_MAINTIEN_DOSSIERS = {2017: 1240, 2018: 1250, 2019: 1265, 2020: 1279, 2021: 1292, 2022: 1320, 2023: 1350,
                         2024: 1370, 2025: 1390, 2026: 1400}
FSL_MAINTIEN_AIDES = {2017: 720, 2018: 725, 2019: 730, 2020: 737, 2021: 744}  # later 57.6 % of dossiers
FSL_MAINTIEN_AIDE_MOYENNE = {2017: 1340, 2018: 1360, 2019: 1380, 2020: 1411, 2021: 1465, 2022: 1490,
                             2023: 1510, 2024: 1530, 2025: 1550, 2026: 1560}
FSL_MAINTIEN_MAX = 3000.0  # "3 000 € maximum"
FSL_MAINTIEN_PRINCIPE_SHARE = 187 / 1292
FSL_MAINTIEN_GARANTIES_SHARE = 69 / 1292
# Maintien accordés 2021 by territory (annex "Données 2021"; Ternois: 744 - 737 = 7). Used every year.
FSL_MAINTIEN_ACCORDES_2021 = {"ARR": 89, "ART": 162, "AUD": 36, "BOU": 97, "CAL": 52, "LEN": 258, "MON": 43,
                              "TER": 7}
FSL_MAINTIEN_PUBLIC_SHARE = 0.72
FSL_MAINTIEN_EXPULSION_SHARE = 0.43  # FPEL: 43 % of applicants already in an eviction procedure
# Eau, énergie, téléphone: dossiers 2019 (data_formats §3.6: fluides 60-70 % of the aid decisions),
# yearly index, accord rate, mean amounts. Lens-Hénin 2019: 734 dossiers, 515 accordés.
FSL_EET_DOSSIERS_2019 = {"ENERGIE": 7000, "EAU": 2200, "TELEPHONE": 800}
FSL_EET_INDEX = {2017: 1.03, 2018: 1.02, 2019: 1.0, 2020: 0.96, 2021: 1.0, 2022: 1.08, 2023: 1.12, 2024: 1.08,
                 2025: 1.06, 2026: 1.05}
FSL_EET_ACCORD_RATE = 0.70
FSL_EET_AIDE_MOYENNE = {"ENERGIE": 290.0, "EAU": 240.0, "TELEPHONE": 95.0}  # 2019, +3 %/year after
FSL_EET_LEN_2019 = (734, 515)
# Accompaniment: ménages per year, cost per ménage (2021 = section II) and territory split.
FSL_ACCOMPAGNEMENT = {
    "ASLL": {2017: 2550, 2018: 2600, 2019: 2650, 2020: 2700, 2021: 2783, 2022: 2820, 2023: 2850, 2024: 2880,
             2025: 2900, 2026: 2910},
    "AML": {2017: 225, 2018: 230, 2019: 239, 2020: 215, 2021: 201, 2022: 205, 2023: 210, 2024: 212,
            2025: 214, 2026: 215},
    "FAL": {2017: 680, 2018: 690, 2019: 700, 2020: 698, 2021: 695, 2022: 700, 2023: 705, 2024: 710,
            2025: 712, 2026: 715},
}
FSL_ACCOMPAGNEMENT_COUT_2021 = {"ASLL": 2452583 / 2783, "AML": 203705 / 201, "FAL": 582908 / 695}
# Shares of the département (AML 2019: A 122 ménages = 51 %, T 2; FAL 2019: T 7, A the 21 % left; ASLL:
# Ternois 53 of 2 650, others by population x poverty).
FSL_AML_SHARE = {"ARR": 122 / 239, "ART": 17 / 239, "AUD": 14 / 239, "BOU": 0.0, "CAL": 33 / 239,
                 "LEN": 46 / 239, "MON": 5 / 239, "TER": 2 / 239}
FSL_FAL_SHARE = {"ARR": 0.21, "ART": 0.18, "AUD": 0.05, "BOU": 0.10, "CAL": 0.18, "LEN": 0.23, "MON": 0.04,
                 "TER": 0.01}
FSL_ASLL_TER_SHARE = 53 / 2650
FSL_MOTIFS_REFUS = ("Ressources supérieures au barème", "Dossier incomplet", "Loyer inadapté aux ressources",
                    "Aide déjà accordée dans les cinq ans", "Dette non éligible", "Absence de reprise du paiement")

# ---------------------------------------------------------------- CCAPEX
# Assignations by territory: 2019 (BOU 287, LEN 1 132, département 2 795; others like 2021, choix) and
# 2021 (annex "Données 2021"; Ternois "stable", choix 50 / 48).
CCAPEX_ASSIGNATIONS = {
    "ARR": {2019: 282, 2021: 279}, "ART": {2019: 569, 2021: 565}, "AUD": {2019: 153, 2021: 151},
    "BOU": {2019: 287, 2021: 297}, "CAL": {2019: 174, 2021: 172}, "LEN": {2019: 1132, 2021: 1085},
    "MON": {2019: 148, 2021: 146}, "TER": {2019: 50, 2021: 48},
}
# Other years relative to 2019 (before) or 2021 (after): covid dip in 2020, rise after 2022 (HdF).
CCAPEX_INDEX = {2016: 1.0, 2017: 1.0, 2018: 1.0, 2020: 0.74, 2022: 1.08, 2023: 1.15, 2024: 1.2, 2025: 1.22,
                2026: 1.22}
# DSF réalisés / portes closes per assignation (annex 2021 ratios).
CCAPEX_DSF_2021 = {"ARR": (125, 104), "ART": (340, 195), "AUD": (63, 48), "BOU": (152, 105), "CAL": (74, 73),
                   "LEN": (452, 375), "MON": (68, 51), "TER": None}
# Commandements de payer per assignation (Artois: ~1 000 courriers for ~550 assignations); Ternois: 16 % of
# the CDP of the arrondissement d'Arras (ARR + TER).
CCAPEX_CDP_PER_ASSIGNATION = 1.8
CCAPEX_TER_CDP_SHARE_ARRONDISSEMENT = 0.16
CCAPEX_CDP_PRIVE_SHARE = 0.75  # Ternois, DDETS 2020; applied everywhere
CCAPEX_MOTIFS = {"IMPAYES": 0.88, "CONGE_VENTE_REPRISE": 0.06, "OCCUPATION_SANS_TITRE": 0.04, "TROUBLES": 0.02}
CCAPEX_BAILLEURS_ASSIGNES = {"PERSONNE_PHYSIQUE": 0.42, "PERSONNE_MORALE": 0.16, "BAILLEUR_SOCIAL": 0.42}
CCAPEX_BAILLEURS_ASSIGNES_LEN = {"PERSONNE_PHYSIQUE": 0.30, "PERSONNE_MORALE": 0.15, "BAILLEUR_SOCIAL": 0.55}
CCAPEX_JUGEMENTS = {"EXPULSION": 0.6, "DELAIS": 0.3, "REJET": 0.1}
CCAPEX_EXIT_BEFORE_JUDGMENT = {"DETTE_SOLDEE": 0.09, "PROTOCOLE": 0.06}
CCAPEX_AFTER_EXPULSION = {"CQL": 0.6, "DETTE_SOLDEE": 0.08, "PROTOCOLE": 0.07}  # the rest: nothing recorded
CCAPEX_AFTER_DELAIS = {"DETTE_SOLDEE": 0.35, "PROTOCOLE": 0.15}
CCAPEX_CFP_REQUEST = 0.92  # of CQL
CCAPEX_CFP_DECISION = {"ACCORDE": 0.57, "REFUSE": 0.25}  # the rest: no answer yet
CCAPEX_CFP_RENEW = {"REFUSE": 0.75, "NONE": 0.8}  # second request after a refusal / no answer
CCAPEX_EXPULSION_EFFECTIVE = 0.52  # of CFP accordés
CCAPEX_NON_ASSIGNED_EXITS = {"DETTE_SOLDEE": 0.35, "PROTOCOLE": 0.2}
# Winter truce (no expulsion), extended by the covid measures in 2020 and 2021.
CCAPEX_TRUCE_EXTENDED_END = {2020: (7, 10), 2021: (5, 31)}  # (month, day) the truce ended that spring

# ---------------------------------------------------------------- PPPI
PPPI_MILLESIMES = (2013, 2015, 2017, 2019, 2021, 2023)
PPPI_ALWAYS = (2013, 2015, 2017)  # written whatever ``jusqua``: the baseline
PPPI_PERSONS_PER_RP = 2.3
# Private share of main residences by territory (choix; Lens-Hénin has the most social housing); rescaled
# by one factor so that the département makes 29 013 PPPI in 2017.
PPPI_PRIVATE_SHARE = {"ARR": 0.78, "ART": 0.68, "AUD": 0.72, "BOU": 0.70, "CAL": 0.70, "LEN": 0.58, "MON": 0.80,
                      "TER": 0.84}
PPPI_RATE_2017 = {"ARR": 5.0, "ART": 7.0, "AUD": 6.7, "BOU": 7.4, "CAL": 9.99, "LEN": None, "MON": None,
                  "TER": 8.6}
# EPCI rates 2017 (%): published ones, and a relative factor for the others (choix) rescaled to the territory.
PPPI_EPCI_RATE_2017 = {CA_GRAND_CALAIS: 11.1, CALL: 5.3, CAHC: 4.4, CCHPM: 10.1, CC_7_VALLEES: 7.7, CA2BM: 6.2,
                       CAPSO: 6.7, CC_PAYS_DE_LUMBRES: 6.7}
PPPI_EPCI_FACTOR = {"200033579": 1.1, "200044048": 0.9, "200069482": 0.95, "200035442": 1.0,  # Arrageois
                    "200072460": 1.0, "245900758": 0.8,  # Artois
                    "246200729": 1.05, "200018083": 0.95, "246200380": 0.85}  # Boulonnais
PPPI_COUNT_INDEX = {2013: 40323 / 29013, 2015: 1.18, 2017: 1.0, 2019: 0.955, 2021: 0.92, 2023: 0.89}
PPPI_RP_GROWTH = 0.004  # per year
PPPI_LOCATAIRES = 0.588
PPPI_PO = 0.3857
PPPI_CAT6 = 0.38
PPPI_AVANT_1949 = 0.77
