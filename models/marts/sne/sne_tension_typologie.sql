-- Tension by typology T1..T6+: demands counted in their smallest typology (annexe 4, l. 3215) over
-- attributions of that typology, by zone and year.
with demandes as (
    select
        {{ zone_columns() }},
        demandes.annee,
        demandes.typologie,
        count(*) as nb_demandes_en_cours
    from {{ ref('int_sne__demandes_en_cours') }} as demandes
    inner join {{ ref('int_geo__communes') }} as geo on demandes.code_commune = geo.code_commune
    group by grouping sets ({{ zone_grouping_sets(by=['demandes.annee', 'demandes.typologie']) }})
),

attributions as (
    select
        {{ zone_columns() }},
        attributions.annee,
        attributions.typologie,
        count(*) as nb_attributions
    from {{ ref('int_sne__attributions') }} as attributions
    inner join {{ ref('int_geo__communes') }} as geo on attributions.code_commune = geo.code_commune
    group by grouping sets ({{ zone_grouping_sets(by=['attributions.annee', 'attributions.typologie']) }})
),

grille as (
    select
        zones_annees.niveau,
        zones_annees.code_zone,
        zones_annees.annee,
        typologies.code_typologie as typologie
    from {{ ref('int_geo__zones_annees') }} as zones_annees
    cross join {{ ref('sne_typologies') }} as typologies
)

select
    grille.niveau,
    grille.code_zone,
    grille.annee,
    grille.typologie,
    coalesce(demandes.nb_demandes_en_cours, 0) as nb_demandes_en_cours,
    coalesce(attributions.nb_attributions, 0) as nb_attributions,
    {{ ratio('coalesce(demandes.nb_demandes_en_cours, 0)', 'attributions.nb_attributions') }}
        as tension_demandes_attributions
from grille
left join demandes
    on
        grille.niveau = demandes.niveau and grille.code_zone = demandes.code_zone
        and grille.annee = demandes.annee and grille.typologie = demandes.typologie
left join attributions
    on
        grille.niveau = attributions.niveau and grille.code_zone = attributions.code_zone
        and grille.annee = attributions.annee and grille.typologie = attributions.typologie
