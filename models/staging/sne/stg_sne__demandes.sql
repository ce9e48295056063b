{{ config(unique_key='numero_unique') }}

with source as (
    {{ latest_versions('sne_demandes', 'numero_unique') }}
)

select
    source.numero_unique,
    source.tranche_age,
    residence.code_commune_actuel as code_commune_residence,
    souhaitee.code_commune_actuel as code_commune_souhaitee,
    source.code_commune_souhaitee as code_commune_souhaitee_extrait,
    -- The demanded typologies as a list ("T2/T3" -> ['T2', 'T3']).
    list_transform(string_split(source.typologies_souhaitees, '/'), t -> upper(trim(t))) as typologies_souhaitees,
    formats.date_fr(source.date_depot) as date_depot,
    formats.date_fr(source.date_renouvellement) as date_renouvellement,
    source.statut,
    formats.date_fr(source.date_radiation) as date_radiation,
    source.motif_radiation,
    formats.booleen_on(source.demande_mutation) as demande_mutation,
    formats.entier(source.taille_menage) as taille_menage,
    source.motif_principal,
    formats.booleen_on(source.prioritaire_dalo) as prioritaire_dalo,
    formats.booleen_on(source.prioritaire_pdalhpd) as prioritaire_pdalhpd,
    source._fichier as fichier_source,
    source._date_extraction as date_extraction
from source
left join {{ ref('correspondance_communes') }} as residence
    on source.code_commune_residence = residence.code_commune_origine
left join {{ ref('correspondance_communes') }} as souhaitee
    on source.code_commune_souhaitee = souhaitee.code_commune_origine
