{{ config(alias='diagnostic_ecarts') }}

-- Diagnostic comparison for diffusion. A computed value is masked when one of the counts it is made of is
-- masked in the diffusion marts for that zone and one year of its period (the Ternois, made of a single
-- EPCI, and the territory masked with it); published values are always shown.
with ecarts as (
    select * from {{ ref('diagnostic_ecarts') }}
),

correspondance as (
    select * from {{ ref('correspondance_indicateurs') }}
),

cellules as (
    select * from {{ ref('int_diffusion__cellules_masquees') }}
),

masques as (
    select
        ecarts.id_valeur,
        bool_or(
            cellules.annee between try_cast(split_part(ecarts.periode_calculee, '-', 1) as integer)
            and coalesce(
                try_cast(nullif(split_part(ecarts.periode_calculee, '-', 2), '') as integer),
                try_cast(split_part(ecarts.periode_calculee, '-', 1) as integer)
            )
        ) as meme_annee,
        bool_or(cellules.annee = ecarts.derniere_annee) as derniere
    from ecarts
    inner join correspondance on ecarts.code_indicateur = correspondance.code_indicateur
    inner join cellules
        on
            ecarts.niveau = cellules.niveau
            and ecarts.code_zone = cellules.code_zone
            and (
                list_contains(string_split(correspondance.numerateur, '+'), cellules.colonne)
                or correspondance.denominateur = cellules.colonne
            )
    group by ecarts.id_valeur
)

select
    ecarts.* replace (
        case when masques.meme_annee then null else ecarts.numerateur_calcule end as numerateur_calcule,
        case when masques.meme_annee then null else ecarts.denominateur_calcule end as denominateur_calcule,
        case when masques.meme_annee then null else ecarts.valeur_calculee end as valeur_calculee,
        case when masques.meme_annee then null else ecarts.ecart_calcule_publie end as ecart_calcule_publie,
        case when masques.meme_annee then null else ecarts.ecart_relatif end as ecart_relatif,
        case when masques.derniere then null else ecarts.numerateur_derniere_annee end as numerateur_derniere_annee,
        case when masques.derniere then null else ecarts.denominateur_derniere_annee end
            as denominateur_derniere_annee,
        case when masques.derniere then null else ecarts.valeur_derniere_annee end as valeur_derniere_annee,
        case
            when masques.meme_annee or masques.derniere then null else ecarts.evolution_depuis_diagnostic
        end as evolution_depuis_diagnostic
    ),
    coalesce(masques.meme_annee or masques.derniere, false) as secret_statistique
from ecarts
left join masques on ecarts.id_valeur = masques.id_valeur
