-- The grid every theme mart fills: each zone of the département, territoire and EPCI levels for each year,
-- so that a zone with nothing to count shows 0 rather than no row.
select
    zones.niveau,
    zones.code_zone,
    annees.annee,
    annees.annee_complete
from {{ ref('int_geo__zones') }} as zones
cross join {{ ref('int_calendrier__annees') }} as annees
where zones.niveau in ('departement', 'territoire', 'epci')
