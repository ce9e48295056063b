-- Plan indicators whose unit is not the one their nature sets (seeds/nomenclatures/natures_indicateur.csv).
select
    referentiel.code_indicateur,
    referentiel.nature,
    referentiel.unite
from {{ ref('indicateurs_plan_referentiel') }} as referentiel
left join {{ ref('natures_indicateur') }} as natures
    on referentiel.nature = natures.code_nature
where natures.unite is distinct from referentiel.unite
