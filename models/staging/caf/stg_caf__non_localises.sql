-- The CAF's households of the Pas-de-Calais in no known commune (a masked code such as 62XXX), by December: of
-- the département, of no territory or EPCI (docs/sources/caf.md).
with source as (
    {{ latest_versions('caf_allocataires', 'code_geo, millesime') }}
)

select
    formats.entier(source.millesime) as millesime,
    count(*) as nb_lignes_non_localisees,
    sum(formats.mesure(source.nb_foyers_allocataires)) as nb_foyers_allocataires_non_localises,
    sum(formats.mesure(source.nb_foyers_rsa)) as nb_foyers_rsa_non_localises,
    sum(formats.mesure(source.nb_personnes_couvertes_rsa)) as nb_personnes_couvertes_rsa_non_localisees,
    max(source._fichier) as fichier_source
from source
anti join {{ ref('correspondance_communes') }} as communes
    on source.code_geo = communes.code_commune_origine
group by formats.entier(source.millesime)
