"""Jinja context of sqlfluff's linting (.sqlfluff, library_path): dbt's ``var`` gives the vars of dbt_project.yml,
so that a model looping over a declared list (the ``themes``) is linted as dbt renders it."""

from pathlib import Path

import yaml

_VARS = yaml.safe_load((Path(__file__).resolve().parents[2] / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]


def var(name, default=None):
    return _VARS.get(name, default)
