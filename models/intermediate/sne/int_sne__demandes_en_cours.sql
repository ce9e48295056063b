-- One row per demand and year in which it is "en cours" at the stock date (31/12, or the latest
-- extraction for the current year). Territory: the first desired commune. A demand listing several
-- typologies counts in the smallest one (annexe 4, l. 3215).
with demandes as (
    select * from {{ ref('stg_sne__demandes') }}
),

annees as (
    select * from {{ ref('int_calendrier__annees') }}
)

select
    demandes.numero_unique,
    annees.annee,
    annees.date_stock,
    demandes.code_commune_souhaitee as code_commune,
    list_min(demandes.typologies_souhaitees) as typologie,
    demandes.demande_mutation,
    demandes.tranche_age in ('MOINS_18', '18_24') as moins_25_ans,
    demandes.motif_principal = 'VIOLENCES_FAMILIALES' as victime_violences,
    demandes.prioritaire_dalo or demandes.prioritaire_pdalhpd as prioritaire,
    date_diff('day', demandes.date_depot, annees.date_stock) / 30.4375 as anciennete_mois
from demandes
inner join annees
    on
        demandes.date_depot <= annees.date_stock
        and (demandes.date_radiation is null or demandes.date_radiation > annees.date_stock)
