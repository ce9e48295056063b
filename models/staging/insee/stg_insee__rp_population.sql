-- Census population by current commune and millésime (Insee, base chiffres clés « évolution et structure »).
{{ open_data_communes('insee_rp_population',
                   ['population', 'population_precedente', 'population_0_19', 'population_60_74',
                    'population_75_plus', 'population_65_plus'], previous=true) }}
