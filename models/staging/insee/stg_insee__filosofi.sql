-- Filosofi by zone and millésime, each level from its own file (its indicators are not additive: a median or a
-- rate is never recomputed from another level). A secret cell is NULL with its flag.
{{ config(materialized='table') }}

with source as (
    {{ latest_versions('insee_filosofi', 'niveau_fichier, code_geo, millesime') }}
)

select
    case source.niveau_fichier
        when 'COM' then 'commune' when 'EPCI' then 'epci' else 'departement'
    end as niveau,
    source.code_geo as code_zone,
    formats.entier(source.millesime) as millesime,
    formats.mesure(source.nb_menages_fiscaux) as nb_menages_fiscaux,
    formats.mesure(source.nb_personnes_menages_fiscaux) as nb_personnes_menages_fiscaux,
    formats.mesure(source.mediane_niveau_vie) as mediane_niveau_vie,
    formats.mesure(source.taux_pauvrete) as taux_pauvrete,
    formats.secret_publie(source.mediane_niveau_vie) or source.mediane_niveau_vie is null as mediane_secret,
    formats.secret_publie(source.taux_pauvrete) or source.taux_pauvrete is null as taux_pauvrete_secret,
    source._fichier as fichier_source,
    source._date_extraction as date_extraction
from source
