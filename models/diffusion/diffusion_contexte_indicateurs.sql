-- Open data is already public: published as computed, with no masking pattern (no colonnes_masquees, so the
-- secret audit leaves it out). The publishers' own secret cells are NULL in the mart (a Filosofi median under
-- secret stays NULL); the figures are sums of public counts, which reveal nothing the publisher has not
-- published (each level's non-additive figures come from its own file).
{{ config(alias='contexte_indicateurs') }}

select * from {{ ref('contexte_indicateurs') }}
