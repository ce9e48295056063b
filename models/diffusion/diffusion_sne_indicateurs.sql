{{ config(alias='sne_indicateurs') }}

{{ diffuser('sne_indicateurs', var('secret_seuil_individuel'), ['epci']) }}
