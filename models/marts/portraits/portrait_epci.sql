{{ portrait('epci', 'code_epci', 'nom_epci') }}
