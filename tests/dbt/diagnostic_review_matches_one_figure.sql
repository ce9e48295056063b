-- Each reviewed figure names exactly one published figure, and zones the warehouse knows at their level.
with correspondances as (
    select
        revue.ligne_plan,
        revue.code_zone,
        revue.code_indicateur,
        revue.valeur_texte,
        revue.niveau_calcul,
        revue.code_zone_calcul,
        revue.niveau_denominateur,
        revue.code_zone_denominateur,
        count(diagnostic.ligne_plan) as nb_figures
    from {{ ref('revue_figures') }} as revue
    left join {{ ref('diagnostic_2022') }} as diagnostic
        on
            revue.ligne_plan = diagnostic.ligne_plan
            and revue.code_zone = diagnostic.code_zone
            and revue.code_indicateur = diagnostic.code_indicateur
            and revue.valeur_texte = diagnostic.valeur_texte
    group by all
),

zones as (
    select
        niveau,
        code_zone
    from {{ ref('int_geo__zones') }}
    union all
    select distinct
        'arrondissement' as niveau,
        code_arrondissement as code_zone
    from {{ ref('int_geo__communes') }}
)

select correspondances.*
from correspondances
left join zones as calcul
    on correspondances.niveau_calcul = calcul.niveau and correspondances.code_zone_calcul = calcul.code_zone
left join zones as denominateur
    on
        correspondances.niveau_denominateur = denominateur.niveau
        and correspondances.code_zone_denominateur = denominateur.code_zone
where
    correspondances.nb_figures <> 1
    or (correspondances.code_zone_calcul is not null and calcul.code_zone is null)
    or (correspondances.code_zone_denominateur is not null and denominateur.code_zone is null)
    or ((correspondances.niveau_calcul is null) <> (correspondances.code_zone_calcul is null))
    or ((correspondances.niveau_denominateur is null) <> (correspondances.code_zone_denominateur is null))
