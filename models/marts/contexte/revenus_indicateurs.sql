-- Income and poverty by zone (département, territoire, EPCI) and millésime, from Insee Filosofi. Its median and
-- poverty rate are the publisher's own values at the EPCI and département levels (never averaged or recomputed);
-- a territory, which the Insee does not publish, has no median, and its poverty rate is derived from its EPCI's
-- poor people (published rate x people of each EPCI, an additive count).
with filosofi_publie as (
    select
        niveau,
        code_zone,
        millesime as annee,
        nb_menages_fiscaux,
        nb_personnes_menages_fiscaux,
        round(taux_pauvrete * nb_personnes_menages_fiscaux / 100) as estimation_personnes_pauvres,
        mediane_niveau_vie,
        taux_pauvrete
    from {{ ref('stg_insee__filosofi') }}
    where niveau in ('epci', 'departement')
),

epci_territoires as (
    select
        code_epci,
        any_value(code_territoire) as code_territoire,
        count(*) over (partition by any_value(code_territoire)) as nb_epci_territoire
    from {{ ref('int_geo__communes') }}
    group by code_epci
),

filosofi_territoires as (
    select
        'territoire' as niveau,
        geo.code_territoire as code_zone,
        epci.annee,
        sum(epci.nb_menages_fiscaux) as nb_menages_fiscaux,
        sum(epci.nb_personnes_menages_fiscaux) as nb_personnes_menages_fiscaux,
        sum(epci.estimation_personnes_pauvres) as estimation_personnes_pauvres,
        null::double as mediane_niveau_vie,
        null::double as taux_pauvrete
    from filosofi_publie as epci
    inner join epci_territoires as geo on epci.code_zone = geo.code_epci
    where epci.niveau = 'epci'
    group by geo.code_territoire, epci.annee
    -- a territory whose EPCI are not all published has no sum
    having count(epci.estimation_personnes_pauvres) = any_value(geo.nb_epci_territoire)
),

filosofi as (
    select * from filosofi_publie
    union all
    select * from filosofi_territoires
)

select
    niveau,
    code_zone,
    annee,
    nb_menages_fiscaux,
    nb_personnes_menages_fiscaux,
    estimation_personnes_pauvres,
    -- a fraction (0-1) like every taux_ of the marts; the Insee publishes a percentage
    coalesce(taux_pauvrete / 100, {{ ratio('estimation_personnes_pauvres', 'nb_personnes_menages_fiscaux') }})
        as taux_pauvrete,
    mediane_niveau_vie
from filosofi
