-- Census housing by current commune and millésime (Insee, base chiffres clés « logement »).
{{ open_data_communes('insee_rp_logement',
                   ['nb_logements', 'nb_residences_principales', 'nb_residences_principales_precedent',
                    'nb_residences_secondaires', 'nb_logements_vacants', 'nb_maisons', 'nb_rp_proprietaires',
                    'nb_rp_locataires', 'nb_rp_locataires_hlm', 'nb_rp_loges_gratuitement'], previous=true) }}
