-- Census labour force by current commune and millésime (Insee, base « emploi – population active »).
{{ open_data_communes('insee_rp_emploi', ['nb_actifs_15_64', 'nb_chomeurs_15_64']) }}
