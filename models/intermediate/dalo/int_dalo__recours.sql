-- One row per recours with the flags the DALO indicators count. Territory: the requester's commune.
with recours as (
    select * from {{ ref('stg_dalo__recours') }}
),

decisions as (
    select * from {{ ref('dalo_decisions') }}
)

select
    recours.numero_recours,
    recours.code_commune,
    recours.type_recours,
    cast(year(recours.date_depot) as integer) as annee_depot,
    cast(year(recours.date_decision) as integer) as annee_decision,
    cast(year(recours.date_relogement) as integer) as annee_relogement,
    recours.date_decision,
    recours.date_relogement,
    recours.decision,
    coalesce(decisions.est_favorable, false) as favorable,
    recours.motif_principal,
    recours.motif_secondaire,
    recours.typologie_demandee,
    recours.suite
from recours
left join decisions on recours.decision = decisions.code_decision
