{{ config(unique_key='numero_dossier') }}

with source as (
    {{ latest_versions('fsl', 'numero_dossier') }}
)

select
    source.numero_dossier,
    source.tranche_age,
    communes.code_commune_actuel as code_commune,
    source.code_commune as code_commune_extrait,
    source.volet,
    formats.booleen_on(source.logement_identifie) as logement_identifie,
    source.type_parc,
    formats.date_fr(source.date_depot) as date_depot,
    formats.date_fr(source.date_decision) as date_decision,
    source.decision,
    source.motif_refus,
    source.forme_aide,
    formats.decimal_fr(source.montant_accorde) as montant_accorde,
    formats.booleen_on(source.garantie_loyer) as garantie_loyer,
    formats.entier(source.nb_personnes) as nb_personnes,
    formats.booleen_on(source.procedure_expulsion) as procedure_expulsion,
    source._fichier as fichier_source,
    source._date_extraction as date_extraction
from source
left join {{ ref('correspondance_communes') }} as communes
    on source.code_commune = communes.code_commune_origine
