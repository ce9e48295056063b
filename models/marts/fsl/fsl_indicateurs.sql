-- FSL indicators by zone and year (year of decision): accès (logement identifié or not, aides,
-- montants, aide moyenne, accords de principe, garanties by parc), maintien (aides, accords de principe, garanties),
-- eau / énergie / téléphone, and the accompaniment measures ASLL / AML / FAL (ménages, montants).
with dossiers as (
    select * from {{ ref('int_fsl__decisions') }}
),

par_zone as (
    select
        {{ zone_columns() }},
        dossiers.annee,
        count(*) filter (where dossiers.volet = 'ACCES') as nb_dossiers_acces,
        count(*) filter (where dossiers.volet = 'ACCES' and dossiers.logement_identifie) as nb_dossiers_acces_li,
        count(*) filter (
            where dossiers.volet = 'ACCES' and not coalesce(dossiers.logement_identifie, false)
        ) as nb_dossiers_acces_lni,
        count(*) filter (where dossiers.volet = 'ACCES' and dossiers.aide_accordee) as nb_aides_acces,
        coalesce(sum(dossiers.montant_aide) filter (where dossiers.volet = 'ACCES'), 0) as montant_aides_acces,
        count(*) filter (where dossiers.volet = 'ACCES' and dossiers.accord_principe) as nb_accords_principe_acces,
        count(*) filter (where dossiers.volet = 'ACCES' and dossiers.garantie_accordee) as nb_garanties_acces,
        count(*) filter (
            where dossiers.volet = 'ACCES' and dossiers.garantie_accordee and dossiers.type_parc = 'PUBLIC'
        ) as nb_garanties_acces_parc_public,
        count(*) filter (
            where dossiers.volet = 'ACCES' and dossiers.garantie_accordee and dossiers.type_parc = 'PRIVE'
        ) as nb_garanties_acces_parc_prive,
        count(*) filter (where dossiers.volet = 'MAINTIEN') as nb_dossiers_maintien,
        count(*) filter (where dossiers.volet = 'MAINTIEN' and dossiers.aide_accordee) as nb_aides_maintien,
        coalesce(sum(dossiers.montant_aide) filter (where dossiers.volet = 'MAINTIEN'), 0)
            as montant_aides_maintien,
        count(*) filter (where dossiers.volet = 'MAINTIEN' and dossiers.accord_principe)
            as nb_accords_principe_maintien,
        count(*) filter (where dossiers.volet = 'MAINTIEN' and dossiers.garantie_accordee)
            as nb_garanties_maintien,
        count(*) filter (where dossiers.volet = 'ENERGIE') as nb_dossiers_energie,
        count(*) filter (where dossiers.volet = 'ENERGIE' and dossiers.aide_accordee) as nb_aides_energie,
        coalesce(sum(dossiers.montant_aide) filter (where dossiers.volet = 'ENERGIE'), 0) as montant_aides_energie,
        count(*) filter (where dossiers.volet = 'EAU') as nb_dossiers_eau,
        count(*) filter (where dossiers.volet = 'EAU' and dossiers.aide_accordee) as nb_aides_eau,
        coalesce(sum(dossiers.montant_aide) filter (where dossiers.volet = 'EAU'), 0) as montant_aides_eau,
        count(*) filter (where dossiers.volet = 'TELEPHONE') as nb_dossiers_telephone,
        count(*) filter (where dossiers.volet = 'TELEPHONE' and dossiers.aide_accordee) as nb_aides_telephone,
        coalesce(sum(dossiers.montant_aide) filter (where dossiers.volet = 'TELEPHONE'), 0)
            as montant_aides_telephone,
        count(*) filter (where dossiers.volet = 'ASLL' and dossiers.accorde) as nb_menages_asll,
        coalesce(sum(dossiers.montant_aide) filter (where dossiers.volet = 'ASLL'), 0) as montant_asll,
        count(*) filter (where dossiers.volet = 'AML' and dossiers.accorde) as nb_menages_aml,
        coalesce(sum(dossiers.montant_aide) filter (where dossiers.volet = 'AML'), 0) as montant_aml,
        count(*) filter (where dossiers.volet = 'FAL' and dossiers.accorde) as nb_menages_fal,
        coalesce(sum(dossiers.montant_aide) filter (where dossiers.volet = 'FAL'), 0) as montant_fal
    from dossiers
    inner join {{ ref('int_geo__communes') }} as geo on dossiers.code_commune = geo.code_commune
    group by grouping sets ({{ zone_grouping_sets(by=['dossiers.annee']) }})
),

complet as (
    {{ on_zone_year_grid('par_zone') }}
)

select
    niveau,
    code_zone,
    annee,
    annee_complete,
    coalesce(columns(c -> c like 'nb\_%' escape '\' or c like 'montant\_%' escape '\'), 0),
    {{ ratio('montant_aides_acces', 'nb_aides_acces') }} as aide_moyenne_acces,
    {{ ratio('montant_aides_maintien', 'nb_aides_maintien') }} as aide_moyenne_maintien
from complet
