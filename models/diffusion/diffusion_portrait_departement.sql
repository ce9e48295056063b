{{ config(alias='portrait_departement') }}

{{ portrait('departement', 'code_departement', 'nom_departement', diffusion=true) }}
