{{ config(alias='sne_indicateurs') }}

{{ diffuser('sne_indicateurs') }}
