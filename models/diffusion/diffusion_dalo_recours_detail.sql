{{ config(alias='dalo_recours_detail') }}

{{ diffuser('dalo_recours_detail', var('secret_seuil_individuel'), ['epci'], dims=['dimension', 'code']) }}
