{{ config(unique_key='numero_recours') }}

with source as (
    {{ latest_versions('dalo', 'numero_recours') }}
)

select
    source.numero_recours,
    source.tranche_age,
    communes.code_commune_actuel as code_commune,
    source.code_commune as code_commune_extrait,
    source.type_recours,
    formats.date_fr(source.date_depot) as date_depot,
    source.motif_principal,
    source.motif_secondaire,
    source.typologie_demandee,
    formats.entier(source.taille_menage) as taille_menage,
    formats.date_fr(source.date_decision) as date_decision,
    source.decision,
    source.suite,
    formats.date_fr(source.date_relogement) as date_relogement,
    source._fichier as fichier_source,
    source._date_extraction as date_extraction
from source
left join {{ ref('correspondance_communes') }} as communes
    on source.code_commune = communes.code_commune_origine
