{# Fails with one row per listed column that holds NULLs, naming it and counting them: one scan of the table
   where dbt's not_null runs one query (and one dbt node) per column. #}
{% test colonnes_renseignees(model, columns) %}
{%- set quoted = columns | map('tojson') | list %}
select
    colonne,
    nb_lignes_vides
from (
    select {% for c in quoted %}count(*) filter (where {{ c }} is null) as {{ c }}{{ ", " if not loop.last }}{% endfor %}
    from {{ model }}
)
unpivot (nb_lignes_vides for colonne in ({{ quoted | join(', ') }}))
where nb_lignes_vides > 0
{% endtest %}
