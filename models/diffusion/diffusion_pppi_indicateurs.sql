{{ config(alias='pppi_indicateurs') }}

{{ diffuser('pppi_indicateurs') }}
