-- One row per attribution with its year, its délai in months (from the first filing) and what the demand
-- said of the household (motive), when the demand is known.
with attributions as (
    select * from {{ ref('stg_sne__attributions') }}
),

demandes as (
    select
        numero_unique,
        motif_principal
    from {{ ref('stg_sne__demandes') }}
)

select
    attributions.numero_unique,
    cast(year(attributions.date_attribution) as integer) as annee,
    attributions.code_commune,
    attributions.typologie_attribuee as typologie,
    date_diff('day', attributions.date_depot, attributions.date_attribution) / 30.4375 as delai_mois,
    coalesce(attributions.prioritaire_dalo or attributions.prioritaire_pdalhpd, false) as prioritaire,
    coalesce(attributions.prioritaire_dalo, false) as prioritaire_dalo,
    not coalesce(attributions.logement_qpv, false) as hors_qpv,
    attributions.quartile_ressources = 1 as premier_quartile,
    attributions.quartile_ressources in (1, 2) as premier_ou_deuxieme_quartile,
    coalesce(attributions.demande_mutation, false) as mutation,
    attributions.tranche_age in ('MOINS_18', '18_24') as moins_25_ans,
    coalesce(attributions.taille_menage = 1, false) as personne_isolee,
    coalesce(demandes.motif_principal = 'VIOLENCES_FAMILIALES', false) as victime_violences
from attributions
left join demandes on attributions.numero_unique = demandes.numero_unique
