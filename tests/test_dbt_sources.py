"""The dbt sources files of the raw tables are extracts.py's copy: written from it, and checked by make test."""

import dataclasses

from observatoire import extracts
from observatoire.generators import dbt_sources


def test_the_sources_files_are_what_extracts_py_gives():
    assert dbt_sources.main(["--check"]) == 0, "lancer python -m observatoire.generators.dbt_sources"


def test_a_description_changed_in_extracts_py_makes_the_check_fail_naming_the_file(monkeypatch, capsys):
    pppi = extracts.SOURCES["pppi"]
    changed = dataclasses.replace(pppi, columns=tuple(
        dataclasses.replace(c, description="Nouvelle description") if c.name == "nb_pppi" else c
        for c in pppi.columns))
    monkeypatch.setitem(dbt_sources.SOURCES, "pppi", changed)
    assert dbt_sources.outdated() == [dbt_sources.path_of("pppi")]
    assert dbt_sources.main(["--check"]) == 1
    assert "models/staging/pppi/_pppi__sources.yml : diffère de observatoire/extracts.py" in capsys.readouterr().err
    assert "Nouvelle description (texte brut)" in dbt_sources.render("pppi")


def test_every_stored_column_and_only_those_is_a_source_column():
    for source in extracts.SOURCES.values():
        [table] = [t for t in dbt_sources.yaml.safe_load(dbt_sources.render(source.domain))
                   ["sources"][0]["tables"] if t["name"] == source.name]
        names = [c["name"] for c in table["columns"]]
        lineage = [name for name, _, _ in extracts.LINEAGE_COLUMNS]
        assert names == [c.stored_name for c in source.stored_columns] + lineage
        assert not {c.name for c in source.columns if c.kind == "personnel"} & set(names)
