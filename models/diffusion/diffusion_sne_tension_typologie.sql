{{ config(alias='sne_tension_typologie') }}

{{ diffuser('sne_tension_typologie') }}
