-- One row per procedure and stage year: the stages a procedure reached in a year (each counted once),
-- and, for assigned households, whether the debt was settled later in the procedure (fiche 2-5). The lessor and
-- the motive are the procedure's latest known (a later event corrects an earlier one).
with evenements as (
    select * from {{ ref('stg_ccapex__evenements') }}
),

procedures as (
    select
        numero_procedure,
        arg_max(code_commune, date_etape) as code_commune,
        arg_max(type_bailleur, date_etape) as type_bailleur,
        arg_max(motif_procedure, date_etape) as motif_procedure,
        min(date_etape) filter (where etape = 'ASSIGNATION') as date_assignation,
        max(date_etape) filter (where etape = 'DETTE_SOLDEE') as date_dette_soldee
    from evenements
    group by numero_procedure
),

-- Each stage counted once per procedure and year: a distinct, which spills to disk (a row_number() window
-- over every event did not fit DuckDB's 2 GB at scale 100).
etapes_annee as (
    select distinct
        numero_procedure,
        cast(year(date_etape) as integer) as annee,
        etape
    from evenements
)

select
    etapes_annee.numero_procedure,
    procedures.code_commune,
    procedures.type_bailleur in ('PERSONNE_PHYSIQUE', 'PERSONNE_MORALE') as parc_prive,
    procedures.motif_procedure,
    etapes_annee.annee,
    etapes_annee.etape,
    etapes_annee.etape = 'ASSIGNATION'
    and procedures.date_dette_soldee >= procedures.date_assignation as assignation_regularisee
from etapes_annee
inner join procedures on etapes_annee.numero_procedure = procedures.numero_procedure
