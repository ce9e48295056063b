{{ config(alias='suivi_indicateurs') }}

-- The follow-up values for diffusion: a small collected count at territory or arrondissement level is masked
-- (int_diffusion__suivi_masques), and with it the previous value and the change of the rows next to it (a
-- published neighbour and a change would give it back). Computed indicators come masked from
-- diffusion_indicateurs_plan. Which workbook a value came from stays internal.
with indicateurs as (
    select * from {{ ref('suivi_indicateurs') }}
),

masques as (
    select
        code_indicateur,
        code_zone,
        periode
    from {{ ref('int_diffusion__suivi_masques') }}
    union all
    select
        code_indicateur,
        code_zone,
        cast(annee as varchar) as periode
    from {{ ref('diffusion_indicateurs_plan') }}
    where secret_statistique and mode = 'calcule'
),

marques as (
    select
        indicateurs.*,
        masques.code_indicateur is not null as secret_statistique
    from indicateurs
    left join masques
        on
            indicateurs.code_indicateur = masques.code_indicateur
            and indicateurs.code_zone = masques.code_zone
            and indicateurs.periode = masques.periode
),

voisins as (
    select
        marques.*,
        coalesce(lag(marques.secret_statistique) over precedente, false) as precedente_masquee
    from marques
    window precedente as (partition by code_indicateur, code_zone order by periode)
)

select
    fiche,
    code_indicateur,
    libelle_indicateur,
    nature,
    unite,
    niveau,
    code_zone,
    libelle_zone,
    periode,
    date_cotech,
    pilote,
    origine,
    renseigne,
    case when not secret_statistique then valeur end as valeur,
    case when not secret_statistique then valeur_texte end as valeur_texte,
    date_jalon,
    commentaire,
    recu_le,
    case when not (secret_statistique or precedente_masquee) then valeur_precedente end as valeur_precedente,
    case when not (secret_statistique or precedente_masquee) then evolution end as evolution,
    secret_statistique
from voisins
