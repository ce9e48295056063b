"""Observatoire PDALHPD 62: ingestion, dbt run, quality gates and publication, orchestrated by Dagster."""
