{#-
  Secret statistique for the diffusion layer: a copy of a mart where
  - primary masking: every count (columns nb_*) from 1 to threshold - 1 at the subject levels is masked;
  - secondary masking, repeated `passes` times, so that no masked cell can be recovered by subtraction:
      * hierarchy: among the zones of one parent (territories of the département, EPCI of a territory,
        communes of an EPCI) for the same year, dimensions and measure, a lone masked cell takes the
        smallest other cell with it; a zone with a single child zone is masked with its child;
      * dimensions: among the values of the last dimension (typologies of one zone and year...), same rule;
      * additive relations of one row (seed relations_additives: total = sum of parts), same rule;
  - columns derived from a masked count (ratios of the seed ratios, amounts and medians of the seed
    dependances_secret) are masked with it.
  Masked values are NULL and listed in `colonnes_masquees`; zero is never masked (it reveals no one).
-#}
{% macro diffuser(model_name, seuil, niveaux, dims=[], passes=3) -%}
{%- set source_relation = ref(model_name) -%}
{%- set ratios_relation = built_relation('ratios', 'referentiel') -%}
{%- set dependencies_relation = built_relation('dependances_secret', 'referentiel') -%}
{%- set not_counts = ['nb_communes', 'nb_epci', 'nb_recours_departement', 'nb_communes_secret_producteur'] -%}
{%- set columns = [] -%}
{%- set counts = [] -%}
{%- set derived = {} -%}
{%- if execute -%}
    {%- for column in adapter.get_columns_in_relation(built_relation(model_name, 'marts')) -%}
        {%- do columns.append(column.name) -%}
        {%- if column.name.startswith('nb_') and column.name not in not_counts -%}
            {%- do counts.append(column.name) -%}
        {%- endif -%}
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
{%- else -%}
    {%- do counts.append('nb_placeholder') -%}
{%- endif -%}
with source as (
    select
        *,
        row_number() over () as _ligne
    from {{ source_relation }}
),

cellules as (
    select
        source._ligne,
        source.niveau,
        source.code_zone,
        source.annee,
        {%- for dim in dims %}
        source.{{ dim }},
        {%- endfor %}
        case source.niveau
            when 'territoire' then '62' when 'epci' then zones.code_territoire when 'commune' then zones.code_epci
        end as parent,
        cellules.mesure,
        coalesce(relations.total, cellules.mesure) as groupe_relation,
        cellules.valeur,
        source.niveau in ('{{ niveaux | join("', '") }}') and cellules.valeur >= 1 and cellules.valeur < {{ seuil }} as masque
    from source
    inner join (
        unpivot (select _ligne, {{ counts | join(', ') }} from source)
        on {{ counts | join(', ') }}
        into name mesure value valeur
    ) as cellules on source._ligne = cellules._ligne
    left join {{ ref('int_geo__zones') }} as zones
        on source.niveau = zones.niveau and source.code_zone = zones.code_zone
    left join {{ ref('relations_additives') }} as relations
        on relations.modele = '{{ model_name }}' and cellules.mesure = relations.partie
),

{%- set groups = [
    ('hierarchie', ['niveau', 'parent', 'annee'] + dims + ['mesure'], 'code_zone'),
    ('relations', ['_ligne', 'groupe_relation'], 'mesure'),
] -%}
{%- if dims -%}
    {%- do groups.insert(1, ('dimensions', ['niveau', 'code_zone', 'annee'] + dims[:-1] + ['mesure'], dims[-1])) -%}
{%- endif -%}
{%- set ns = namespace(previous='cellules') %}
{%- for i in range(passes) %}

passe_{{ i + 1 }}_parent_unique as (
    -- A zone with a single child zone (the Ternois and its one EPCI) equals it: mask it with it.
    select cellules.* replace (cellules.masque or coalesce(enfant.masque, false) as masque)
    from {{ ns.previous }} as cellules
    left join (
        select
            case niveau when 'epci' then 'territoire' when 'commune' then 'epci' end as niveau,
            parent as code_zone,
            {{ (['annee'] + dims + ['mesure']) | join(', ') }},
            bool_and(masque) as masque
        from {{ ns.previous }}
        where niveau in ('epci', 'commune')
        group by all
        having count(*) = 1
    ) as enfant
        on
            cellules.niveau = enfant.niveau and cellules.code_zone = enfant.code_zone
            {%- for key in ['annee'] + dims + ['mesure'] %}
            and cellules.{{ key }} = enfant.{{ key }}
            {%- endfor %}
),
{%- set ns.previous = 'passe_' ~ (i + 1) ~ '_parent_unique' %}

passe_{{ i + 1 }}_enfants as (
    -- A masked zone whose child zones are all shown equals their sum: its smallest child is masked too.
    select
        cellules.* exclude (rang, parent_masque, n_enfants_masques)
        replace (cellules.masque or (cellules.parent_masque and cellules.n_enfants_masques = 0
            and cellules.rang = 1) as masque)
    from (
        select
            enfants.*,
            coalesce(parents.masque, false) as parent_masque,
            count(*) filter (where enfants.masque) over groupe as n_enfants_masques,
            row_number() over (groupe order by enfants.masque, enfants.valeur, enfants.code_zone) as rang
        from {{ ns.previous }} as enfants
        left join {{ ns.previous }} as parents
            on
                parents.niveau = case enfants.niveau when 'epci' then 'territoire' when 'commune' then 'epci' end
                and parents.code_zone = enfants.parent
                {%- for key in ['annee'] + dims + ['mesure'] %}
                and parents.{{ key }} = enfants.{{ key }}
                {%- endfor %}
        window groupe as (partition by enfants.niveau, enfants.parent
            {%- for key in ['annee'] + dims + ['mesure'] %}, enfants.{{ key }}{% endfor %})
    ) as cellules
),
{%- set ns.previous = 'passe_' ~ (i + 1) ~ '_enfants' %}
{%- for name, partition, tiebreak in groups %}

passe_{{ i + 1 }}_{{ name }} as (
    select
        * exclude (n_masques, n_cellules, rang)
        replace (masque or (n_masques = 1 and n_cellules > 1 and rang = 1) as masque)
    from (
        select
            *,
            count(*) filter (where masque) over groupe as n_masques,
            count(*) over groupe as n_cellules,
            row_number() over (groupe order by masque, valeur, {{ tiebreak }}) as rang
        from {{ ns.previous }}
        window groupe as (partition by {{ partition | join(', ') }})
    )
),
{%- set ns.previous = 'passe_' ~ (i + 1) ~ '_' ~ name %}
{%- endfor %}
{%- endfor %}

masques as (
    select
        _ligne,
        list(mesure order by mesure) as colonnes_masquees
    from {{ ns.previous }}
    where masque
    group by _ligne
)

select
    {%- for column in columns %}
    {%- if column in counts %}
    case when list_contains(masques.colonnes_masquees, '{{ column }}') then null else source.{{ column }} end
        as {{ column }},
    {%- elif column in derived %}
    case
        when list_has_any(masques.colonnes_masquees, ['{{ derived[column] | join("', '") }}']) then null
        else source.{{ column }}
    end as {{ column }},
    {%- else %}
    source.{{ column }},
    {%- endif %}
    {%- endfor %}
    coalesce(masques.colonnes_masquees, []::varchar []) as colonnes_masquees
from source
left join masques on source._ligne = masques._ligne
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
