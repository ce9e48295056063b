{{ portrait('departement', 'code_departement', 'nom_departement') }}
