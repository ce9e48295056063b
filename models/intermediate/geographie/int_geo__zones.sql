-- Every zone of every level (département, territoire, EPCI, commune) with its label, the zones it
-- belongs to and its context figures.
with communes as (
    select * from {{ ref('int_geo__communes') }}
),

zones as (
    select
        'departement' as niveau,
        code_departement as code_zone,
        'Pas-de-Calais' as libelle_zone,
        null as code_territoire,
        null as code_epci,
        count(*) as nb_communes,
        count(distinct code_epci) as nb_epci,
        cast(sum(population) as integer) as population,
        sum(superficie_km2) as superficie_km2
    from communes
    group by code_departement

    union all

    select
        'territoire' as niveau,
        code_territoire as code_zone,
        any_value(nom_territoire) as libelle_zone,
        code_territoire,
        null as code_epci,
        count(*) as nb_communes,
        count(distinct code_epci) as nb_epci,
        cast(sum(population) as integer) as population,
        sum(superficie_km2) as superficie_km2
    from communes
    group by code_territoire

    union all

    select
        'epci' as niveau,
        code_epci as code_zone,
        any_value(nom_epci) as libelle_zone,
        -- An EPCI split between two territories (the CC des 7 Vallées, if the seed is edited) is
        -- attached to the territory of its most populous commune.
        arg_max(code_territoire, population) as code_territoire,
        code_epci,
        count(*) as nb_communes,
        1 as nb_epci,
        cast(sum(population) as integer) as population,
        sum(superficie_km2) as superficie_km2
    from communes
    group by code_epci

    union all

    select
        'commune' as niveau,
        code_commune as code_zone,
        nom_commune as libelle_zone,
        code_territoire,
        code_epci,
        1 as nb_communes,
        1 as nb_epci,
        population,
        superficie_km2
    from communes
)

select
    *,
    {{ ratio('population', 'superficie_km2') }} as densite_hab_km2
from zones
