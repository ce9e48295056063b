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
