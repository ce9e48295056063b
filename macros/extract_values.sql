{#- Staging's casts are the warehouse macros of schema formats (formats.date_fr, formats.decimal_fr,
    formats.entier, formats.booleen_on), defined once in observatoire/formats.py and installed by the loader:
    the ingestion accepts exactly what they cast. -#}

{#- Per business key, the row of the latest extract (a later delivery replaces an earlier one). Each raw row gets
    one BIGINT version, (rank of its file in extraction order) * 2^32 + line, so finding each key's winner is a
    plain max(): its fixed-size state spills to disk, where arg_max over (date, file, line) kept strings in
    memory and ran out of DuckDB's 2 GB at scale 100 (33 million keys). Only the rows of each file name's
    latest delivery are read: a file delivered again under its name replaces its earlier copy as a whole. In an
    incremental run only the keys of newly loaded files are read (keys_loaded_since_last_build). -#}
{% macro latest_versions(source_name, key) -%}
    {%- set raw_relation = source('raw', source_name) -%}
    select versions.*
    from {{ raw_relation }} as versions
    inner join ({{ file_versions(source_name) }}) as fichier_versions
        on
            versions._fichier = fichier_versions._fichier
            and versions._charge_le = fichier_versions._charge_le
    semi join (
        select max(fichiers.version_base + candidates._ligne) as _version
        from {{ raw_relation }} as candidates
        inner join ({{ file_versions(source_name) }}) as fichiers
            on
                candidates._fichier = fichiers._fichier
                and candidates._charge_le = fichiers._charge_le
        {{ keys_loaded_since_last_build(raw_relation, key) }}
        group by {{ key }}
    ) as derniere on derniere._version = fichier_versions.version_base + versions._ligne
{%- endmacro %}

{#- Loaded files of a source in extraction order, each with the base of its rows' versions and its latest
    delivery (the load time of the copy whose rows count). -#}
{% macro file_versions(source_name) -%}
    select
        fichier as _fichier,
        max(charge_le) as _charge_le,
        row_number() over (order by min(date_extraction), fichier) * 4294967296 as version_base
    from {{ source('raw', 'journal_chargements') }}
    where source = '{{ source_name }}' and statut = 'CHARGE'
    group by fichier
{%- endmacro %}

{#- Incremental staging: in an incremental run, only the keys delivered by files loaded since this model was
    last built (every version of those keys, so the latest one wins whatever order files arrived in); a full
    build reads them all. The rows of those keys then replace theirs (delete+insert on the key). Only loads count:
    a later refused copy of a staged file's name must not move the mark past files loaded with it. -#}
{% macro keys_loaded_since_last_build(source_relation, key) -%}
    {%- if is_incremental() %}
    semi join (
        select distinct {{ key }}
        from {{ source_relation }}
        where _charge_le > (
            select coalesce(max(journal.charge_le), timestamp '1900-01-01')
            from {{ this }} as deja
            inner join {{ source('raw', 'journal_chargements') }} as journal
                on deja.fichier_source = journal.fichier and journal.statut = 'CHARGE'
        )
    ) as cles_nouvelles using ({{ key }})
    {%- endif %}
{%- endmacro %}
