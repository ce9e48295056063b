{{ config(alias='fsl_indicateurs') }}

{{ diffuser('fsl_indicateurs', var('secret_seuil_individuel'), ['epci']) }}
