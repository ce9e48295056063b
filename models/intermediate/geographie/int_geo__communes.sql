-- Each current commune with every zone it belongs to: the one place the geography hierarchy is built.
select
    communes.code_commune,
    communes.nom_commune,
    communes.population,
    communes.superficie_km2,
    communes.code_arrondissement,
    communes.code_epci,
    epci.nom_epci,
    commune_territoire.code_territoire,
    territoires.nom_territoire,
    '62' as code_departement
from {{ ref('communes') }} as communes
inner join {{ ref('epci') }} as epci on communes.code_epci = epci.code_epci
inner join {{ ref('commune_territoire') }} as commune_territoire
    on communes.code_commune = commune_territoire.code_commune
inner join {{ ref('territoires') }} as territoires
    on commune_territoire.code_territoire = territoires.code_territoire
