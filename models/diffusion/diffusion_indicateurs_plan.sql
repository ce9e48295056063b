{{ config(alias='indicateurs_plan') }}

-- Plan indicators for diffusion, by département and territoire (the EPCI detail stays in the marts:
-- the portraits' diffusion tables carry the same counts with secondary masking). In a territory made of
-- a single EPCI (the Ternois), a computed count from 1 to the threshold minus one is masked, and so is a
-- share whose numerator is masked. Values entered by the COTECH are published as entered.
with indicateurs as (
    select * from {{ ref('indicateurs_plan') }}
),

zones as (
    select
        niveau,
        code_zone,
        nb_epci
    from {{ ref('int_geo__zones') }}
),

masques as (
    select
        indicateurs.*,
        indicateurs.mode = 'calcule'
        and indicateurs.niveau = 'territoire' and zones.nb_epci = 1
        and indicateurs.numerateur >= 1
        and indicateurs.numerateur < {{ var('secret_seuil_individuel') }} as secret_statistique
    from indicateurs
    left join zones on indicateurs.niveau = zones.niveau and indicateurs.code_zone = zones.code_zone
    where indicateurs.niveau in ('departement', 'territoire')
)

select
    * replace (
        case when secret_statistique then null else valeur end as valeur,
        case when secret_statistique then null else numerateur end as numerateur
    )
from masques
