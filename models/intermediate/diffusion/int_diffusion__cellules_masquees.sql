-- Every cell masked by the secret statistique in the diffusion marts, in long form (zone, year, column),
-- typology cells named <count>_t1..t6 and DALO detail cells nb_recours_<dimension>_<code> as in
-- int_indicateurs__valeurs: what the tables derived from the
-- marts (diagnostic comparison, plan indicators) must mask to stay consistent with them.
-- The themes are the var of dbt_project.yml.
{% for t in var('themes') %}
    select
        niveau,
        code_zone,
        annee,
        unnest(colonnes_masquees) as colonne
    from {{ ref('diffusion_' ~ t.theme ~ '_indicateurs') }}
    union all
{% endfor %}
select
    niveau,
    code_zone,
    annee,
    unnest(colonnes_masquees) || '_' || lower(typologie) as colonne
from {{ ref('diffusion_sne_tension_typologie') }}
union all
select
    niveau,
    code_zone,
    annee,
    'nb_recours_' || dimension || '_' || lower(code) as colonne
from {{ ref('diffusion_dalo_recours_detail') }}
where dimension in ('motif', 'typologie') and list_contains(colonnes_masquees, 'nb_recours')
