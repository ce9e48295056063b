-- Eviction-prevention indicators by zone and year: procedures reaching each stage in the year
-- (commandements, of which in the private stock, saisines, assignations, of which for a motive other than
-- unpaid rent, by motive, DSF, portes closes, jugements, CQL, CFP demandés / accordés / refusés, expulsions
-- effectives) and the fiche 2-5 share of assigned households who settled their debt.
with etapes as (
    select * from {{ ref('int_ccapex__procedures') }}
),

par_zone as (
    select
        {{ zone_columns() }},
        etapes.annee,
        count(*) filter (where etapes.etape = 'COMMANDEMENT_PAYER') as nb_commandements_payer,
        count(*) filter (where etapes.etape = 'COMMANDEMENT_PAYER' and etapes.parc_prive)
            as nb_commandements_payer_parc_prive,
        count(*) filter (where etapes.etape = 'SAISINE_CCAPEX') as nb_saisines_ccapex,
        count(*) filter (where etapes.etape = 'ASSIGNATION') as nb_assignations,
        count(*) filter (where etapes.etape = 'ASSIGNATION' and etapes.motif_procedure <> 'IMPAYES')
            as nb_assignations_hors_impayes,
        count(*) filter (where etapes.etape = 'ASSIGNATION' and etapes.motif_procedure = 'TROUBLES')
            as nb_assignations_hors_impayes_troubles,
        count(*) filter (where etapes.etape = 'ASSIGNATION' and etapes.motif_procedure = 'CONGE_VENTE_REPRISE')
            as nb_assignations_hors_impayes_conge_vente_reprise,
        count(*) filter (where etapes.etape = 'ASSIGNATION' and etapes.motif_procedure = 'OCCUPATION_SANS_TITRE')
            as nb_assignations_hors_impayes_occupation_sans_titre,
        count(*) filter (where etapes.etape = 'DSF_REALISE') as nb_dsf_realises,
        count(*) filter (where etapes.etape = 'DSF_PORTE_CLOSE') as nb_dsf_portes_closes,
        count(*) filter (where etapes.etape = 'JUGEMENT') as nb_jugements,
        count(*) filter (where etapes.etape = 'COMMANDEMENT_QUITTER') as nb_commandements_quitter,
        count(*) filter (where etapes.etape = 'CFP_DEMANDE') as nb_cfp_demandes,
        count(*) filter (where etapes.etape = 'CFP_ACCORDE') as nb_cfp_accordes,
        count(*) filter (where etapes.etape = 'CFP_REFUSE') as nb_cfp_refuses,
        count(*) filter (where etapes.etape = 'EXPULSION_EFFECTIVE') as nb_cfp_executes,
        count(*) filter (where etapes.etape = 'PROTOCOLE') as nb_protocoles,
        count(*) filter (where etapes.etape = 'DETTE_SOLDEE') as nb_dettes_soldees,
        count(*) filter (where etapes.assignation_regularisee) as nb_assignations_dette_regularisee
    from etapes
    inner join {{ ref('int_geo__communes') }} as geo on etapes.code_commune = geo.code_commune
    group by grouping sets ({{ zone_grouping_sets(by=['etapes.annee']) }})
),

complet as (
    {{ on_zone_year_grid('par_zone') }}
)

select
    niveau,
    code_zone,
    annee,
    annee_complete,
    coalesce(columns(c -> c like 'nb\_%' escape '\'), 0),
    {{ ratio('coalesce(nb_assignations_dette_regularisee, 0)', 'nb_assignations') }}
        as part_assignations_dette_regularisee,
    {{ ratio('coalesce(nb_commandements_payer_parc_prive, 0)', 'nb_commandements_payer') }}
        as part_commandements_payer_parc_prive,
    {{ ratio('coalesce(nb_assignations_hors_impayes, 0)', 'nb_assignations') }} as part_assignations_hors_impayes
from complet
