{{ config(unique_key='numero_unique') }}

with source as (
    {{ latest_versions('sne_attributions', 'numero_unique') }}
)

select
    source.numero_unique,
    source.tranche_age,
    formats.date_fr(source.date_attribution) as date_attribution,
    formats.date_fr(source.date_depot) as date_depot,
    communes.code_commune_actuel as code_commune,
    source.code_commune as code_commune_extrait,
    source.typologie_attribuee,
    formats.booleen_on(source.logement_qpv) as logement_qpv,
    source.reservataire,
    source.bailleur,
    formats.booleen_on(source.prioritaire_dalo) as prioritaire_dalo,
    formats.booleen_on(source.prioritaire_pdalhpd) as prioritaire_pdalhpd,
    formats.entier(source.quartile_ressources) as quartile_ressources,
    formats.booleen_on(source.demande_mutation) as demande_mutation,
    formats.entier(source.taille_menage) as taille_menage,
    source._fichier as fichier_source,
    source._date_extraction as date_extraction
from source
left join {{ ref('correspondance_communes') }} as communes
    on source.code_commune = communes.code_commune_origine
