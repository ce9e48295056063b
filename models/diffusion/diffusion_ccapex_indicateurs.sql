{{ config(alias='ccapex_indicateurs') }}

{{ diffuser('ccapex_indicateurs', var('secret_seuil_individuel'), ['epci']) }}
