-- PPPI by zone (département, territoire, EPCI, commune) and millésime: logements potentiellement
-- indignes among private résidences principales, by cadastral category and occupancy status.
with pppi as (
    select * from {{ ref('stg_pppi__communes') }}
)

select
    {{ zone_columns(['departement', 'territoire', 'epci', 'commune']) }},
    pppi.millesime as annee,
    cast(sum(pppi.nb_rp_privees) as bigint) as nb_rp_privees,
    cast(sum(pppi.nb_pppi) as bigint) as nb_pppi,
    cast(sum(pppi.nb_pppi_cat6) as bigint) as nb_pppi_cat6,
    cast(sum(pppi.nb_pppi_cat78) as bigint) as nb_pppi_cat78,
    cast(sum(pppi.nb_pppi_po) as bigint) as nb_pppi_po,
    cast(sum(pppi.nb_pppi_lp) as bigint) as nb_pppi_lp,
    cast(sum(pppi.nb_pppi_avant_1949) as bigint) as nb_pppi_avant_1949,
    count(*) filter (where pppi.secret_statistique) as nb_communes_secret_producteur,
    {{ ratio('sum(pppi.nb_pppi)', 'sum(pppi.nb_rp_privees)') }} as taux_pppi,
    {{ ratio('sum(pppi.nb_pppi_lp)', 'sum(pppi.nb_pppi)') }} as part_pppi_locataires,
    {{ ratio('sum(pppi.nb_pppi_po)', 'sum(pppi.nb_pppi)') }} as part_pppi_proprietaires_occupants
from pppi
inner join {{ ref('int_geo__communes') }} as geo on pppi.code_commune = geo.code_commune
group by grouping sets ({{ zone_grouping_sets(['departement', 'territoire', 'epci', 'commune'], ['pppi.millesime']) }})
