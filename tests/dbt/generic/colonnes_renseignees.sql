{# Fails with one row per listed column that holds NULLs, naming it and counting them: one scan of the table
   where dbt's not_null runs one query (and one dbt node) per column. #}
{% test colonnes_renseignees(model, columns) %}
with lignes_vides as (
    select
        {%- for column in columns %}
        count(*) filter (where {{ adapter.quote(column) }} is null) as {{ adapter.quote(column) }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
)
select colonne, nb_lignes_vides
from lignes_vides
unpivot (nb_lignes_vides for colonne in (
    {%- for column in columns %}{{ adapter.quote(column) }}{{ ", " if not loop.last }}{% endfor -%}
))
where nb_lignes_vides > 0
{% endtest %}
