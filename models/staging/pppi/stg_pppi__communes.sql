-- One row per current commune and millésime: communes merged since the millésime are summed
-- into the commune they belong to today. A table, rebuilt whole: a merged commune's sum needs every row.
{{ config(materialized='table') }}

with source as (
    {{ latest_versions('pppi', 'code_commune, millesime') }}
)

select
    communes.code_commune_actuel as code_commune,
    formats.entier(source.millesime) as millesime,
    sum(formats.entier(source.nb_rp_privees)) as nb_rp_privees,
    sum(formats.entier(source.nb_pppi)) as nb_pppi,
    sum(formats.entier(source.nb_pppi_cat6)) as nb_pppi_cat6,
    sum(formats.entier(source.nb_pppi_cat78)) as nb_pppi_cat78,
    sum(formats.entier(source.nb_pppi_po)) as nb_pppi_po,
    sum(formats.entier(source.nb_pppi_lp)) as nb_pppi_lp,
    sum(formats.entier(source.nb_pppi_avant_1949)) as nb_pppi_avant_1949,
    bool_or(formats.booleen_on(source.secret_statistique)) as secret_statistique,
    max(source._fichier) as fichier_source,
    max(source._date_extraction) as date_extraction
from source
left join {{ ref('correspondance_communes') }} as communes
    on source.code_commune = communes.code_commune_origine
group by communes.code_commune_actuel, formats.entier(source.millesime)
