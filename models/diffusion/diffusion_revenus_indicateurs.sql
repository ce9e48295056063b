-- Open data is already public: published as computed (see diffusion_contexte_indicateurs). Filosofi's secret cells
-- are NULL in the mart; each level's median and poverty rate are the Insee's own published values.
{{ config(alias='revenus_indicateurs') }}

select
    *,
    []::varchar[] as colonnes_masquees
from {{ ref('revenus_indicateurs') }}
