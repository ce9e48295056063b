-- One row per procedure and stage year: the stages a procedure reached in a year (each counted once),
-- and, for assigned households, whether the debt was settled later in the procedure (fiche 2-5).
with evenements as (
    select * from {{ ref('stg_ccapex__evenements') }}
),

procedures as (
    select
        numero_procedure,
        arg_max(code_commune, date_etape) as code_commune,
        min(date_etape) filter (where etape = 'ASSIGNATION') as date_assignation,
        max(date_etape) filter (where etape = 'DETTE_SOLDEE') as date_dette_soldee
    from evenements
    group by numero_procedure
)

select
    evenements.numero_procedure,
    procedures.code_commune,
    cast(year(evenements.date_etape) as integer) as annee,
    evenements.etape,
    evenements.etape = 'ASSIGNATION'
    and procedures.date_dette_soldee >= procedures.date_assignation as assignation_regularisee
from evenements
inner join procedures on evenements.numero_procedure = procedures.numero_procedure
qualify row_number() over (
    partition by evenements.numero_procedure, year(evenements.date_etape), evenements.etape
    order by evenements.date_etape
) = 1
