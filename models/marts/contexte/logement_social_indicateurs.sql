-- The social housing stock at 1 January by zone (département, territoire, EPCI) and millésime (SDES, RPLS): counts
-- summed from communes, shares as fractions of the zone's stock. Its share of the résidences principales (the
-- census, another source and millésime) is computed where both are shown (diagnostic, reports), not here.
with rpls as (
    select * from {{ ref('stg_rpls__communes') }}
)

select
    {{ zone_columns(['departement', 'territoire', 'epci']) }},
    rpls.millesime as annee,
    sum(rpls.nb_logements_sociaux) as nb_logements_sociaux,
    sum(rpls.nb_ls_individuels) as nb_ls_individuels,
    sum(rpls.nb_ls_collectifs) as nb_ls_collectifs,
    sum(rpls.nb_ls_1_piece) as nb_ls_1_piece,
    sum(rpls.nb_ls_2_pieces) as nb_ls_2_pieces,
    sum(rpls.nb_ls_3_pieces) as nb_ls_3_pieces,
    sum(rpls.nb_ls_4_pieces) as nb_ls_4_pieces,
    sum(rpls.nb_ls_5_pieces_plus) as nb_ls_5_pieces_plus,
    sum(rpls.nb_ls_vacants) as nb_ls_vacants,
    {{ ratio('sum(rpls.nb_ls_individuels)', 'sum(rpls.nb_logements_sociaux)') }} as part_ls_individuels,
    {{ ratio('sum(rpls.nb_ls_vacants)', 'sum(rpls.nb_logements_sociaux)') }} as taux_vacance_ls
from rpls
inner join {{ ref('int_geo__communes') }} as geo on rpls.code_commune = geo.code_commune
group by grouping sets ({{ zone_grouping_sets(['departement', 'territoire', 'epci'], ['rpls.millesime']) }})
