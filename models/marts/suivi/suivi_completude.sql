-- Completeness of the follow-up before each COTECH (fiche 6-3's own indicator « Complétude de l'outil réalisée
-- en amont des COTECH »): the share of what was due (values of the fiche sheets and progress of each fiche led)
-- that the pilots' workbooks report, overall, per pilot and per fiche, in one GROUPING SETS scan.
with elements as (
    select * from {{ ref('int_suivi__elements_dus') }}
),

perimetres as (
    select
        date_cotech,
        periode_cotech,
        case
            when grouping(pilote) = 0 then 'pilote'
            when grouping(fiche) = 0 then 'fiche'
            else 'ensemble'
        end as perimetre,
        coalesce(pilote, fiche, 'ensemble') as code_perimetre,
        count(*) as nb_elements_dus,
        count(*) filter (where renseigne) as nb_elements_renseignes,
        count(distinct pilote) as nb_classeurs_attendus,
        count(distinct pilote) filter (where classeur_recu) as nb_classeurs_recus
    from elements
    group by grouping sets (
        (date_cotech, periode_cotech), (date_cotech, periode_cotech, pilote), (date_cotech, periode_cotech, fiche)
    )
)

select
    perimetres.*,
    round(100.0 * perimetres.nb_elements_renseignes / perimetres.nb_elements_dus, 1) as completude
from perimetres
