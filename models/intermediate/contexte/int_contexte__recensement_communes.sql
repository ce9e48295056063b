-- The three census bases by current commune and millésime, side by side (one row where any of them has one).
with population as (
    select * from {{ ref('stg_insee__rp_population') }}
),

logement as (
    select * from {{ ref('stg_insee__rp_logement') }}
),

emploi as (
    select * from {{ ref('stg_insee__rp_emploi') }}
)

select
    coalesce(population.code_commune, logement.code_commune, emploi.code_commune) as code_commune,
    coalesce(population.millesime, logement.millesime, emploi.millesime) as millesime,
    population.millesime_precedent as millesime_precedent_population,
    logement.millesime_precedent as millesime_precedent_logement,
    population.* exclude (
        code_commune, millesime, millesime_precedent, secret_producteur, fichier_source,
        date_extraction
    ),
    logement.* exclude (
        code_commune, millesime, millesime_precedent, secret_producteur, fichier_source,
        date_extraction
    ),
    emploi.* exclude (code_commune, millesime, secret_producteur, fichier_source, date_extraction),
    coalesce(population.secret_producteur, false) or coalesce(logement.secret_producteur, false)
    or coalesce(emploi.secret_producteur, false) as secret_producteur
from population
full outer join logement
    on population.code_commune = logement.code_commune and population.millesime = logement.millesime
full outer join emploi
    on
        coalesce(population.code_commune, logement.code_commune) = emploi.code_commune
        and coalesce(population.millesime, logement.millesime) = emploi.millesime
