select code_territoire, nom_territoire, ordre from referentiel.territoires order by ordre
