-- Open data is already public: published as computed, with an empty masking pattern (the portraits join every
-- theme's colonnes_masquees; the secret audit leaves out a table with no integer count). The publisher's own
-- secret cells are NULL in the mart; the figures are sums of public counts, which reveal nothing the Insee has
-- not published.
{{ config(alias='contexte_indicateurs') }}

select
    *,
    []::varchar[] as colonnes_masquees
from {{ ref('contexte_indicateurs') }}
