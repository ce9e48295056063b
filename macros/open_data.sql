{#- Open data (observatoire/extracts.py, Publication): additive counts (census, RPLS) by current commune and
    millésime. Such files give one row per commune of their geography: communes merged since are summed into the
    commune they belong to today (Filosofi's indicators are not additive and never go through this).
    A publisher's secret marker (formats.secret_publie) gives NULL and sets secret_producteur; so does an empty
    cell with empty_is_secret (a publisher that blanks small values: CAF). -#}
{% macro open_data_communes(source_name, measures, previous=false, empty_is_secret=false) -%}
{{ config(materialized='table') }}

with source as (
    {{ latest_versions(source_name, 'code_geo, millesime') }}
)

select
    communes.code_commune_actuel as code_commune,
    formats.entier(source.millesime) as millesime,
    {%- if previous %}
    max(formats.entier(source.millesime_precedent)) as millesime_precedent,
    {%- endif %}
    {%- for measure in measures %}
    {{ exact_sum('formats.mesure(source.' ~ measure ~ ')') }} as {{ measure }},
    {%- endfor %}
    bool_or(
        {%- for measure in measures %}
        formats.secret_publie(source.{{ measure }})
        {%- if empty_is_secret %} or source.{{ measure }} is null{% endif %}{% if not loop.last %} or{% endif %}
        {%- endfor %}
    ) as secret_producteur,
    max(source._fichier) as fichier_source,
    max(source._date_extraction) as date_extraction
from source
inner join {{ ref('correspondance_communes') }} as communes
    on source.code_geo = communes.code_commune_origine
group by communes.code_commune_actuel, formats.entier(source.millesime)
{%- endmacro %}

{#- FINESS stock files (docs/sources/finess.md): the rows of the latest extraction of each year (millésime = year of
    the extraction day). A row missing from the year's latest file (an establishment closed, an equipment line
    removed) is not carried over from an earlier file of the year. -#}
{% macro finess_latest_extraction(source_name, key) -%}
with versions as (
    {{ latest_versions(source_name, 'millesime, ' ~ key) }}
),

derniere_extraction as (
    select millesime, max(_date_extraction) as date_extraction
    from {{ source('raw', source_name) }}
    group by millesime
)

select versions.*
from versions
inner join derniere_extraction
    on
        versions.millesime = derniere_extraction.millesime
        and versions._date_extraction = derniere_extraction.date_extraction
{%- endmacro %}


{#- A sum of weighted decimals that does not depend on the order of the rows (a DOUBLE sum does, in its last bits):
    summed as DECIMAL(18, 6) (census weights have at most 12 significant digits), returned as DOUBLE. -#}
{% macro exact_sum(expression) -%}
    cast(sum(cast({{ expression }} as decimal(18, 6))) as double)
{%- endmacro %}
