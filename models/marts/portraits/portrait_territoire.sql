{{ portrait('territoire', 'code_territoire', 'nom_territoire') }}
