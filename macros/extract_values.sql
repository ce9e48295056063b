{#- Casts of the producers' French text formats, used by every staging model. -#}

{% macro date_fr(column) -%}
    cast(strptime({{ column }}, '%d/%m/%Y') as date)
{%- endmacro %}

{% macro decimal_fr(column) -%}
    cast(replace(replace({{ column }}, ' ', ''), ',', '.') as decimal(14, 2))
{%- endmacro %}

{% macro booleen_on(column) -%}
    case {{ column }} when 'O' then true when 'N' then false end
{%- endmacro %}

{#- Per business key, the row of the latest extract (a later delivery replaces an earlier one): the winner of
    each key is found by an aggregate on narrow columns (file and line identify a raw row): a window over whole
    rows ran out of DuckDB's memory at scale 10. At scale 100 this aggregate does not fit either (its states do
    not spill): see docs/benchmarks.md. In an incremental
    run only the keys of newly loaded files are read (keys_loaded_since_last_build). -#}
{% macro latest_versions(source_name, key) -%}
    select versions.*
    from {{ source('raw', source_name) }} as versions
    semi join (
        select
            arg_max(_fichier, (_date_extraction, _fichier, _ligne)) as _fichier,
            arg_max(_ligne, (_date_extraction, _fichier, _ligne)) as _ligne
        from {{ source('raw', source_name) }} as candidates
        {{ keys_loaded_since_last_build(source('raw', source_name), key) }}
        group by {{ key }}
    ) as derniere using (_fichier, _ligne)
{%- endmacro %}

{#- Incremental staging: in an incremental run, only the keys delivered by files loaded since this model was
    last built (every version of those keys, so the latest one wins whatever order files arrived in); a full
    build reads them all. The rows of those keys then replace theirs (delete+insert on the key). -#}
{% macro keys_loaded_since_last_build(source_relation, key) -%}
    {%- if is_incremental() %}
    semi join (
        select distinct {{ key }}
        from {{ source_relation }}
        where _charge_le > (
            select coalesce(max(journal.charge_le), timestamp '1900-01-01')
            from {{ this }} as deja
            inner join {{ source('raw', 'journal_chargements') }} as journal
                on deja.fichier_source = journal.fichier
        )
    ) as cles_nouvelles using ({{ key }})
    {%- endif %}
{%- endmacro %}
