{{ config(alias='dalo_recours_detail') }}

{{ diffuser('dalo_recours_detail') }}
