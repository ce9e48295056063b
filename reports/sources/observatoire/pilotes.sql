select code_pilote, sigle, libelle_pilote from referentiel.pilotes_plan
