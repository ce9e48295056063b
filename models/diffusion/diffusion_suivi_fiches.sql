{{ config(alias='suivi_fiches') }}

-- Progress and completeness of the follow-up per fiche and COTECH, for diffusion (no count of people).
select * exclude (statut_referentiel)
from {{ ref('suivi_fiches') }}
