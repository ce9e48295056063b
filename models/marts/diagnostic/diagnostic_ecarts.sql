-- The 2022 diagnostic as baseline: every figure published in annexe 4 (by territoire) and section II
-- (département), beside the value the warehouse computes for the same year or period, for the latest complete
-- year, and for the département where the text quotes a departmental comparison. Published values are never
-- corrected: where the plan contradicts itself, the row says so (seed revue_figures). Unmapped figures
-- (hébergement, poverty...) stay visible with no computed value.
with valeurs_zones as (
    select * from {{ ref('int_indicateurs__valeurs') }}
),

communes as (
    select * from {{ ref('int_geo__communes') }}
),

-- An arrondissement (a few figures are quoted for one) is the sum of its EPCI, which nest in the arrondissements
-- of the Pas-de-Calais (tests/test_diagnostic.py checks it): additive columns only (counts, amounts, places,
-- populations).
epci_arrondissement as (
    select distinct
        code_epci,
        code_arrondissement
    from communes
),

valeurs as (
    select * from valeurs_zones
    union all
    -- the département's administrative divisions, which section II counts
    select
        'departement' as niveau,
        communes.code_departement as code_zone,
        annees.annee,
        divisions.colonne,
        case divisions.colonne
            when 'nb_arrondissements' then count(distinct communes.code_arrondissement)
            else count(distinct communes.code_territoire)
        end as valeur
    from communes
    cross join {{ ref('int_calendrier__annees') }} as annees
    cross join (values ('nb_arrondissements'), ('nb_territoires')) as divisions (colonne)
    group by communes.code_departement, annees.annee, divisions.colonne
    union all
    select
        'arrondissement' as niveau,
        epci_arrondissement.code_arrondissement as code_zone,
        valeurs_zones.annee,
        valeurs_zones.colonne,
        sum(valeurs_zones.valeur) as valeur
    from valeurs_zones
    inner join epci_arrondissement on valeurs_zones.code_zone = epci_arrondissement.code_epci
    where
        valeurs_zones.niveau = 'epci'
        and regexp_matches(
            valeurs_zones.colonne, '^(nb|somme|montant|population)_|^population$|_(places|etablissements)$'
        )
    group by all
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
        -- the zone the figure is about: the portrait's, or the EPCI / territory the text names
        coalesce(revue.niveau_calcul, diagnostic.niveau) as niveau_calcul,
        coalesce(revue.code_zone_calcul, diagnostic.code_zone) as code_zone_calcul,
        -- the zone of the denominator: the département for a share of it, or the one the text names
        case
            when correspondance.denominateur is null then null
            when correspondance.denominateur_departement then 'departement'
            else coalesce(revue.niveau_denominateur, revue.niveau_calcul, diagnostic.niveau)
        end as niveau_denominateur,
        case
            when correspondance.denominateur is null then null
            when correspondance.denominateur_departement then '62'
            else coalesce(revue.code_zone_denominateur, revue.code_zone_calcul, diagnostic.code_zone)
        end as code_zone_denominateur,
        revue.incoherence_plan,
        correspondance.numerateur,
        correspondance.denominateur,
        correspondance.denominateur_departement,
        correspondance.facteur,
        correspondance.decalage_annee,
        correspondance.evolution_sur_annees,
        correspondance.moyenne_annuelle,
        correspondance.nb_premiers,
        correspondance.rang,
        correspondance.difference_definition,
        coalesce(nullif(diagnostic.annee, ''), correspondance.annee_defaut) as periode_publiee
    from {{ ref('diagnostic_2022') }} as diagnostic
    left join {{ ref('correspondance_indicateurs') }} as correspondance
        on diagnostic.code_indicateur = correspondance.code_indicateur
    left join {{ ref('revue_figures') }} as revue
        on
            diagnostic.ligne_plan = revue.ligne_plan
            and diagnostic.code_zone = revue.code_zone
            and diagnostic.code_indicateur = revue.code_indicateur
            and diagnostic.valeur_texte = revue.valeur_texte
),

bornes as (
    select
        publie.*,
        try_cast(split_part(publie.periode_publiee, '-', 1) as integer) + publie.decalage_annee as annee_debut,
        try_cast(
            coalesce(
                nullif(split_part(publie.periode_publiee, '-', 2), ''), split_part(publie.periode_publiee, '-', 1)
            ) as integer
        ) + publie.decalage_annee as annee_fin,
        -- Latest complete year with data for this figure (a biennial source has no value every year).
        (
            select max(valeurs.annee)
            from valeurs
            where
                valeurs.annee <= derniere_annee.annee
                and valeurs.code_zone = publie.code_zone_calcul
                and (
                    list_contains(string_split(publie.numerateur, '+'), valeurs.colonne)
                    or (publie.nb_premiers is not null and starts_with(valeurs.colonne, publie.numerateur))
                )
                and valeurs.valeur is not null
        ) as derniere_annee
    from publie
    cross join derniere_annee
),

-- The years and zone each computed value sums over: the published period, the latest year, the département
-- for a departmental comparison, and the reference years of a published evolution.
variantes as (
    select
        id_valeur,
        'publiee' as variante,
        code_zone_calcul as code_zone,
        code_zone_denominateur,
        annee_debut,
        annee_fin
    from bornes
    union all
    select
        id_valeur,
        'derniere' as variante,
        code_zone_calcul as code_zone,
        code_zone_denominateur,
        derniere_annee as annee_debut,
        derniere_annee as annee_fin
    from bornes
    union all
    select
        id_valeur,
        'comparaison' as variante,
        '62' as code_zone,
        '62' as code_zone_denominateur,
        annee_debut,
        annee_fin
    from bornes
    where
        perimetre_comparaison = 'departement' and try_cast(valeur_comparaison as double) is not null
        and evolution_sur_annees is null
    union all
    select
        id_valeur,
        'publiee_reference' as variante,
        code_zone_calcul as code_zone,
        code_zone_denominateur,
        annee_debut - evolution_sur_annees as annee_debut,
        annee_fin - evolution_sur_annees as annee_fin
    from bornes
    where evolution_sur_annees is not null
    union all
    select
        id_valeur,
        'derniere_reference' as variante,
        code_zone_calcul as code_zone,
        code_zone_denominateur,
        derniere_annee - evolution_sur_annees as annee_debut,
        derniere_annee - evolution_sur_annees as annee_fin
    from bornes
    where evolution_sur_annees is not null
),

-- A published rank (« le plus pourvu du département ») ranks the figure's zone among every zone of its level:
-- the same ratio is computed for each of them.
zones_classees as (
    select distinct
        niveau,
        code_zone
    from valeurs
),

variantes_classees as (
    select * from variantes
    union all
    select
        variantes.id_valeur,
        variantes.variante,
        zones_classees.code_zone,
        zones_classees.code_zone as code_zone_denominateur,
        variantes.annee_debut,
        variantes.annee_fin
    from variantes
    inner join bornes on variantes.id_valeur = bornes.id_valeur
    inner join zones_classees
        on bornes.niveau_calcul = zones_classees.niveau and bornes.code_zone_calcul != zones_classees.code_zone
    where bornes.rang is not null and variantes.variante in ('publiee', 'derniere')
),

calculs as (
    select
        variantes.id_valeur,
        variantes.variante,
        variantes.code_zone,
        variantes.annee_fin - variantes.annee_debut + 1 as nb_annees,
        sum(valeurs.valeur) filter (
            where list_contains(string_split(bornes.numerateur, '+'), valeurs.colonne)
            and valeurs.code_zone = variantes.code_zone
        ) as numerateur,
        sum(valeurs.valeur) filter (
            where valeurs.colonne = bornes.denominateur and valeurs.code_zone = variantes.code_zone_denominateur
        ) as denominateur
    from variantes_classees as variantes
    inner join bornes on variantes.id_valeur = bornes.id_valeur
    inner join valeurs
        on
            valeurs.annee between variantes.annee_debut and variantes.annee_fin
            and valeurs.code_zone in (variantes.code_zone, variantes.code_zone_denominateur)
    where bornes.numerateur is not null and bornes.nb_premiers is null
    group by all
),

ratios as (
    select
        calculs.id_valeur,
        calculs.variante,
        calculs.code_zone,
        calculs.numerateur,
        calculs.denominateur,
        case
            when bornes.moyenne_annuelle then calculs.numerateur / calculs.nb_annees * bornes.facteur
            when bornes.denominateur is null then calculs.numerateur * bornes.facteur
            when calculs.denominateur > 0 then calculs.numerateur / calculs.denominateur * bornes.facteur
        end as valeur
    from calculs
    inner join bornes on calculs.id_valeur = bornes.id_valeur
),

-- A figure published as text (« principaux motifs », DALO or expulsion) is compared with the nb_premiers most
-- frequent values of its columns (numerateur is their prefix) over the period, by their label where a code list
-- gives one.
libelles as (
    select
        'nb_recours_motif_' || lower(code_motif) as colonne,
        libelle_motif as libelle
    from {{ ref('dalo_motifs') }}
    union all
    select
        'nb_assignations_hors_impayes_' || lower(code_motif_procedure) as colonne,
        libelle_motif_procedure as libelle
    from {{ ref('ccapex_motifs') }}
),

totaux_classes as (
    select
        variantes.id_valeur,
        variantes.variante,
        valeurs.colonne,
        bornes.nb_premiers,
        sum(valeurs.valeur) as total
    from variantes
    inner join bornes on variantes.id_valeur = bornes.id_valeur
    inner join valeurs
        on
            valeurs.annee between variantes.annee_debut and variantes.annee_fin
            and variantes.code_zone = valeurs.code_zone
            and starts_with(valeurs.colonne, bornes.numerateur)
    where bornes.nb_premiers is not null and variantes.variante in ('publiee', 'derniere')
    group by all
    having sum(valeurs.valeur) > 0
),

classements as (
    select * from totaux_classes
    qualify row_number() over (partition by id_valeur, variante order by total desc, colonne asc) <= nb_premiers
),

textes as (
    select
        classements.id_valeur,
        classements.variante,
        string_agg(
            coalesce(libelles.libelle, upper(substr(classements.colonne, length(bornes.numerateur) + 1))), '; '
            order by classements.total desc, classements.colonne asc
        ) as texte
    from classements
    inner join bornes on classements.id_valeur = bornes.id_valeur
    left join libelles on classements.colonne = libelles.colonne
    group by classements.id_valeur, classements.variante
),

-- Rank 1 is the highest value (rang = decroissant) or the lowest (croissant); zones without a value are not
-- ranked.
rangs as (
    select
        ratios.id_valeur,
        ratios.variante,
        ratios.code_zone,
        rank() over (
            partition by ratios.id_valeur, ratios.variante
            order by case when bornes.rang = 'croissant' then ratios.valeur else -ratios.valeur end
        ) as rang
    from ratios
    inner join bornes on ratios.id_valeur = bornes.id_valeur
    where bornes.rang is not null and ratios.valeur is not null and ratios.variante in ('publiee', 'derniere')
),

-- A published evolution is compared with 100 × (value / reference value − 1).
valeurs_calculees as (
    select
        ratios.id_valeur,
        ratios.variante,
        ratios.numerateur,
        ratios.denominateur,
        case
            when bornes.rang is not null and ratios.variante != 'comparaison' then rangs.rang
            when bornes.evolution_sur_annees is null then ratios.valeur
            else {{ ratio('ratios.valeur - reference.valeur', 'reference.valeur', 100) }}
        end as valeur
    from ratios
    inner join bornes on ratios.id_valeur = bornes.id_valeur
    left join ratios as reference
        on
            ratios.id_valeur = reference.id_valeur
            and reference.variante = ratios.variante || '_reference'
    left join rangs
        on
            ratios.id_valeur = rangs.id_valeur
            and ratios.variante = rangs.variante
            and ratios.code_zone = rangs.code_zone
    where
        ratios.variante in ('publiee', 'derniere', 'comparaison')
        and (bornes.rang is null or ratios.variante = 'comparaison' or ratios.code_zone = bornes.code_zone_calcul)
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
    bornes.niveau_calcul,
    bornes.code_zone_calcul,
    bornes.niveau_denominateur,
    bornes.code_zone_denominateur,
    case
        when bornes.annee_debut = bornes.annee_fin then cast(bornes.annee_debut as varchar)
        else bornes.annee_debut || '-' || bornes.annee_fin
    end as periode_calculee,
    bornes.annee_debut - bornes.evolution_sur_annees as annee_reference,
    meme_annee.numerateur as numerateur_calcule,
    meme_annee.denominateur as denominateur_calcule,
    meme_annee.valeur as valeur_calculee,
    texte_meme_annee.texte as valeur_calculee_texte,
    meme_annee.valeur - bornes.valeur as ecart_calcule_publie,
    {{ ratio('meme_annee.valeur - bornes.valeur', 'abs(bornes.valeur)') }} as ecart_relatif,
    try_cast(bornes.valeur_comparaison as double) as valeur_comparaison_publiee,
    comparaison.valeur as valeur_comparaison_calculee,
    bornes.derniere_annee,
    derniere.numerateur as numerateur_derniere_annee,
    derniere.denominateur as denominateur_derniere_annee,
    derniere.valeur as valeur_derniere_annee,
    texte_derniere.texte as valeur_derniere_annee_texte,
    derniere.valeur - meme_annee.valeur as evolution_depuis_diagnostic,
    bornes.difference_definition,
    bornes.incoherence_plan,
    bornes.source,
    bornes.ligne_plan
from bornes
left join valeurs_calculees as meme_annee
    on bornes.id_valeur = meme_annee.id_valeur and meme_annee.variante = 'publiee'
left join valeurs_calculees as derniere
    on bornes.id_valeur = derniere.id_valeur and derniere.variante = 'derniere'
left join valeurs_calculees as comparaison
    on bornes.id_valeur = comparaison.id_valeur and comparaison.variante = 'comparaison'
left join textes as texte_meme_annee
    on bornes.id_valeur = texte_meme_annee.id_valeur and texte_meme_annee.variante = 'publiee'
left join textes as texte_derniere
    on bornes.id_valeur = texte_derniere.id_valeur and texte_derniere.variante = 'derniere'
