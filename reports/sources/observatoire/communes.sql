select c.code_commune, c.nom_commune, c.code_epci, t.code_territoire from referentiel.communes c left join referentiel.commune_territoire t using (code_commune) order by c.code_commune
