-- One row per FSL dossier with its year (of decision, else of filing) and the flags the indicators count.
-- An "aide financière" is an accord with an amount that is not a guarantee; a "garantie" is an accord
-- of a rent guarantee (form GARANTIE or the guarantee flag).
with dossiers as (
    select * from {{ ref('stg_fsl__demandes_aide') }}
)

select
    numero_dossier,
    code_commune,
    cast(year(coalesce(date_decision, date_depot)) as integer) as annee,
    volet,
    decision,
    logement_identifie,
    type_parc,
    decision = 'ACCORD' and coalesce(montant_accorde, 0) > 0 and coalesce(forme_aide, '') <> 'GARANTIE'
        as aide_accordee,
    case
        when decision = 'ACCORD' and coalesce(forme_aide, '') <> 'GARANTIE' then coalesce(montant_accorde, 0)
        else 0
    end as montant_aide,
    decision = 'ACCORD' and coalesce(forme_aide = 'GARANTIE' or garantie_loyer, false) as garantie_accordee,
    decision = 'ACCORD_PRINCIPE' as accord_principe,
    decision = 'ACCORD' as accorde
from dossiers
