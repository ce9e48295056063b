-- DALO indicators by zone and year: recours déposés (logement / hébergement), décisions and their
-- favourable rate, share of the département's recours, ménages relogés and still waiting at the stock date.
with recours as (
    select * from {{ ref('int_dalo__recours') }}
),

geo as (
    select * from {{ ref('int_geo__communes') }}
),

annees as (
    select * from {{ ref('int_calendrier__annees') }}
),

-- One row per recours and year, with what happened to it that year (a recours counts in several years).
evenements as (
    select
        recours.code_commune,
        annees.annee,
        recours.annee_depot = annees.annee as depose,
        recours.annee_depot = annees.annee and recours.type_recours = 'LOGEMENT' as depose_logement,
        recours.annee_depot = annees.annee and recours.type_recours = 'HEBERGEMENT' as depose_hebergement,
        recours.annee_decision = annees.annee as decide,
        recours.annee_decision = annees.annee and recours.favorable as decide_favorable,
        recours.annee_decision = annees.annee and recours.decision = 'PU' as decide_prioritaire_urgent,
        recours.annee_relogement = annees.annee and recours.suite in ('RELOGE', 'ACCUEILLI') as reloge,
        -- Favourable decision taken by the stock date and no rehousing (nor exit) by then.
        recours.favorable and recours.date_decision <= annees.date_stock
        and (recours.date_relogement is null or recours.date_relogement > annees.date_stock)
        and coalesce(recours.suite, 'EN_ATTENTE') not in ('OFFRE_REFUSEE', 'RENONCIATION')
            as reste_a_reloger
    from recours
    inner join annees on recours.annee_depot <= annees.annee
),

par_zone as (
    select
        {{ zone_columns() }},
        evenements.annee,
        count(*) filter (where evenements.depose) as nb_recours,
        count(*) filter (where evenements.depose_logement) as nb_recours_logement,
        count(*) filter (where evenements.depose_hebergement) as nb_recours_hebergement,
        count(*) filter (where evenements.decide) as nb_decisions,
        count(*) filter (where evenements.decide_favorable) as nb_decisions_favorables,
        count(*) filter (where evenements.decide_prioritaire_urgent) as nb_decisions_prioritaire_urgent,
        count(*) filter (where evenements.reloge) as nb_menages_reloges,
        count(*) filter (where evenements.reste_a_reloger) as nb_menages_restant_a_reloger
    from evenements
    inner join geo on evenements.code_commune = geo.code_commune
    group by grouping sets ({{ zone_grouping_sets(by=['evenements.annee']) }})
),

zones_annees as (
    select * from {{ ref('int_geo__zones_annees') }}
),

complet as (
    select
        zones_annees.niveau,
        zones_annees.code_zone,
        zones_annees.annee,
        zones_annees.annee_complete,
        coalesce(par_zone.nb_recours, 0) as nb_recours,
        coalesce(par_zone.nb_recours_logement, 0) as nb_recours_logement,
        coalesce(par_zone.nb_recours_hebergement, 0) as nb_recours_hebergement,
        coalesce(par_zone.nb_decisions, 0) as nb_decisions,
        coalesce(par_zone.nb_decisions_favorables, 0) as nb_decisions_favorables,
        coalesce(par_zone.nb_decisions_prioritaire_urgent, 0) as nb_decisions_prioritaire_urgent,
        coalesce(par_zone.nb_menages_reloges, 0) as nb_menages_reloges,
        coalesce(par_zone.nb_menages_restant_a_reloger, 0) as nb_menages_restant_a_reloger
    from zones_annees
    left join par_zone
        on
            zones_annees.niveau = par_zone.niveau
            and zones_annees.code_zone = par_zone.code_zone
            and zones_annees.annee = par_zone.annee
)

select
    complet.*,
    departement.nb_recours as nb_recours_departement,
    {{ ratio('complet.nb_decisions_favorables', 'complet.nb_decisions') }} as taux_decisions_favorables,
    {{ ratio('complet.nb_recours', 'departement.nb_recours') }} as part_recours_departement
from complet
inner join complet as departement
    on departement.niveau = 'departement' and complet.annee = departement.annee
