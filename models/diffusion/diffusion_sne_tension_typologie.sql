{{ config(alias='sne_tension_typologie') }}

{{ diffuser('sne_tension_typologie', var('secret_seuil_individuel'), ['epci'], dims=['typologie']) }}
