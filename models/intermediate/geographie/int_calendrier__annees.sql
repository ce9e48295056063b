-- The years the warehouse can speak of: from 2018 to the year of the latest extraction received.
-- A year is complete when its 31 December is on or before that extraction date; stocks of an incomplete
-- year are taken at the latest extraction date.
with derniere as (
    select max(date_extraction) as date_extraction
    from {{ source('raw', 'journal_chargements') }}
    where statut = 'CHARGE'
)

select
    cast(annees.annee as integer) as annee,
    least(make_date(annees.annee, 12, 31), derniere.date_extraction) as date_stock,
    make_date(annees.annee, 12, 31) <= derniere.date_extraction as annee_complete
from derniere,
    range(2018, year(derniere.date_extraction) + 1) as annees (annee)
