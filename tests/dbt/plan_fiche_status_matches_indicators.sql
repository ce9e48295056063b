-- Fiches whose referential status contradicts the indicators listed for them: a fiche « avec_indicateurs »
-- has at least one indicator, a fiche without text (2-2) or the governance one (6-1) has none.
with counts as (
    select
        fiches.fiche,
        fiches.statut_referentiel,
        count(referentiel.code_indicateur) as nb_indicateurs
    from {{ ref('fiches_actions') }} as fiches
    left join {{ ref('indicateurs_plan_referentiel') }} as referentiel
        on fiches.fiche = referentiel.fiche
    group by fiches.fiche, fiches.statut_referentiel
)

select
    fiche,
    statut_referentiel,
    nb_indicateurs
from counts
where (statut_referentiel = 'avec_indicateurs') != (nb_indicateurs > 0)
