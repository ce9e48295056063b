-- RSA households by zone (département, territoire, EPCI) and December (Cnaf, data.caf.fr): counts summed from
-- communes (rounded to 5 by the Cnaf, additive), households the CAF places in no commune counted apart on the
-- département's row. The share of households on the RSA divides by the census households (résidences
-- principales) of the latest census published before the CAF's December is (census N is published in June N+3,
-- the CAF's December N around July N+1: census millésime <= annee - 2), a ratio of the zone's counts, never an
-- average of communes' rates.
with caf as (
    select
        {{ zone_columns(['departement', 'territoire', 'epci']) }},
        caf.millesime as annee,
        sum(caf.nb_foyers_allocataires) as nb_foyers_allocataires,
        sum(caf.nb_foyers_rsa) as nb_foyers_rsa,
        sum(caf.nb_personnes_couvertes_rsa) as nb_personnes_couvertes_rsa,
        count(*) filter (where caf.secret_producteur) as nb_communes_secret_caf
    from {{ ref('stg_caf__communes') }} as caf
    inner join {{ ref('int_geo__communes') }} as geo on caf.code_commune = geo.code_commune
    group by grouping sets ({{ zone_grouping_sets(['departement', 'territoire', 'epci'], ['caf.millesime']) }})
),

menages as (
    select
        niveau,
        code_zone,
        annee,
        nb_residences_principales
    from {{ ref('contexte_indicateurs') }}
    where niveau in ('departement', 'territoire', 'epci')
)

select
    caf.niveau,
    caf.code_zone,
    caf.annee,
    caf.nb_foyers_allocataires,
    caf.nb_foyers_rsa,
    caf.nb_personnes_couvertes_rsa,
    caf.nb_communes_secret_caf,
    case when caf.niveau = 'departement' then coalesce(non_localises.nb_foyers_rsa_non_localises, 0) end
        as nb_foyers_rsa_non_localises,
    menages.annee as millesime_recensement_menages,
    menages.nb_residences_principales as nb_menages_recensement,
    {{ ratio('caf.nb_foyers_rsa', 'menages.nb_residences_principales') }} as part_foyers_rsa
from caf
asof left join menages
    on
        caf.niveau = menages.niveau
        and caf.code_zone = menages.code_zone
        and caf.annee - 2 >= menages.annee
left join {{ ref('stg_caf__non_localises') }} as non_localises
    on caf.annee = non_localises.millesime
