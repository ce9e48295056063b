-- Open data is already public: published as computed (see diffusion_contexte_indicateurs).
{{ config(alias='allocataires_indicateurs') }}

select
    *,
    []::varchar[] as colonnes_masquees
from {{ ref('allocataires_indicateurs') }}
