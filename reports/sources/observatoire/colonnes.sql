select table_name as table_diffusion, column_name as colonne, comment as description from duckdb_columns() where schema_name = 'diffusion'
