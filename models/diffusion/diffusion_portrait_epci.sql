{{ config(alias='portrait_epci') }}

{{ portrait('epci', 'code_epci', 'nom_epci', diffusion=true) }}
