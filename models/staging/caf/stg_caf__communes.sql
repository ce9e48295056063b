-- RSA households and people by current commune and December (Cnaf, data.caf.fr, s_ben_com_f); an empty cell is
-- the CAF's secret (docs/sources/caf.md). Masked commune codes (62XXX) are in stg_caf__non_localises.
{{ open_data_communes('caf_allocataires',
                      ['nb_foyers_allocataires', 'nb_foyers_rsa', 'nb_personnes_couvertes_rsa'],
                      empty_is_secret=true) }}
