-- FINESS establishments (ANS, « Extraction du fichier des établissements ») of the Pas-de-Calais: one row per
-- establishment and year, from the year's latest extraction. The commune is the Insee code (département + the
-- 3-digit code FINESS gives), brought to the current commune.
{{ config(materialized='table') }}

with source as (
    {{ finess_latest_extraction('finess_etablissements', 'nofinesset') }}
)

select
    formats.entier(source.millesime) as millesime,
    source.nofinesset,
    source.nofinessej,
    coalesce(communes.code_commune_actuel, source.departement || source.commune) as code_commune,
    source.categetab as categorie,
    source.libcategetab as libelle_categorie,
    source._fichier as fichier_source,
    source._date_extraction as date_extraction
from source
left join {{ ref('correspondance_communes') }} as communes
    on source.departement || source.commune = communes.code_commune_origine
