{{ config(alias='diagnostic_ecarts') }}

-- Diagnostic comparison for diffusion. Its zones are territories and the département, above the
-- masking level, except a territory made of a single EPCI (the Ternois), which equals that EPCI: there a
-- computed count under the threshold is masked like the EPCI's.
with ecarts as (
    select * from {{ ref('diagnostic_ecarts') }}
),

zones as (
    select
        code_zone,
        nb_epci
    from {{ ref('int_geo__zones') }}
    where niveau in ('territoire', 'departement')
),

seuils as (
    select
        ecarts.id_valeur,
        zones.nb_epci = 1 and ecarts.code_indicateur not like 'pppi%' as soumis_individuel,
        zones.nb_epci = 1 and ecarts.code_indicateur like 'pppi%' as soumis_fiscal
    from ecarts
    inner join zones on ecarts.code_zone = zones.code_zone
),

masques as (
    select
        ecarts.id_valeur,
        (
            seuils.soumis_individuel
            and ecarts.numerateur_calcule >= 1
            and ecarts.numerateur_calcule < {{ var('secret_seuil_individuel') }}
        )
        or (
            seuils.soumis_fiscal
            and ecarts.numerateur_calcule >= 1
            and ecarts.numerateur_calcule < {{ var('secret_seuil_fiscal') }}
        )
            as meme_annee,
        (
            seuils.soumis_individuel
            and ecarts.numerateur_derniere_annee >= 1
            and ecarts.numerateur_derniere_annee < {{ var('secret_seuil_individuel') }}
        )
        or (
            seuils.soumis_fiscal
            and ecarts.numerateur_derniere_annee >= 1
            and ecarts.numerateur_derniere_annee < {{ var('secret_seuil_fiscal') }}
        )
            as derniere
    from ecarts
    inner join seuils on ecarts.id_valeur = seuils.id_valeur
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
inner join masques on ecarts.id_valeur = masques.id_valeur
