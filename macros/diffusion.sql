{#-
  Secret statistique for the diffusion layer: a copy of a mart where the cells of the masking pattern
  (int_diffusion__masque, computed jointly for every linked table) are NULL and listed in `colonnes_masquees`,
  and the columns derived from a masked count (ratios of the seed ratios, amounts, medians and ranks of the seed
  dependances_secret) are NULL with it. The dimension columns of the mart (seed tables_secret) key its cells.
-#}
{% macro diffuser(model_name) -%}
{%- set ratios_relation = built_relation('ratios', 'referentiel') -%}
{%- set dependencies_relation = built_relation('dependances_secret', 'referentiel') -%}
{%- set tables_relation = built_relation('tables_secret', 'referentiel') -%}
{%- set columns = [] -%}
{%- set derived = {} -%}
{%- set dims = [] -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(built_relation(model_name, 'marts')) -%}
        {%- do columns.append(column.name) -%}
    {%- endfor -%}
    {%- set dependencies = run_query(
        "select ratio, numerateur from " ~ ratios_relation ~ " where modele = '" ~ model_name ~ "'"
        ~ " union all select ratio, denominateur from " ~ ratios_relation ~ " where modele = '" ~ model_name ~ "'"
        ~ " union all select colonne, depend_de from " ~ dependencies_relation
        ~ " where modele = '" ~ model_name ~ "'"
    ) -%}
    {%- for row in dependencies.rows -%}
        {%- do derived.setdefault(row[0], []).append(row[1]) -%}
    {%- endfor -%}
    {%- for row in run_query("select coalesce(dimensions, '') from " ~ tables_relation
                             ~ " where modele = '" ~ model_name ~ "'").rows -%}
        {%- do dims.extend(row[0].split()) -%}
    {%- endfor -%}
{%- endif -%}
with source as (
    select * from {{ ref(model_name) }}
),

masques as (
    select
        niveau,
        code_zone,
        annee,
        cle_dimensions,
        list(colonne order by colonne) as colonnes_masquees
    from {{ ref('int_diffusion__masque') }}
    where modele = '{{ model_name }}'
    group by all
)

select
    {%- for column in columns %}
    {%- if column in derived %}
    case
        when list_has_any(masques.colonnes_masquees, ['{{ derived[column] | join("', '") }}']) then null
        else source.{{ column }}
    end as {{ column }},
    {%- else %}
    case when list_contains(masques.colonnes_masquees, '{{ column }}') then null else source.{{ column }} end
        as {{ column }},
    {%- endif %}
    {%- endfor %}
    coalesce(masques.colonnes_masquees, []::varchar []) as colonnes_masquees
from source
left join masques
    on
        source.niveau = masques.niveau
        and source.code_zone = masques.code_zone
        and source.annee = masques.annee
        and masques.cle_dimensions = {{ "concat_ws('|', " ~ (dims | join(', ')) ~ ")" if dims else "''" }}
{%- endmacro %}


{#- The relation built in the warehouse for a mart or a seed: ref() in a run; in a dbt unit test, where ref() is
    the fixture's CTE, the built relation of the same name, so that compile-time introspection still works. -#}
{% macro built_relation(name, schema) -%}
{%- set relation = ref(name) -%}
{%- if relation.type == 'cte' -%}
    {%- set relation = api.Relation.create(database=target.database, schema=schema, identifier=name) -%}
{%- endif -%}
{{ return(relation) }}
{%- endmacro %}
