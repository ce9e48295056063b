-- Per fiche action and COTECH: its progress as its lead pilot reports it (sheet Avancement), the values due
-- and reported, and the completeness of its follow-up.
with elements as (
    select * from {{ ref('int_suivi__elements_dus') }}
),

avancements as (
    select * from elements
    where est_avancement
),

valeurs as (
    select
        date_cotech,
        fiche,
        count(*) as nb_valeurs_dues,
        count(*) filter (where renseigne) as nb_valeurs_renseignees
    from elements
    where not est_avancement
    group by all
),

cotech as (
    select * from {{ ref('int_suivi__cotech') }}
)

select
    fiches.fiche,
    fiches.axe,
    fiches.libelle_axe,
    fiches.titre,
    fiches.statut_referentiel,
    cotech.date_cotech,
    cotech.periode_cotech,
    cotech.est_dernier,
    avancements.pilote,
    avancements.statut as statut_action,
    avancements.commentaire_avancement,
    avancements.prochain_jalon,
    avancements.date_prochain_jalon,
    avancements.date_prochain_jalon <= cotech.date_cotech_suivant as jalon_avant_prochain_cotech,
    coalesce(avancements.classeur_recu, false) as avancement_recu,
    coalesce(valeurs.nb_valeurs_dues, 0) as nb_valeurs_dues,
    coalesce(valeurs.nb_valeurs_renseignees, 0) as nb_valeurs_renseignees,
    completude.completude
from {{ ref('fiches_actions') }} as fiches
cross join cotech
left join avancements on fiches.fiche = avancements.fiche and cotech.date_cotech = avancements.date_cotech
left join valeurs on fiches.fiche = valeurs.fiche and cotech.date_cotech = valeurs.date_cotech
left join {{ ref('suivi_completude') }} as completude
    on
        completude.perimetre = 'fiche'
        and fiches.fiche = completude.code_perimetre
        and cotech.date_cotech = completude.date_cotech
