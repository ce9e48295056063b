{{ config(unique_key=['numero_procedure', 'etape', 'date_etape']) }}

with source as (
    {{ latest_versions('ccapex', 'numero_procedure, etape, date_etape') }}
)

select
    source.numero_procedure,
    source.tranche_age,
    communes.code_commune_actuel as code_commune,
    source.code_commune as code_commune_extrait,
    source.type_bailleur,
    source.motif_procedure,
    source.etape,
    formats.date_fr(source.date_etape) as date_etape,
    formats.decimal_fr(source.montant_dette) as montant_dette,
    source.decision_jugement,
    source._fichier as fichier_source,
    source._date_extraction as date_extraction
from source
left join {{ ref('correspondance_communes') }} as communes
    on source.code_commune = communes.code_commune_origine
