{{ config(alias='fsl_indicateurs') }}

{{ diffuser('fsl_indicateurs') }}
