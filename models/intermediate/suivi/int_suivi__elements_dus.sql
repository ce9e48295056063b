-- Everything due at each COTECH of the tool (seed suivi_attendus, written with the workbooks from one
-- definition: observatoire/followup/referential.py), with what the pilot's latest workbook for that COTECH
-- reports: the values of the fiche sheets and the progress of each fiche led (sheet Avancement).
with attendus as (
    select attendus.*
    from {{ ref('suivi_attendus') }} as attendus
    semi join {{ ref('int_suivi__cotech') }} as cotech on attendus.date_cotech = cotech.date_cotech
),

retours as (
    select * from {{ ref('stg_suivi__retours') }}
),

classeurs as (
    select distinct
        pilote,
        date_cotech,
        fichier_source,
        recu_le
    from retours
)

select
    attendus.date_cotech,
    attendus.periode_cotech,
    attendus.pilote,
    attendus.fiche,
    attendus.feuille,
    attendus.feuille = 'Avancement' as est_avancement,
    attendus.code_indicateur,
    attendus.niveau,
    attendus.code_zone,
    attendus.periode,
    retours.valeur,
    retours.valeur_texte,
    retours.date_jalon,
    retours.commentaire,
    retours.statut,
    retours.commentaire_avancement,
    retours.prochain_jalon,
    retours.date_prochain_jalon,
    classeurs.fichier_source,
    classeurs.recu_le,
    classeurs.fichier_source is not null as classeur_recu,
    coalesce(retours.valeur_texte, retours.statut) is not null as renseigne
from attendus
left join classeurs
    on attendus.pilote = classeurs.pilote and attendus.date_cotech = classeurs.date_cotech
left join retours
    on
        attendus.pilote = retours.pilote
        and attendus.date_cotech = retours.date_cotech
        and attendus.feuille = retours.feuille
        and attendus.fiche = retours.fiche
        and attendus.code_indicateur is not distinct from retours.code_indicateur
        and attendus.code_zone is not distinct from retours.code_zone
        and attendus.periode is not distinct from retours.periode
