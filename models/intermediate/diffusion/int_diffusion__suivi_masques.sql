-- Collected counts of the follow-up workbooks that the diffusion layer masks: a count (nature nombre) of 1 to
-- seuil_individuel - 1 at territory or arrondissement level, like every count of the warehouse. Its year's
-- total (indicateurs_plan sums the quarters of a count) is masked with it, so that it cannot be found back by
-- difference: masque_annee lists the (indicator, zone, year) concerned.
with valeurs as (
    select
        elements.code_indicateur,
        elements.niveau,
        elements.code_zone,
        elements.periode,
        left(elements.periode, 4)::integer as annee
    from {{ ref('int_suivi__elements_dus') }} as elements
    inner join {{ ref('indicateurs_plan_referentiel') }} as referentiel
        on elements.code_indicateur = referentiel.code_indicateur
    where
        not elements.est_avancement
        and referentiel.nature = 'nombre'
        and elements.niveau in ('territoire', 'arrondissement')
        and elements.valeur > 0
        and elements.valeur < {{ var('secret_seuil_individuel') }}
)

select
    code_indicateur,
    niveau,
    code_zone,
    periode,
    annee
from valeurs
