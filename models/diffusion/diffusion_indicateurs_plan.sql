{{ config(alias='indicateurs_plan') }}

-- Plan indicators for diffusion, by département and territoire (the EPCI detail is in the diffusion
-- portraits). A computed value is masked when one of the counts it is made of is masked in the diffusion
-- marts for that zone and year (so the masking decisions are the marts' own, secondary masking
-- included). A collected value is published as reported, except a year of a count one of whose quarters is
-- masked in the follow-up (int_diffusion__suivi_masques).
with indicateurs as (
    select * from {{ ref('indicateurs_plan') }}
    where niveau in ('departement', 'territoire')
),

masques as (
    select
        indicateurs.code_indicateur,
        indicateurs.niveau,
        indicateurs.code_zone,
        indicateurs.annee
    from indicateurs
    inner join {{ ref('indicateurs_plan_referentiel') }} as referentiel
        on indicateurs.code_indicateur = referentiel.code_indicateur
    inner join {{ ref('int_diffusion__cellules_masquees') }} as cellules
        on
            indicateurs.niveau = cellules.niveau
            and indicateurs.code_zone = cellules.code_zone
            and indicateurs.annee = cellules.annee
            and (
                list_contains(string_split(referentiel.numerateur, '+'), cellules.colonne)
                or referentiel.denominateur = cellules.colonne
            )
    where indicateurs.mode = 'calcule'
    group by all

    union all

    -- a collected count's year holding a small quarter (its sum would give the quarter back)
    select distinct
        code_indicateur,
        niveau,
        code_zone,
        annee
    from {{ ref('int_diffusion__suivi_masques') }}
)

select
    indicateurs.* replace (
        case when masques.code_indicateur is null then indicateurs.valeur end as valeur,
        case when masques.code_indicateur is null then indicateurs.numerateur end as numerateur,
        -- a masked denominator too: published beside a masked value, it would give the masked count back
        case when masques.code_indicateur is null then indicateurs.denominateur end as denominateur
    ),
    masques.code_indicateur is not null as secret_statistique
from indicateurs
left join masques
    on
        indicateurs.code_indicateur = masques.code_indicateur
        and indicateurs.niveau = masques.niveau
        and indicateurs.code_zone = masques.code_zone
        and indicateurs.annee = masques.annee
