-- Completeness of the follow-up before each COTECH (fiche 6-3's own indicator « Complétude de l'outil réalisée
-- en amont des COTECH »): the share of what was due (values of the fiche sheets and progress of each fiche led)
-- that the pilots' workbooks report, overall, per pilot and per fiche.
with elements as (
    select * from {{ ref('int_suivi__elements_dus') }}
),

perimetres as (
    select
        date_cotech,
        periode_cotech,
        'ensemble' as perimetre,
        'ensemble' as code_perimetre,
        count(*) as nb_elements_dus,
        count(*) filter (where renseigne) as nb_elements_renseignes,
        count(distinct pilote) as nb_classeurs_attendus,
        count(distinct pilote) filter (where classeur_recu) as nb_classeurs_recus
    from elements
    group by all

    union all

    select
        date_cotech,
        periode_cotech,
        'pilote' as perimetre,
        pilote as code_perimetre,
        count(*) as nb_elements_dus,
        count(*) filter (where renseigne) as nb_elements_renseignes,
        1 as nb_classeurs_attendus,
        max(classeur_recu::integer) as nb_classeurs_recus
    from elements
    group by all

    union all

    select
        date_cotech,
        periode_cotech,
        'fiche' as perimetre,
        fiche as code_perimetre,
        count(*) as nb_elements_dus,
        count(*) filter (where renseigne) as nb_elements_renseignes,
        count(distinct pilote) as nb_classeurs_attendus,
        count(distinct pilote) filter (where classeur_recu) as nb_classeurs_recus
    from elements
    group by all
)

select
    perimetres.*,
    round(100.0 * perimetres.nb_elements_renseignes / perimetres.nb_elements_dus, 1) as completude
from perimetres
