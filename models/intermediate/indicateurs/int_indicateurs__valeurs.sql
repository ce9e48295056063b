-- Every figure of the marts in long form (zone, year, column, value): what the diagnostic
-- comparison and the plan indicators sum over a period (additive columns only: counts, amounts, sums).
-- Typology counts are named <count>_t1..t6, DALO recours by motive or typology nb_recours_<dimension>_<code>.
with contexte as (
    select
        zones.niveau,
        zones.code_zone,
        annees.annee,
        zones.* exclude (niveau, code_zone, libelle_zone, code_territoire, code_epci)
    from {{ ref('int_geo__zones') }} as zones
    cross join {{ ref('int_calendrier__annees') }} as annees
),

-- The themes' marts (var themes of dbt_project.yml); a theme published by millésime has no annee_complete.
valeurs as (
    {%- for t in [{'theme': 'contexte_zones', 'millesime': true}] + var('themes') %}
        {%- set relation = 'contexte' if t.theme == 'contexte_zones' else ref(t.theme ~ '_indicateurs') %}
        {%- set excluded = 'niveau, code_zone, annee' ~ ('' if t.millesime else ', annee_complete') %}
        unpivot (
            select
                niveau,
                code_zone,
                annee,
                cast(columns(* exclude ({{ excluded }})) as double)
            from {{ relation }}
            -- communes: only the census context, whose vacancy the annex quotes for a few towns
            where niveau in ('departement', 'territoire', 'epci'{{ ", 'commune'" if t.theme == 'contexte' }})
        )
        on columns(* exclude (niveau, code_zone, annee))
        into name colonne value valeur

        union all
    {% endfor %}

    select
        niveau,
        code_zone,
        annee,
        'nb_demandes_en_cours_' || lower(typologie) as colonne,
        cast(nb_demandes_en_cours as double) as valeur
    from {{ ref('sne_tension_typologie') }}
    where niveau in ('departement', 'territoire', 'epci')

    union all

    select
        niveau,
        code_zone,
        annee,
        'nb_attributions_' || lower(typologie) as colonne,
        cast(nb_attributions as double) as valeur
    from {{ ref('sne_tension_typologie') }}
    where niveau in ('departement', 'territoire', 'epci')

    union all

    select
        niveau,
        code_zone,
        annee,
        'nb_recours_' || dimension || '_' || lower(code) as colonne,
        cast(nb_recours as double) as valeur
    from {{ ref('dalo_recours_detail') }}
    where niveau in ('departement', 'territoire', 'epci') and dimension in ('motif', 'typologie')
)

select * from valeurs
