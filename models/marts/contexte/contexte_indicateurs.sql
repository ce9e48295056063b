-- The context of annexe 4 by zone (département, territoire, EPCI) and millésime, from open data: census
-- population, housing and labour force (Insee RP), income and poverty (Insee Filosofi).
-- Census counts are weighted estimates summed from communes, then rounded. Filosofi's median and poverty rate
-- are the publisher's own values at the EPCI and département levels (never averaged); a territory has no median,
-- and its poverty rate is derived from its EPCI's poor people (rate x people of each EPCI, an additive count).
with recensement as (
    select
        {{ zone_columns(['departement', 'territoire', 'epci']) }},
        rp.millesime as annee,
        max(rp.millesime_precedent_population) as millesime_precedent,
        round(sum(rp.population)) as population_recensement,
        round(sum(rp.population_precedente)) as population_recensement_precedent,
        round(sum(rp.population_0_19)) as population_0_19,
        round(sum(rp.population_60_74)) as population_60_74,
        round(sum(rp.population_75_plus)) as population_75_plus,
        round(sum(rp.population_65_plus)) as population_65_plus,
        round(sum(rp.nb_logements)) as nb_logements,
        round(sum(rp.nb_residences_principales)) as nb_residences_principales,
        round(sum(rp.nb_residences_principales_precedent)) as nb_residences_principales_precedent,
        round(sum(rp.nb_residences_secondaires)) as nb_residences_secondaires,
        round(sum(rp.nb_logements_vacants)) as nb_logements_vacants,
        round(sum(rp.nb_maisons)) as nb_maisons,
        round(sum(rp.nb_rp_proprietaires)) as nb_rp_proprietaires,
        round(sum(rp.nb_rp_locataires)) as nb_rp_locataires,
        round(sum(rp.nb_rp_locataires_hlm)) as nb_rp_locataires_hlm,
        round(sum(rp.nb_rp_loges_gratuitement)) as nb_rp_loges_gratuitement,
        round(sum(rp.nb_actifs_15_64)) as nb_actifs_15_64,
        round(sum(rp.nb_chomeurs_15_64)) as nb_chomeurs_15_64,
        count(*) filter (where rp.secret_producteur) as nb_communes_secret_producteur
    from {{ ref('int_contexte__recensement_communes') }} as rp
    inner join {{ ref('int_geo__communes') }} as geo on rp.code_commune = geo.code_commune
    group by grouping sets ({{ zone_grouping_sets(['departement', 'territoire', 'epci'], ['rp.millesime']) }})
),

filosofi_publie as (
    select
        niveau,
        code_zone,
        millesime as annee,
        nb_menages_fiscaux,
        nb_personnes_menages_fiscaux,
        round(taux_pauvrete * nb_personnes_menages_fiscaux / 100) as nb_personnes_pauvres,
        mediane_niveau_vie,
        taux_pauvrete
    from {{ ref('stg_insee__filosofi') }}
    where niveau in ('epci', 'departement')
),

filosofi_territoires as (
    select
        'territoire' as niveau,
        geo.code_territoire as code_zone,
        epci.annee,
        sum(epci.nb_menages_fiscaux) as nb_menages_fiscaux,
        sum(epci.nb_personnes_menages_fiscaux) as nb_personnes_menages_fiscaux,
        sum(epci.nb_personnes_pauvres) as nb_personnes_pauvres,
        null::double as mediane_niveau_vie,
        null::double as taux_pauvrete
    from filosofi_publie as epci
    inner join (select distinct code_epci, code_territoire from {{ ref('int_geo__communes') }}) as geo
        on epci.code_zone = geo.code_epci
    where epci.niveau = 'epci'
    group by geo.code_territoire, epci.annee
    -- a territory whose EPCI are not all published has no sum
    having count(epci.nb_personnes_pauvres) = (
        select count(distinct g.code_epci) from {{ ref('int_geo__communes') }} as g
        where g.code_territoire = geo.code_territoire
    )
),

filosofi as (
    select * from filosofi_publie
    union all
    select * from filosofi_territoires
)

select
    coalesce(recensement.niveau, filosofi.niveau) as niveau,
    coalesce(recensement.code_zone, filosofi.code_zone) as code_zone,
    coalesce(recensement.annee, filosofi.annee) as annee,
    recensement.* exclude (niveau, code_zone, annee),
    recensement.population_60_74 + recensement.population_75_plus as population_60_plus,
    recensement.population_recensement - recensement.population_recensement_precedent as evolution_population,
    recensement.nb_residences_principales - recensement.nb_residences_principales_precedent as evolution_menages,
    {{ ratio('recensement.population_60_74', 'recensement.population_recensement', 100) }} as part_population_60_74,
    {{ ratio('recensement.population_75_plus', 'recensement.population_recensement', 100) }}
        as part_population_75_plus,
    {{ ratio('recensement.population_0_19', 'recensement.population_recensement', 100) }} as part_population_0_19,
    {{ ratio('recensement.population_0_19', 'recensement.population_60_74 + recensement.population_75_plus') }}
        as indice_jeunesse,
    {{ ratio('recensement.nb_chomeurs_15_64', 'recensement.nb_actifs_15_64', 100) }} as taux_chomage_recensement,
    {{ ratio('recensement.nb_rp_proprietaires', 'recensement.nb_residences_principales', 100) }}
        as part_proprietaires_occupants,
    {{ ratio('recensement.nb_logements_vacants', 'recensement.nb_logements', 100) }} as taux_vacance,
    {{ ratio('recensement.nb_residences_secondaires', 'recensement.nb_logements', 100) }}
        as part_residences_secondaires,
    filosofi.nb_menages_fiscaux,
    filosofi.nb_personnes_menages_fiscaux,
    filosofi.nb_personnes_pauvres,
    coalesce(
        filosofi.taux_pauvrete,
        {{ ratio('filosofi.nb_personnes_pauvres', 'filosofi.nb_personnes_menages_fiscaux', 100) }}
    ) as taux_pauvrete,
    filosofi.mediane_niveau_vie
from recensement
full outer join filosofi
    on
        recensement.niveau = filosofi.niveau
        and recensement.code_zone = filosofi.code_zone
        and recensement.annee = filosofi.annee
