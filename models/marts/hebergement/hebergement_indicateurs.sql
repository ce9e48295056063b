-- Capacities of hébergement, asylum and logement adapté by zone (département, territoire, EPCI) and year, from
-- FINESS open data (docs/sources/finess.md): installed places (Σ capinstot of the equipment lines not deleted)
-- and establishments with at least one place, by family of FINESS categories (seed finess_categories_hebergement).
-- The year is the year of the FINESS extraction (its latest extraction in the year).
-- Not in FINESS, hence never counted here: emergency shelters (CHU) and asylum seekers' emergency housing (HUDA),
-- which have no FINESS category, and ALT housing; the annex's « hébergement » and « DNA » totals include them.
{{ config(materialized='table') }}

with capacites as (
    select
        millesime,
        nofinesset,
        sum(capacite_installee) filter (where not installation_supprimee) as places
    from {{ ref('stg_finess__equipements') }}
    group by millesime, nofinesset
),

etablissements as (
    select
        etablissements.millesime as annee,
        etablissements.code_commune,
        categories.famille,
        categories.groupe,
        coalesce(capacites.places, 0) as places
    from {{ ref('stg_finess__etablissements') }} as etablissements
    inner join {{ ref('finess_categories_hebergement') }} as categories
        on etablissements.categorie = categories.code_categorie
    left join capacites
        on
            etablissements.millesime = capacites.millesime
            and etablissements.nofinesset = capacites.nofinesset
),

par_zone as (
    select
        {{ zone_columns(['departement', 'territoire', 'epci']) }},
        etab.annee,
        {%- for famille in ['chrs', 'autre_centre_accueil', 'lhss', 'cada_cph', 'pension_famille',
                            'residence_sociale', 'fjt'] %}
            sum(etab.places) filter (where etab.famille = '{{ famille }}') as {{ famille }}_places,
            count(*) filter (where etab.famille = '{{ famille }}' and etab.places > 0) as {{ famille }}_etablissements,
        {%- endfor %}
        {%- for groupe in ['hebergement', 'logement_adapte'] %}
            sum(etab.places) filter (where etab.groupe = '{{ groupe }}') as {{ groupe }}_places,
            count(*) filter (where etab.groupe = '{{ groupe }}' and etab.places > 0) as {{ groupe }}_etablissements,
        {%- endfor %}
        count(*) filter (where etab.places = 0) as etablissements_sans_place
    from etablissements as etab
    inner join {{ ref('int_geo__communes') }} as geo on etab.code_commune = geo.code_commune
    group by grouping sets ({{ zone_grouping_sets(['departement', 'territoire', 'epci'], ['etab.annee']) }})
),

annees_finess as (
    select distinct millesime as annee from {{ ref('stg_finess__etablissements') }}
),

-- every zone for every year FINESS was loaded: a zone without any establishment of a family has 0 places
grille as (
    select
        zones.niveau,
        zones.code_zone,
        zones.population,
        annees.annee
    from {{ ref('int_geo__zones') }} as zones
    cross join annees_finess as annees
    where zones.niveau in ('departement', 'territoire', 'epci')
)

select
    grille.niveau,
    grille.code_zone,
    grille.annee,
    {%- for colonne in ['chrs', 'autre_centre_accueil', 'lhss', 'cada_cph', 'pension_famille', 'residence_sociale',
                        'fjt', 'hebergement', 'logement_adapte'] %}
        cast(coalesce(par_zone.{{ colonne }}_places, 0) as bigint) as {{ colonne }}_places,
        coalesce(par_zone.{{ colonne }}_etablissements, 0) as {{ colonne }}_etablissements,
    {%- endfor %}
    coalesce(par_zone.etablissements_sans_place, 0) as etablissements_sans_place,
    {{ ratio('coalesce(par_zone.hebergement_places, 0)', 'grille.population', 10000) }}
        as places_hebergement_pour_10000_habitants
from grille
left join par_zone
    on
        grille.niveau = par_zone.niveau
        and grille.code_zone = par_zone.code_zone
        and grille.annee = par_zone.annee
