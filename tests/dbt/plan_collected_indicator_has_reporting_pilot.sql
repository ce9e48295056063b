-- Plan indicators whose reporting institution does not match their mode: a collected indicator must name the
-- institution that reports it (pilote_collecte), a computed one must not (the marts feed it).
select
    code_indicateur,
    mode,
    pilote_collecte
from {{ ref('indicateurs_plan_referentiel') }}
where
    (mode = 'collecte' and pilote_collecte is null)
    or (mode = 'calcule' and pilote_collecte is not null)
