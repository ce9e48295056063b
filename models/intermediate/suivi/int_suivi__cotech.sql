-- The COTECH meetings the follow-up tool covers: from the first one a pilot returned a workbook for (the tool is
-- established then) to the latest one with a returned workbook; rang 1 is the first, est_dernier the latest.
with retours as (
    select
        min(date_cotech) as premiere,
        max(date_cotech) as derniere
    from {{ ref('stg_suivi__retours') }}
)

select
    calendrier.date_cotech,
    calendrier.periode_cotech,
    row_number() over (order by calendrier.date_cotech) as rang,
    calendrier.date_cotech = retours.derniere as est_dernier,
    (
        select min(suivant.date_cotech)
        from {{ ref('calendrier_cotech') }} as suivant
        where suivant.date_cotech > calendrier.date_cotech
    ) as date_cotech_suivant
from {{ ref('calendrier_cotech') }} as calendrier
cross join retours
where calendrier.date_cotech between retours.premiere and retours.derniere
