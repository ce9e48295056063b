-- The context of annexe 4 by zone (département, territoire, EPCI, commune: the annex quotes a few communes'
-- vacancy) and census millésime, from open data: census
-- population, housing and labour force (Insee RP). Census counts are weighted estimates summed from communes and
-- kept unrounded, so that every level is the exact sum of the one below (summed as decimals: the same in any
-- order, so an incremental build gives the very same values as a full one; rounded when shown); every
-- share is a ratio of the zone's counts, as a fraction (0-1) like every part_ and taux_ of the marts.
with recensement as (
    select
        {{ zone_columns(['departement', 'territoire', 'epci', 'commune']) }},
        rp.millesime as annee,
        max(rp.millesime_precedent_population) as millesime_precedent,
        {{ exact_sum('rp.population') }} as population_recensement,
        {{ exact_sum('rp.population_precedente') }} as population_recensement_precedent,
        {{ exact_sum('rp.population_0_19') }} as population_0_19,
        {{ exact_sum('rp.population_60_74') }} as population_60_74,
        {{ exact_sum('rp.population_75_plus') }} as population_75_plus,
        {{ exact_sum('rp.population_65_plus') }} as population_65_plus,
        {{ exact_sum('rp.nb_logements') }} as nb_logements,
        {{ exact_sum('rp.nb_residences_principales') }} as nb_residences_principales,
        {{ exact_sum('rp.nb_residences_principales_precedent') }} as nb_residences_principales_precedent,
        {{ exact_sum('rp.nb_residences_secondaires') }} as nb_residences_secondaires,
        {{ exact_sum('rp.nb_logements_vacants') }} as nb_logements_vacants,
        {{ exact_sum('rp.nb_maisons') }} as nb_maisons,
        {{ exact_sum('rp.nb_rp_proprietaires') }} as nb_rp_proprietaires,
        {{ exact_sum('rp.nb_rp_locataires') }} as nb_rp_locataires,
        {{ exact_sum('rp.nb_rp_locataires_hlm') }} as nb_rp_locataires_hlm,
        {{ exact_sum('rp.nb_rp_loges_gratuitement') }} as nb_rp_loges_gratuitement,
        {{ exact_sum('rp.nb_actifs_15_64') }} as nb_actifs_15_64,
        {{ exact_sum('rp.nb_chomeurs_15_64') }} as nb_chomeurs_15_64,
        count(*) filter (where rp.secret_producteur) as nb_communes_secret_insee
    from {{ ref('int_contexte__recensement_communes') }} as rp
    inner join {{ ref('int_geo__communes') }} as geo on rp.code_commune = geo.code_commune
    group by grouping sets (
        {{ zone_grouping_sets(['departement', 'territoire', 'epci', 'commune'], ['rp.millesime']) }}
    )
)

select
    recensement.*,
    recensement.population_60_74 + recensement.population_75_plus as population_60_plus,
    recensement.population_recensement - recensement.population_recensement_precedent as evolution_population,
    recensement.nb_residences_principales - recensement.nb_residences_principales_precedent as evolution_menages,
    {{ ratio('recensement.population_60_74', 'recensement.population_recensement') }} as part_population_60_74,
    {{ ratio('recensement.population_75_plus', 'recensement.population_recensement') }}
        as part_population_75_plus,
    {{ ratio('recensement.population_0_19', 'recensement.population_recensement') }} as part_population_0_19,
    {{ ratio('recensement.population_0_19', 'recensement.population_60_74 + recensement.population_75_plus') }}
        as indice_jeunesse,
    {{ ratio('recensement.nb_chomeurs_15_64', 'recensement.nb_actifs_15_64') }} as taux_chomage_recensement,
    {{ ratio('recensement.nb_rp_proprietaires', 'recensement.nb_residences_principales') }}
        as part_proprietaires_occupants,
    {{ ratio('recensement.nb_logements_vacants', 'recensement.nb_logements') }} as taux_vacance,
    {{ ratio('recensement.nb_residences_secondaires', 'recensement.nb_logements') }}
        as part_residences_secondaires
from recensement
