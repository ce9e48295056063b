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

{#- Keep, per business key, the row of the latest extract (a later delivery replaces an earlier one). -#}
{% macro latest_version(key) -%}
    qualify row_number() over (
        partition by {{ key }} order by _date_extraction desc, _fichier desc, _ligne desc
    ) = 1
{%- endmacro %}
