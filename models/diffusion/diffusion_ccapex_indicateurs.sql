{{ config(alias='ccapex_indicateurs') }}

{{ diffuser('ccapex_indicateurs') }}
