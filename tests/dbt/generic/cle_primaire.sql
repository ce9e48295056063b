{# The key of a model: fails with one row per key column holding NULLs and one per combination appearing more
   than once. One dbt node (and one scan for each rule) where colonnes_renseignees and unique_combinaison on the
   same columns would be two (~70 ms each, every refresh). #}
{% test cle_primaire(model, columns) %}
{%- set quoted = columns | map('tojson') | list %}
select 'valeur vide' as defaut, colonne as detail, nb_lignes
from (
    select {% for c in quoted %}count(*) filter (where {{ c }} is null) as {{ c }}{{ ", " if not loop.last }}{% endfor %}
    from {{ model }}
)
unpivot (nb_lignes for colonne in ({{ quoted | join(', ') }}))
where nb_lignes > 0
union all
select 'clé en double', concat_ws(' | ', {% for c in quoted %}{{ c }}::varchar{{ ", " if not loop.last }}{% endfor %}), count(*)
from {{ model }}
group by {{ quoted | join(', ') }}
having count(*) > 1
{% endtest %}
