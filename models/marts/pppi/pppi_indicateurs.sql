-- PPPI by zone (département, territoire, EPCI, commune) and millésime: logements potentiellement
-- indignes among private résidences principales, by cadastral category and occupancy status.
with pppi as (
    select * from {{ ref('stg_pppi__communes') }}
)

select
    {{ zone_columns(['departement', 'territoire', 'epci', 'commune']) }},
    pppi.millesime as annee,
    sum(pppi.nb_rp_privees) as nb_rp_privees,
    sum(pppi.nb_pppi) as nb_pppi,
    sum(pppi.nb_pppi_cat6) as nb_pppi_cat6,
    sum(pppi.nb_pppi_cat78) as nb_pppi_cat78,
    sum(pppi.nb_pppi_po) as nb_pppi_po,
    sum(pppi.nb_pppi_lp) as nb_pppi_lp,
    sum(pppi.nb_pppi_avant_1949) as nb_pppi_avant_1949,
    count(*) filter (where pppi.secret_statistique) as nb_communes_secret_producteur,
    {{ ratio('sum(pppi.nb_pppi)', 'sum(pppi.nb_rp_privees)') }} as taux_pppi,
    {{ ratio('sum(pppi.nb_pppi_lp)', 'sum(pppi.nb_pppi)') }} as part_pppi_locataires,
    {{ ratio('sum(pppi.nb_pppi_po)', 'sum(pppi.nb_pppi)') }} as part_pppi_proprietaires_occupants
from pppi
inner join {{ ref('int_geo__communes') }} as geo on pppi.code_commune = geo.code_commune
group by grouping sets ({{ zone_grouping_sets(['departement', 'territoire', 'epci', 'commune'], ['pppi.millesime']) }})
