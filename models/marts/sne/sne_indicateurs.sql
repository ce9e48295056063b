-- SNE indicators of annexe 4 by zone (département, territoire, EPCI) and year: stock of demands at
-- 31/12, attributions of the year, tension, délai d'attribution, priority and quartile rules.
with demandes as (
    select
        {{ zone_columns() }},
        demandes.annee,
        count(*) as nb_demandes_en_cours,
        count(*) filter (where demandes.demande_mutation) as nb_demandes_en_cours_mutation,
        count(*) filter (where demandes.moins_25_ans) as nb_demandes_en_cours_moins_25_ans,
        count(*) filter (where demandes.victime_violences) as nb_demandes_en_cours_violences,
        count(*) filter (where demandes.prioritaire) as nb_demandes_en_cours_prioritaires,
        sum(demandes.anciennete_mois) as somme_anciennete_mois
    from {{ ref('int_sne__demandes_en_cours') }} as demandes
    inner join {{ ref('int_geo__communes') }} as geo on demandes.code_commune = geo.code_commune
    group by grouping sets ({{ zone_grouping_sets(by=['demandes.annee']) }})
),

attributions as (
    select
        {{ zone_columns() }},
        attributions.annee,
        count(*) as nb_attributions,
        sum(attributions.delai_mois) as somme_delai_attribution_mois,
        sum(attributions.delai_mois) filter (where attributions.prioritaire)
            as somme_delai_attribution_mois_prioritaires,
        sum(attributions.delai_mois) filter (where attributions.mutation) as somme_delai_attribution_mois_mutation,
        sum(attributions.delai_mois) filter (where not attributions.mutation)
            as somme_delai_attribution_mois_premier_acces,
        median(attributions.delai_mois) as delai_median_attribution_mois,
        count(*) filter (where attributions.prioritaire) as nb_attributions_prioritaires,
        count(*) filter (where attributions.prioritaire_dalo) as nb_attributions_prioritaires_dalo,
        count(*) filter (where attributions.hors_qpv) as nb_attributions_hors_qpv,
        count(*) filter (
            where attributions.hors_qpv and attributions.premier_quartile
        ) as nb_attributions_hors_qpv_premier_quartile,
        count(*) filter (where attributions.premier_ou_deuxieme_quartile) as nb_attributions_quartiles_1_2,
        count(*) filter (
            where attributions.prioritaire and attributions.premier_ou_deuxieme_quartile
        ) as nb_attributions_prioritaires_quartiles_1_2,
        count(*) filter (where attributions.personne_isolee) as nb_attributions_personnes_isolees,
        count(*) filter (where attributions.mutation) as nb_attributions_mutation,
        count(*) filter (where not attributions.mutation) as nb_attributions_premier_acces,
        count(*) filter (where attributions.moins_25_ans) as nb_attributions_moins_25_ans,
        count(*) filter (where attributions.victime_violences) as nb_attributions_violences
    from {{ ref('int_sne__attributions') }} as attributions
    inner join {{ ref('int_geo__communes') }} as geo on attributions.code_commune = geo.code_commune
    group by grouping sets ({{ zone_grouping_sets(by=['attributions.annee']) }})
),

zones_annees as (
    select * from {{ ref('int_geo__zones_annees') }}
),

joined as (
    select
        zones_annees.niveau,
        zones_annees.code_zone,
        zones_annees.annee,
        zones_annees.annee_complete,
        coalesce(demandes.nb_demandes_en_cours, 0) as nb_demandes_en_cours,
        coalesce(demandes.nb_demandes_en_cours_mutation, 0) as nb_demandes_en_cours_mutation,
        coalesce(demandes.nb_demandes_en_cours_moins_25_ans, 0) as nb_demandes_en_cours_moins_25_ans,
        coalesce(demandes.nb_demandes_en_cours_violences, 0) as nb_demandes_en_cours_violences,
        coalesce(demandes.nb_demandes_en_cours_prioritaires, 0) as nb_demandes_en_cours_prioritaires,
        coalesce(demandes.somme_anciennete_mois, 0) as somme_anciennete_mois,
        coalesce(attributions.nb_attributions, 0) as nb_attributions,
        coalesce(attributions.somme_delai_attribution_mois, 0) as somme_delai_attribution_mois,
        coalesce(attributions.somme_delai_attribution_mois_prioritaires, 0)
            as somme_delai_attribution_mois_prioritaires,
        coalesce(attributions.somme_delai_attribution_mois_mutation, 0) as somme_delai_attribution_mois_mutation,
        coalesce(attributions.somme_delai_attribution_mois_premier_acces, 0)
            as somme_delai_attribution_mois_premier_acces,
        attributions.delai_median_attribution_mois,
        coalesce(attributions.nb_attributions_prioritaires, 0) as nb_attributions_prioritaires,
        coalesce(attributions.nb_attributions_prioritaires_dalo, 0) as nb_attributions_prioritaires_dalo,
        coalesce(attributions.nb_attributions_hors_qpv, 0) as nb_attributions_hors_qpv,
        coalesce(
            attributions.nb_attributions_hors_qpv_premier_quartile, 0
        ) as nb_attributions_hors_qpv_premier_quartile,
        coalesce(attributions.nb_attributions_quartiles_1_2, 0) as nb_attributions_quartiles_1_2,
        coalesce(
            attributions.nb_attributions_prioritaires_quartiles_1_2, 0
        ) as nb_attributions_prioritaires_quartiles_1_2,
        coalesce(attributions.nb_attributions_personnes_isolees, 0) as nb_attributions_personnes_isolees,
        coalesce(attributions.nb_attributions_mutation, 0) as nb_attributions_mutation,
        coalesce(attributions.nb_attributions_premier_acces, 0) as nb_attributions_premier_acces,
        coalesce(attributions.nb_attributions_moins_25_ans, 0) as nb_attributions_moins_25_ans,
        coalesce(attributions.nb_attributions_violences, 0) as nb_attributions_violences
    from zones_annees
    left join demandes
        on
            zones_annees.niveau = demandes.niveau
            and zones_annees.code_zone = demandes.code_zone
            and zones_annees.annee = demandes.annee
    left join attributions
        on
            zones_annees.niveau = attributions.niveau
            and zones_annees.code_zone = attributions.code_zone
            and zones_annees.annee = attributions.annee
)

select
    *,
    {{ ratio('nb_demandes_en_cours', 'nb_attributions') }} as tension_demandes_attributions,
    {{ ratio('somme_delai_attribution_mois', 'nb_attributions') }} as delai_moyen_attribution_mois,
    {{ ratio('somme_delai_attribution_mois_prioritaires', 'nb_attributions_prioritaires') }}
        as delai_moyen_attribution_prioritaires_mois,
    {{ ratio('somme_delai_attribution_mois_mutation', 'nb_attributions_mutation') }}
        as delai_moyen_attribution_mutation_mois,
    {{ ratio('somme_delai_attribution_mois_premier_acces', 'nb_attributions_premier_acces') }}
        as delai_moyen_attribution_premier_acces_mois,
    {{ ratio('nb_attributions_prioritaires', 'nb_attributions') }} as part_attributions_prioritaires,
    {{ ratio('nb_attributions_prioritaires_quartiles_1_2', 'nb_attributions_prioritaires') }}
        as part_attributions_prioritaires_quartiles_1_2,
    {{ ratio('nb_attributions_personnes_isolees', 'nb_attributions') }} as part_attributions_personnes_isolees,
    cast(0.25 as double) as taux_legal_attributions_prioritaires,
    {{ ratio('nb_attributions_hors_qpv_premier_quartile', 'nb_attributions_hors_qpv') }}
        as part_attributions_hors_qpv_premier_quartile,
    {{ ratio('nb_demandes_en_cours_mutation', 'nb_demandes_en_cours') }} as part_demandes_mutation,
    {{ ratio('nb_demandes_en_cours_moins_25_ans', 'nb_demandes_en_cours') }} as part_demandes_moins_25_ans,
    {{ ratio('somme_anciennete_mois', 'nb_demandes_en_cours') }} as anciennete_moyenne_mois
from joined
