"""Dagster code location of the observatory: assets, asset checks, job and instance, over the observatoire library."""
