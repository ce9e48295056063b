-- Codes of fiches_actions.codes_pilotes (space-separated) that are not an institution of pilotes_plan.
with codes as (
    select
        fiche,
        unnest(string_split(codes_pilotes, ' ')) as code_pilote
    from {{ ref('fiches_actions') }}
    where codes_pilotes is not null
)

select
    codes.fiche,
    codes.code_pilote
from codes
left join {{ ref('pilotes_plan') }} as pilotes
    on codes.code_pilote = pilotes.code_pilote
where pilotes.code_pilote is null
