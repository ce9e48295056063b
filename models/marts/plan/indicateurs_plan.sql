-- Evaluation indicators of the plan's fiches actions, by zone and year: those the five sources feed
-- (2-5 CFP and regularised debts, 3-1 jeunes, 3-4 victimes de violences, 4-3 FSL eau / énergie /
-- téléphone) computed from the marts, and those the COTECH enters by hand (fiche 6-3 tool, seed
-- saisie_cotech), side by side. A manual indicator not yet entered shows with no value.
with referentiel as (
    select * from {{ ref('indicateurs_plan_referentiel') }}
),

valeurs as (
    select * from {{ ref('int_indicateurs__valeurs') }}
),

annees as (
    select * from {{ ref('int_calendrier__annees') }}
),

calcules as (
    select
        referentiel.code_indicateur,
        valeurs.niveau,
        valeurs.code_zone,
        valeurs.annee,
        sum(valeurs.valeur) filter (
            where list_contains(string_split(referentiel.numerateur, '+'), valeurs.colonne)
        ) as numerateur,
        sum(valeurs.valeur) filter (where valeurs.colonne = referentiel.denominateur) as denominateur
    from referentiel
    inner join valeurs
        on
            list_contains(string_split(referentiel.numerateur, '+'), valeurs.colonne)
            or referentiel.denominateur = valeurs.colonne
    where referentiel.mode = 'calcule'
    group by all
),

saisis as (
    select
        saisie.code_indicateur,
        saisie.niveau,
        saisie.code_zone,
        saisie.annee,
        saisie.valeur,
        saisie.commentaire
    from {{ ref('saisie_cotech') }} as saisie
)

select
    referentiel.fiche,
    referentiel.code_indicateur,
    referentiel.libelle_indicateur,
    referentiel.source,
    referentiel.mode,
    referentiel.unite,
    coalesce(calcules.niveau, saisis.niveau, 'departement') as niveau,
    coalesce(calcules.code_zone, saisis.code_zone, '62') as code_zone,
    coalesce(calcules.annee, saisis.annee) as annee,
    annees.annee_complete,
    case
        when referentiel.mode = 'saisi' then saisis.valeur
        when referentiel.denominateur is null then calcules.numerateur * referentiel.facteur
        when calcules.denominateur > 0 then calcules.numerateur / calcules.denominateur * referentiel.facteur
    end as valeur,
    calcules.numerateur,
    calcules.denominateur,
    case
        when referentiel.mode = 'calcule' then 'calculé'
        when saisis.valeur is not null then 'saisi'
        else 'à saisir'
    end as statut,
    saisis.commentaire,
    referentiel.ligne_plan
from referentiel
left join calcules on referentiel.code_indicateur = calcules.code_indicateur
left join saisis on referentiel.code_indicateur = saisis.code_indicateur
left join annees on coalesce(calcules.annee, saisis.annee) = annees.annee
