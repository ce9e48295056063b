"""Settings: read in one go from the environment, typed, a malformed value refused in French naming the variable;
the pseudonymisation key reaches Dagster's resource as an EnvVar, resolved when a run starts."""

from pathlib import Path

import pytest
from dagster import DagsterInvalidConfigError, Output, asset, materialize

from observatoire.settings import PROJECT_DIR, SettingsError, settings
from orchestration.resources import WarehouseResource


def test_values_are_read_typed_from_the_environment(tmp_path):
    s = settings({"OBSERVATOIRE_DATA": str(tmp_path), "OBSERVATOIRE_PUBLIE": str(tmp_path / "p" / "o.duckdb"),
                  "OBSERVATOIRE_DEPOT_STABILITE_S": "12.5", "OBSERVATOIRE_SMTP_HOTE": "smtp.pasdecalais.fr",
                  "OBSERVATOIRE_SMTP_PORT": "587", "OBSERVATOIRE_SMTP_MOT_DE_PASSE": "motdepasse-secret",
                  "OBSERVATOIRE_SMTP_STARTTLS": "1", "OBSERVATOIRE_SECRET_LARGEUR_FISCAL": "15",
                  "OBSERVATOIRE_GROUPE": " analystes "})
    assert s.data_dir == tmp_path and s.warehouse == tmp_path / "entrepot" / "observatoire.duckdb"
    assert s.diffusion == tmp_path / "p" / "observatoire_diffusion.duckdb"  # beside the published warehouse
    assert s.depot_stability_s == 12.5 and s.smtp.port == 587 and s.smtp.starttls is True
    assert s.secret_widths == {"fiscal": 15} and s.analysts_group == "analystes"
    assert s.alerts_file == tmp_path / "alertes.toml"
    assert "motdepasse-secret" not in repr(s)  # settings end up in logs; the password must not


def test_defaults_without_any_variable():
    s = settings({})
    assert s.data_dir == PROJECT_DIR / "data" and s.depot_stability_s == 60 and s.smtp.hote == ""
    assert s.memory_limit == "2GB" and s.secret_widths == {} and s.geojson_communes is None


@pytest.mark.parametrize("name,value", [
    ("OBSERVATOIRE_DEPOT_STABILITE_S", "une minute"),
    ("OBSERVATOIRE_DEPOT_STABILITE_S", "-5"),
    ("OBSERVATOIRE_SMTP_PORT", "0"),
    ("OBSERVATOIRE_SMTP_PORT", "25.5"),
    ("OBSERVATOIRE_SECRET_LARGEUR_INDIVIDUEL", "onze"),
    ("OBSERVATOIRE_SECRET_LIMITE_S", "nan"),
])
def test_a_malformed_value_is_refused_naming_the_variable(name, value):
    with pytest.raises(SettingsError, match=f"^{name} = « {value} » : un (entier|nombre) supérieur ou égal"):
        settings({name: value})


@asset
def _key_used(entrepot: WarehouseResource):
    return Output(entrepot.pseudonymisation_key())


def _run(monkeypatch, tmp_path: Path):
    monkeypatch.setenv("OBSERVATOIRE_DATA", str(tmp_path))
    resource = WarehouseResource.from_settings(settings())
    return materialize([_key_used], resources={"entrepot": resource}, raise_on_error=True)


def test_the_pseudonymisation_key_is_resolved_by_dagster_when_the_run_starts(monkeypatch, tmp_path):
    monkeypatch.setenv("OBSERVATOIRE_CLE_PSEUDO", "cle-de-la-run")
    resource = WarehouseResource.from_settings(settings())
    assert "cle-de-la-run" not in repr(resource)  # the definitions hold the variable's name, not its value
    result = _run(monkeypatch, tmp_path)
    assert result.output_for_node("_key_used") == b"cle-de-la-run"


def test_a_run_without_the_key_does_not_start(monkeypatch, tmp_path):
    monkeypatch.delenv("OBSERVATOIRE_CLE_PSEUDO", raising=False)
    with pytest.raises(DagsterInvalidConfigError, match="OBSERVATOIRE_CLE_PSEUDO"):
        _run(monkeypatch, tmp_path)
    monkeypatch.setenv("OBSERVATOIRE_CLE_PSEUDO", "")
    with pytest.raises(Exception, match="Clé de pseudonymisation vide : définir OBSERVATOIRE_CLE_PSEUDO"):
        _run(monkeypatch, tmp_path)
