{{ config(alias='dalo_indicateurs') }}

{{ diffuser('dalo_indicateurs', var('secret_seuil_individuel'), ['epci']) }}
