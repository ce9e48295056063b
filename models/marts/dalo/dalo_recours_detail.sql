-- DALO recours déposés by zone, year and dimension (décision, motif principal, typologie demandée),
-- with the rank of each value within its zone and year (1 = most frequent).
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
)

select
    *,
    rank() over (partition by niveau, code_zone, annee, dimension order by nb_recours desc) as rang
from par_zone
