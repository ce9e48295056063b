-- The rows of the follow-up workbooks returned by the pilots (fiche 6-3), typed: for each pilot and COTECH,
-- only the latest workbook loaded counts (a workbook returned twice replaces the earlier one as a whole; the
-- ledger keeps both). A table, rebuilt whole: a few thousand rows.
{{ config(materialized='table') }}

with fichiers as (
    {{ file_versions('suivi_plan') }}
),

lignes as (
    select retour.*
    from {{ source('raw', 'suivi_plan') }} as retour
    inner join fichiers
        on retour._fichier = fichiers._fichier and retour._charge_le = fichiers._charge_le
),

derniers as (
    -- the latest loaded; among workbooks loaded together, the latest prepared (a workbook sent again)
    select distinct
        pilote,
        date_cotech,
        _fichier
    from lignes
    qualify
        row_number() over (
            partition by pilote, date_cotech order by _charge_le desc, _date_extraction desc, _fichier desc
        ) = 1
)

select
    lignes.pilote,
    formats.date_fr(lignes.date_cotech) as date_cotech,
    lignes.feuille,
    formats.entier(lignes.ligne_feuille) as ligne_feuille,
    lignes.feuille = 'Avancement' as est_avancement,
    lignes.fiche,
    lignes.code_indicateur,
    lignes.nature,
    lignes.niveau,
    lignes.code_zone,
    lignes.periode,
    lignes.valeur as valeur_texte,
    case
        when lignes.nature in ('nombre', 'part', 'montant', 'delai') then formats.decimal_fr(lignes.valeur)::double
        when lignes.nature = 'qualitatif' then try_cast(lignes.valeur as double)
    end as valeur,
    case when lignes.nature = 'jalon' then formats.date_fr(lignes.valeur) end as date_jalon,
    lignes.commentaire,
    lignes.statut,
    lignes.commentaire_avancement,
    lignes.prochain_jalon,
    formats.date_fr(lignes.date_prochain_jalon) as date_prochain_jalon,
    lignes._fichier as fichier_source,
    lignes._charge_le::date as recu_le
from lignes
semi join derniers
    on
        lignes.pilote = derniers.pilote and lignes.date_cotech = derniers.date_cotech
        and lignes._fichier = derniers._fichier
