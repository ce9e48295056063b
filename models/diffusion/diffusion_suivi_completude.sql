{{ config(alias='suivi_completude') }}

-- Completeness of the follow-up before each COTECH, for diffusion (counts of values due, not of people).
select * from {{ ref('suivi_completude') }}
