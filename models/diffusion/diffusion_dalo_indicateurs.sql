{{ config(alias='dalo_indicateurs') }}

{{ diffuser('dalo_indicateurs') }}
