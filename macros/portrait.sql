{#-
  The wide portrait of one zone level: one row per zone and year with the context and every theme's
  indicators (the figures a territory portrait of annexe 4 is written from). The themes and their order are
  the `themes` var of dbt_project.yml; a theme published by millésime (PPPI, biennial) takes the latest
  millésime available for the year.
-#}
{% macro portrait(niveau, code_column, label_column, diffusion=false) -%}
{%- set prefix = 'diffusion_' if diffusion else '' -%}
{%- set masked = ', colonnes_masquees' if diffusion else '' -%}
{%- set themes = var('themes') -%}
with zones as (
    select * from {{ ref('int_geo__zones') }}
    where niveau = '{{ niveau }}'
),

annees as (
    select * from {{ ref('int_calendrier__annees') }}
)
{%- for t in themes if t.millesime %},

{{ t.theme }} as (
    select * from {{ ref(prefix ~ t.theme ~ '_indicateurs') }}
    where niveau = '{{ niveau }}'
)
{%- endfor %}

select
    zones.code_zone as {{ code_column }},
    zones.libelle_zone as {{ label_column }},
    {%- if niveau in ('epci', 'commune') %}
    zones.code_territoire,
    {%- endif %}
    annees.annee,
    annees.annee_complete,
    zones.nb_communes,
    zones.nb_epci,
    zones.population,
    zones.superficie_km2,
    zones.densite_hab_km2,
    {%- for t in themes %}
    {%- if t.millesime %}
    {{ t.theme }}.annee as millesime_{{ t.theme }},
    {{ t.theme }}.* exclude (niveau, code_zone, annee{{ masked }}){{ ',' if diffusion or not loop.last }}
    {%- else %}
    {{ t.theme }}.* exclude (niveau, code_zone, annee, annee_complete{{ masked }}){{ ',' if diffusion or not loop.last }}
    {%- endif %}
    {%- endfor %}
    {%- if diffusion %}
    list_concat(
        {% for t in themes %}{{ t.theme }}.colonnes_masquees{{ ', ' if not loop.last }}{% endfor %}
    ) as colonnes_masquees
    {%- endif %}
from zones
cross join annees
{%- for t in themes %}
{%- if t.millesime %}
asof left join {{ t.theme }}
    on {{ t.theme }}.code_zone = zones.code_zone and {{ t.theme }}.annee <= annees.annee
{%- else %}
left join {{ ref(prefix ~ t.theme ~ '_indicateurs') }} as {{ t.theme }}
    on {{ t.theme }}.niveau = zones.niveau and {{ t.theme }}.code_zone = zones.code_zone
    and {{ t.theme }}.annee = annees.annee
{%- endif %}
{%- endfor %}
{%- endmacro %}
