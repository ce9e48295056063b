-- The 2022 diagnostic as baseline: every figure published in annexe 4 (by territoire) and section II
-- (département), beside the value the warehouse computes for the same year or period and for the latest
-- complete year. Published values are never corrected; unmapped figures (hébergement, poverty...) stay
-- visible with no computed value.
with valeurs as (
    select * from {{ ref('int_indicateurs__valeurs') }}
    where niveau in ('territoire', 'departement')
),

derniere_annee as (
    select max(annee) as annee from {{ ref('int_calendrier__annees') }}
    where annee_complete
),

publie as (
    select
        row_number() over (order by diagnostic.ligne_plan, diagnostic.code_zone, diagnostic.code_indicateur)
            as id_valeur,
        diagnostic.*,
        correspondance.numerateur,
        correspondance.denominateur,
        correspondance.denominateur_departement,
        correspondance.facteur,
        coalesce(nullif(diagnostic.annee, ''), correspondance.annee_defaut) as periode
    from {{ ref('diagnostic_2022') }} as diagnostic
    left join {{ ref('correspondance_indicateurs') }} as correspondance
        on diagnostic.code_indicateur = correspondance.code_indicateur
),

bornes as (
    select
        publie.*,
        try_cast(split_part(publie.periode, '-', 1) as integer) as annee_debut,
        try_cast(
            coalesce(nullif(split_part(publie.periode, '-', 2), ''), split_part(publie.periode, '-', 1))
            as integer
        ) as annee_fin,
        -- Latest complete year with data for this figure (a biennial source has no value every year).
        (
            select max(valeurs.annee)
            from valeurs
            where
                valeurs.annee <= derniere_annee.annee
                and valeurs.code_zone = publie.code_zone
                and list_contains(string_split(publie.numerateur, '+'), valeurs.colonne)
                and valeurs.valeur is not null
        ) as derniere_annee
    from publie
    cross join derniere_annee
),

calculs as (
    select
        bornes.id_valeur,
        periode.nom as periode,
        sum(
            valeurs.valeur) filter (
            where list_contains(string_split(bornes.numerateur, '+'), valeurs.colonne)
            and valeurs.code_zone = bornes.code_zone
        ) as numerateur,
        sum(
            valeurs.valeur) filter (where valeurs.colonne = bornes.denominateur
        and valeurs.code_zone = case when bornes.denominateur_departement then '62' else bornes.code_zone end)
            as denominateur
    from bornes
    cross join (values ('publiee'), ('derniere')) as periode (nom)
    inner join valeurs
        on
            valeurs.annee between
            case periode.nom when 'publiee' then bornes.annee_debut else bornes.derniere_annee end
            and case periode.nom when 'publiee' then bornes.annee_fin else bornes.derniere_annee end
            and valeurs.code_zone in (bornes.code_zone, '62')
    where bornes.numerateur is not null
    group by all
),

valeurs_calculees as (
    select
        calculs.id_valeur,
        calculs.periode,
        calculs.numerateur,
        calculs.denominateur,
        case
            when bornes.denominateur is null then calculs.numerateur * bornes.facteur
            when calculs.denominateur > 0 then calculs.numerateur / calculs.denominateur * bornes.facteur
        end as valeur
    from calculs
    inner join bornes on calculs.id_valeur = bornes.id_valeur
)

select
    bornes.id_valeur,
    bornes.niveau,
    bornes.code_zone,
    bornes.territoire_plan,
    bornes.code_indicateur,
    bornes.libelle_indicateur,
    bornes.unite,
    bornes.valeur_texte as valeur_publiee_texte,
    bornes.valeur as valeur_publiee,
    bornes.annee as annee_publiee,
    bornes.numerateur is not null as calculable,
    bornes.periode as periode_calculee,
    meme_annee.numerateur as numerateur_calcule,
    meme_annee.denominateur as denominateur_calcule,
    meme_annee.valeur as valeur_calculee,
    meme_annee.valeur - bornes.valeur as ecart_calcule_publie,
    {{ ratio('meme_annee.valeur - bornes.valeur', 'abs(bornes.valeur)') }} as ecart_relatif,
    bornes.derniere_annee,
    derniere.numerateur as numerateur_derniere_annee,
    derniere.denominateur as denominateur_derniere_annee,
    derniere.valeur as valeur_derniere_annee,
    derniere.valeur - meme_annee.valeur as evolution_depuis_diagnostic,
    bornes.source,
    bornes.ligne_plan
from bornes
left join valeurs_calculees as meme_annee
    on bornes.id_valeur = meme_annee.id_valeur and meme_annee.periode = 'publiee'
left join valeurs_calculees as derniere
    on bornes.id_valeur = derniere.id_valeur and derniere.periode = 'derniere'
