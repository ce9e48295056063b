-- Open data is already public: published as computed (see diffusion_contexte_indicateurs).
{{ config(alias='logement_social_indicateurs') }}

select
    *,
    []::varchar[] as colonnes_masquees
from {{ ref('logement_social_indicateurs') }}
