-- Evaluation indicators of the plan's fiches actions, by zone and year: those the five sources feed
-- (2-5 CFP and regularised debts, 3-1 jeunes, 3-4 victimes de violences, 4-3 FSL eau / énergie /
-- téléphone) and fiche 6-3's completeness of the follow-up, computed; and those the pilots report in their
-- follow-up workbooks (collected), side by side. A collected indicator not yet reported shows with no value.
-- A year of a collected indicator: the sum of its quarters for a count or an amount, its latest value
-- otherwise; a milestone has no value, its date is in the comment.
with referentiel as (
    select * from {{ ref('indicateurs_plan_referentiel') }}
),

completude_suivi as (
    -- Fiche 6-3: the completeness at the year's last COTECH, in the long form of int_indicateurs__valeurs.
    select
        'departement' as niveau,
        '62' as code_zone,
        year(date_cotech)::integer as annee,
        unnest(['nb_elements_dus', 'nb_elements_renseignes']) as colonne,
        unnest([nb_elements_dus, nb_elements_renseignes])::double as valeur
    from {{ ref('suivi_completude') }}
    where perimetre = 'ensemble'
    qualify date_cotech = max(date_cotech) over (partition by year(date_cotech))
),

valeurs as (
    select
        niveau,
        code_zone,
        annee,
        colonne,
        valeur
    from {{ ref('int_indicateurs__valeurs') }}
    union all
    select * from completude_suivi
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

collectes as (
    select
        elements.code_indicateur,
        elements.niveau,
        elements.code_zone,
        left(elements.periode, 4)::integer as annee,
        case
            when any_value(referentiel.nature) in ('nombre', 'montant') then sum(elements.valeur)
            else arg_max(elements.valeur, elements.periode)
        end as valeur,
        case
            when any_value(referentiel.nature) = 'jalon' and min(elements.date_jalon) is not null
                then 'jalon atteint le ' || strftime(min(elements.date_jalon), '%d/%m/%Y')
            else arg_max(elements.commentaire, elements.periode)
        end as commentaire
    from {{ ref('int_suivi__elements_dus') }} as elements
    inner join referentiel on elements.code_indicateur = referentiel.code_indicateur
    where not elements.est_avancement and elements.renseigne
    group by elements.code_indicateur, elements.niveau, elements.code_zone, left(elements.periode, 4)
)

select
    referentiel.fiche,
    referentiel.code_indicateur,
    referentiel.libelle_indicateur,
    referentiel.source,
    referentiel.mode,
    referentiel.unite,
    coalesce(calcules.niveau, collectes.niveau, 'departement') as niveau,
    coalesce(calcules.code_zone, collectes.code_zone, '62') as code_zone,
    coalesce(calcules.annee, collectes.annee) as annee,
    annees.annee_complete,
    case
        when referentiel.mode = 'collecte' then collectes.valeur
        when referentiel.denominateur is null then calcules.numerateur * referentiel.facteur
        when calcules.denominateur > 0 then calcules.numerateur / calcules.denominateur * referentiel.facteur
    end as valeur,
    calcules.numerateur,
    calcules.denominateur,
    case
        when referentiel.mode = 'calcule' then 'calculé'
        when collectes.code_indicateur is not null then 'collecté'
        else 'à collecter'
    end as statut,
    collectes.commentaire,
    referentiel.ligne_plan
from referentiel
left join calcules on referentiel.code_indicateur = calcules.code_indicateur
left join collectes on referentiel.code_indicateur = collectes.code_indicateur
left join annees on coalesce(calcules.annee, collectes.annee) = annees.annee
