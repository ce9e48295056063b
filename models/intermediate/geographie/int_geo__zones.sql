-- Every zone of every level (département, territoire, EPCI, commune) with its label and context figures.
with communes as (
    select * from {{ ref('int_geo__communes') }}
),

zones as (
    select
        'departement' as niveau,
        code_departement as code_zone,
        'Pas-de-Calais' as libelle_zone,
        count(*) as nb_communes,
        count(distinct code_epci) as nb_epci,
        sum(population) as population
    from communes
    group by code_departement

    union all

    select
        'territoire' as niveau,
        code_territoire as code_zone,
        any_value(nom_territoire) as libelle_zone,
        count(*) as nb_communes,
        count(distinct code_epci) as nb_epci,
        sum(population) as population
    from communes
    group by code_territoire

    union all

    select
        'epci' as niveau,
        code_epci as code_zone,
        any_value(nom_epci) as libelle_zone,
        count(*) as nb_communes,
        1 as nb_epci,
        sum(population) as population
    from communes
    group by code_epci

    union all

    select
        'commune' as niveau,
        code_commune as code_zone,
        nom_commune as libelle_zone,
        1 as nb_communes,
        1 as nb_epci,
        population
    from communes
)

select * from zones
