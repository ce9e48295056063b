-- Social housing at 1 January by current commune and millésime (SDES, RPLS, the workbook's communes sheet).
{{ open_data_communes('rpls',
                      ['nb_logements_sociaux', 'nb_ls_individuels', 'nb_ls_collectifs', 'nb_ls_1_piece',
                       'nb_ls_2_pieces', 'nb_ls_3_pieces', 'nb_ls_4_pieces', 'nb_ls_5_pieces_plus',
                       'nb_ls_vacants']) }}
