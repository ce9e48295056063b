-- Computed plan indicators with no numerator: indicateurs_plan sums the mart columns listed in numerateur, so
-- such an indicator would never get a value.
select
    code_indicateur,
    numerateur
from {{ ref('indicateurs_plan_referentiel') }}
where mode = 'calcule' and numerateur is null
