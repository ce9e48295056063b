-- FINESS social and medico-social equipment (ANS, « Extraction des équipements sociaux et médico-sociaux ») of the
-- Pas-de-Calais: one row per equipment line (discipline, activité, clientèle) and year, from the year's latest
-- extraction. Installed capacity counts only where the installation is not deleted (indsupinst <> 'O').
{{ config(materialized='table') }}

with source as (
    {{ finess_latest_extraction('finess_equipements', 'nofinesset, de, ta, client, indsupinst') }}
)

select
    formats.entier(source.millesime) as millesime,
    source.nofinesset,
    source.de as discipline,
    source.libde as libelle_discipline,
    source.ta as activite,
    source.client as clientele,
    formats.entier(source.capinstot) as capacite_installee,
    formats.entier(source.capinsthab) as capacite_habilitee_aide_sociale,
    coalesce(source.indsupinst = 'O', false) as installation_supprimee,
    source._fichier as fichier_source,
    source._date_extraction as date_extraction
from source
