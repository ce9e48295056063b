-- Per indicator, zone and period: the value collected from the pilots' workbooks (a row for every value due,
-- reported or not: renseigne), with the workbook and when it was received, and the indicators of the plan the
-- warehouse computes (indicateurs_plan), by zone and year. evolution: change since the previous period of the
-- same indicator and zone.
with collectes as (
    select
        elements.fiche,
        elements.code_indicateur,
        elements.niveau,
        elements.code_zone,
        elements.periode,
        elements.date_cotech,
        elements.pilote,
        'collecté' as origine,
        elements.renseigne,
        elements.valeur,
        elements.valeur_texte,
        elements.date_jalon,
        elements.commentaire,
        elements.fichier_source,
        elements.recu_le
    from {{ ref('int_suivi__elements_dus') }} as elements
    where not elements.est_avancement
),

calcules as (
    select
        plan.fiche,
        plan.code_indicateur,
        plan.niveau,
        plan.code_zone,
        cast(plan.annee as varchar) as periode,
        cast(null as date) as date_cotech,
        cast(null as varchar) as pilote,
        'calculé' as origine,
        true as renseigne,
        plan.valeur,
        cast(round(plan.valeur, 1) as varchar) as valeur_texte,
        cast(null as date) as date_jalon,
        cast(null as varchar) as commentaire,
        cast(null as varchar) as fichier_source,
        cast(null as date) as recu_le
    from {{ ref('indicateurs_plan') }} as plan
    where plan.mode = 'calcule' and plan.niveau in ('departement', 'territoire') and plan.valeur is not null
),

zones as (
    select
        niveau,
        code_zone,
        libelle_zone
    from {{ ref('int_geo__zones') }}
    where niveau in ('departement', 'territoire')
    union all
    select
        'arrondissement' as niveau,
        code_arrondissement as code_zone,
        nom_arrondissement as libelle_zone
    from {{ ref('arrondissements') }}
),

valeurs as (
    select * from collectes
    union all
    select * from calcules
)

select
    valeurs.fiche,
    valeurs.code_indicateur,
    referentiel.libelle_indicateur,
    referentiel.nature,
    referentiel.unite,
    valeurs.niveau,
    valeurs.code_zone,
    zones.libelle_zone,
    valeurs.periode,
    valeurs.date_cotech,
    valeurs.pilote,
    valeurs.origine,
    valeurs.renseigne,
    valeurs.valeur,
    valeurs.valeur_texte,
    valeurs.date_jalon,
    valeurs.commentaire,
    valeurs.fichier_source,
    valeurs.recu_le,
    lag(valeurs.valeur) over precedente as valeur_precedente,
    valeurs.valeur - lag(valeurs.valeur) over precedente as evolution
from valeurs
inner join {{ ref('indicateurs_plan_referentiel') }} as referentiel
    on valeurs.code_indicateur = referentiel.code_indicateur
left join zones on valeurs.niveau = zones.niveau and valeurs.code_zone = zones.code_zone
window precedente as (partition by valeurs.code_indicateur, valeurs.code_zone order by valeurs.periode)
