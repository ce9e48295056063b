-- DALO recours déposés by zone, year and dimension (décision, motif principal, typologie demandée),
-- with the rank of each value within its zone and year (1 = most frequent).
-- Every value counted in the département in a year has a row for every zone that year, 0 included: an absent
-- row would be a known 0, and a zone alone to count a value could then never be hidden by the secret
-- statistique (no other zone's cell could be masked with it).
with recours as (
    select * from {{ ref('int_dalo__recours') }}
),

dimensions as (
    select
        code_commune,
        annee_depot as annee,
        'decision' as dimension,
        coalesce(decision, 'EN_ATTENTE') as code
    from recours
    union all
    select
        code_commune,
        annee_depot as annee,
        'motif' as dimension,
        motif_principal as code
    from recours
    where motif_principal is not null
    union all
    select
        code_commune,
        annee_depot as annee,
        'motif' as dimension,
        motif_secondaire as code
    from recours
    where motif_secondaire is not null
    union all
    select
        code_commune,
        annee_depot as annee,
        'typologie' as dimension,
        typologie_demandee as code
    from recours
    where typologie_demandee is not null
),

par_zone as (
    select
        {{ zone_columns() }},
        dimensions.annee,
        dimensions.dimension,
        dimensions.code,
        count(*) as nb_recours
    from dimensions
    inner join {{ ref('int_geo__communes') }} as geo on dimensions.code_commune = geo.code_commune
    group by grouping sets ({{ zone_grouping_sets(by=['dimensions.annee', 'dimensions.dimension',
                                                       'dimensions.code']) }})
),

grille as (
    select
        zones_annees.niveau,
        zones_annees.code_zone,
        valeurs.annee,
        valeurs.dimension,
        valeurs.code
    from {{ ref('int_geo__zones_annees') }} as zones_annees
    inner join par_zone as valeurs
        on zones_annees.annee = valeurs.annee and valeurs.niveau = 'departement'
),

complet as (
    select
        grille.niveau,
        grille.code_zone,
        grille.annee,
        grille.dimension,
        grille.code,
        coalesce(par_zone.nb_recours, 0) as nb_recours
    from grille
    left join par_zone
        on
            grille.niveau = par_zone.niveau
            and grille.code_zone = par_zone.code_zone
            and grille.annee = par_zone.annee
            and grille.dimension = par_zone.dimension
            and grille.code = par_zone.code
)

select
    *,
    rank() over (partition by niveau, code_zone, annee, dimension order by nb_recours desc) as rang
from complet
