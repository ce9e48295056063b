{#-
  The wide portrait of one zone level: one row per zone and year with the context and every theme's
  indicators (the figures a territory portrait of annexe 4 is written from). PPPI, a biennial source,
  takes the latest millésime available for the year.
-#}
{% macro portrait(niveau, code_column, label_column, diffusion=false) -%}
{%- set prefix = 'diffusion_' if diffusion else '' -%}
{%- set excluded = 'niveau, code_zone, annee, annee_complete' ~ (', colonnes_masquees' if diffusion else '') -%}
with zones as (
    select * from {{ ref('int_geo__zones') }}
    where niveau = '{{ niveau }}'
),

annees as (
    select * from {{ ref('int_calendrier__annees') }}
),

pppi as (
    select * from {{ ref(prefix ~ 'pppi_indicateurs') }}
    where niveau = '{{ niveau }}'
)

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
    sne.* exclude ({{ excluded }}),
    dalo.* exclude ({{ excluded }}),
    fsl.* exclude ({{ excluded }}),
    ccapex.* exclude ({{ excluded }}),
    pppi.annee as millesime_pppi,
    pppi.* exclude (niveau, code_zone, annee{{ ', colonnes_masquees' if diffusion }}){{ ',' if diffusion }}
    {%- if diffusion %}
    list_concat(
        sne.colonnes_masquees, dalo.colonnes_masquees, fsl.colonnes_masquees, ccapex.colonnes_masquees,
        pppi.colonnes_masquees
    ) as colonnes_masquees
    {%- endif %}
from zones
cross join annees
left join {{ ref(prefix ~ 'sne_indicateurs') }} as sne
    on sne.niveau = zones.niveau and sne.code_zone = zones.code_zone and sne.annee = annees.annee
left join {{ ref(prefix ~ 'dalo_indicateurs') }} as dalo
    on dalo.niveau = zones.niveau and dalo.code_zone = zones.code_zone and dalo.annee = annees.annee
left join {{ ref(prefix ~ 'fsl_indicateurs') }} as fsl
    on fsl.niveau = zones.niveau and fsl.code_zone = zones.code_zone and fsl.annee = annees.annee
left join {{ ref(prefix ~ 'ccapex_indicateurs') }} as ccapex
    on ccapex.niveau = zones.niveau and ccapex.code_zone = zones.code_zone and ccapex.annee = annees.annee
asof left join pppi
    on pppi.code_zone = zones.code_zone and pppi.annee <= annees.annee
{%- endmacro %}
