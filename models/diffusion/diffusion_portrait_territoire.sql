{{ config(alias='portrait_territoire') }}

{{ portrait('territoire', 'code_territoire', 'nom_territoire', diffusion=true) }}
