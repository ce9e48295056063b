"""Committed files written from a declaration, each with a ``--check`` or a test that fails when they drift:
the dbt ``sources`` yml (dbt_sources), the extract specifications' generated blocks (docs_sources) and the 2022
diagnostic baseline seed (diagnostic_seed)."""
