{#-
  Aggregation of commune-level rows to every zone level in one scan (GROUPING SETS).
  Usage, with int_geo__communes aliased `geo`:
      select {{ zone_columns(levels) }}, annee, sum(...) ...
      group by grouping sets ({{ zone_grouping_sets(levels, ['annee']) }})
  levels: a subset of ['departement', 'territoire', 'epci', 'commune'].
-#}

{% macro zone_columns(levels=['departement', 'territoire', 'epci']) -%}
    {%- set keys = {'commune': 'geo.code_commune', 'epci': 'geo.code_epci',
                    'territoire': 'geo.code_territoire', 'departement': 'geo.code_departement'} -%}
    {%- set ordered = [] -%}
    {%- for level in ['commune', 'epci', 'territoire', 'departement'] if level in levels -%}
        {%- do ordered.append(level) -%}
    {%- endfor -%}
    case
        {%- for level in ordered[:-1] %}
        when grouping({{ keys[level] }}) = 0 then '{{ level }}'
        {%- endfor %}
        else '{{ ordered[-1] }}'
    end as niveau,
    coalesce({% for level in ordered %}{{ keys[level] }}{% if not loop.last %}, {% endif %}{% endfor %}) as code_zone
{%- endmacro %}

{% macro zone_grouping_sets(levels=['departement', 'territoire', 'epci'], by=[]) -%}
    {%- set keys = {'commune': 'geo.code_commune', 'epci': 'geo.code_epci',
                    'territoire': 'geo.code_territoire', 'departement': 'geo.code_departement'} -%}
    {%- for level in levels -%}
        ({{ ([keys[level]] + by) | join(', ') }}){% if not loop.last %}, {% endif %}
    {%- endfor -%}
{%- endmacro %}

{#- A ratio from its stored numerator and denominator (never an average of ratios). -#}
{% macro ratio(numerator, denominator, scale=1) -%}
    case when ({{ denominator }}) > 0 then {{ scale }} * ({{ numerator }}) / ({{ denominator }}) end
{%- endmacro %}

{#- Every zone of the département, territoire and EPCI levels for every year, with the counts of `cte`
    (grouped by zone_columns) where it has some: the skeleton of each theme mart. -#}
{% macro on_zone_year_grid(cte) -%}
    select
        zones_annees.*,
        {{ cte }}.* exclude (niveau, code_zone, annee)
    from {{ ref('int_geo__zones_annees') }} as zones_annees
    left join {{ cte }}
        on
            zones_annees.niveau = {{ cte }}.niveau
            and zones_annees.code_zone = {{ cte }}.code_zone
            and zones_annees.annee = {{ cte }}.annee
{%- endmacro %}
