{{ config(alias='pppi_indicateurs') }}

{{ diffuser('pppi_indicateurs', var('secret_seuil_fiscal'), ['epci', 'commune']) }}
