"""The assets of the observatory's Dagster code, one module per stage."""
