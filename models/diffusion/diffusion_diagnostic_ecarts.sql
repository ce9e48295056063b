{{ config(alias='diagnostic_ecarts') }}

-- Diagnostic comparison for diffusion. A computed value is masked when one of the counts it is made of is
-- masked in the diffusion marts for the zone it is computed on and one year of its period (the Ternois, made of
-- a single EPCI, and the territory masked with it); published values are always shown. The departmental
-- comparison is never masked (the département level never is).
with ecarts as (
    select * from {{ ref('diagnostic_ecarts') }}
),

correspondance as (
    select * from {{ ref('correspondance_indicateurs') }}
),

cellules as (
    select * from {{ ref('int_diffusion__cellules_masquees') }}
),

-- The years a computed value sums over: its period, back to the reference year of an evolution.
annees as (
    select
        ecarts.*,
        coalesce(ecarts.annee_reference, try_cast(split_part(ecarts.periode_calculee, '-', 1) as integer))
            as premiere_annee,
        coalesce(
            try_cast(nullif(split_part(ecarts.periode_calculee, '-', 2), '') as integer),
            try_cast(split_part(ecarts.periode_calculee, '-', 1) as integer)
        ) as annee_fin
    from ecarts
),

epci_arrondissement as (
    select distinct
        code_epci,
        code_arrondissement
    from {{ ref('int_geo__communes') }}
),

-- The cells a computed value is made of: its numerator columns in its zone, its denominator in the
-- denominator's zone (an arrondissement is made of its EPCI cells).
composants as (
    select
        annees.id_valeur,
        annees.niveau_calcul as niveau,
        annees.code_zone_calcul as code_zone,
        unnest(string_split(correspondance.numerateur, '+')) as colonne
    from annees
    inner join correspondance on annees.code_indicateur = correspondance.code_indicateur
    union all
    select
        annees.id_valeur,
        case
            when annees.niveau_denominateur = 'arrondissement' then 'epci' else annees.niveau_denominateur
        end as niveau,
        coalesce(epci_arrondissement.code_epci, annees.code_zone_denominateur) as code_zone,
        correspondance.denominateur as colonne
    from annees
    inner join correspondance on annees.code_indicateur = correspondance.code_indicateur
    left join epci_arrondissement
        on
            annees.niveau_denominateur = 'arrondissement'
            and annees.code_zone_denominateur = epci_arrondissement.code_arrondissement
    where correspondance.denominateur is not null
),

masques as (
    select
        annees.id_valeur,
        bool_or(cellules.annee between annees.premiere_annee and annees.annee_fin) as meme_annee,
        bool_or(
            cellules.annee = annees.derniere_annee
            or cellules.annee = annees.derniere_annee - correspondance.evolution_sur_annees
        ) as derniere
    from annees
    inner join correspondance on annees.code_indicateur = correspondance.code_indicateur
    inner join composants on annees.id_valeur = composants.id_valeur
    inner join cellules
        on
            composants.niveau = cellules.niveau
            and composants.code_zone = cellules.code_zone
            and (
                composants.colonne = cellules.colonne
                -- a figure published as text ranks every column of its prefix
                or (correspondance.nb_premiers is not null and starts_with(cellules.colonne, composants.colonne))
            )
    group by annees.id_valeur
)

select
    ecarts.* replace (
        case when masques.meme_annee then null else ecarts.numerateur_calcule end as numerateur_calcule,
        case when masques.meme_annee then null else ecarts.denominateur_calcule end as denominateur_calcule,
        case when masques.meme_annee then null else ecarts.valeur_calculee end as valeur_calculee,
        case when masques.meme_annee then null else ecarts.valeur_calculee_texte end as valeur_calculee_texte,
        case when masques.meme_annee then null else ecarts.ecart_calcule_publie end as ecart_calcule_publie,
        case when masques.meme_annee then null else ecarts.ecart_relatif end as ecart_relatif,
        case when masques.derniere then null else ecarts.numerateur_derniere_annee end as numerateur_derniere_annee,
        case when masques.derniere then null else ecarts.denominateur_derniere_annee end
            as denominateur_derniere_annee,
        case when masques.derniere then null else ecarts.valeur_derniere_annee end as valeur_derniere_annee,
        case when masques.derniere then null else ecarts.valeur_derniere_annee_texte end
            as valeur_derniere_annee_texte,
        case
            when masques.meme_annee or masques.derniere then null else ecarts.evolution_depuis_diagnostic
        end as evolution_depuis_diagnostic
    ),
    coalesce(masques.meme_annee or masques.derniere, false) as secret_statistique
from ecarts
left join masques on ecarts.id_valeur = masques.id_valeur
