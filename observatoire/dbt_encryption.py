"""dbt-duckdb plugin of the encrypted warehouse's dbt target (`chiffre` in profiles.yml).

DuckDB 1.4 writes an encrypted file only with the OpenSSL that its httpfs extension brings (otherwise: "DuckDB
currently has a read-only crypto module loaded"). DuckDB's extension repository is unreachable here, so dbt-duckdb's
own `extensions:` (INSTALL then LOAD) cannot be used: this plugin loads httpfs from its PyPI wheel before dbt attaches
the encrypted warehouse, and encrypts what DuckDB spills to disk.
"""

from dbt.adapters.duckdb.plugins import BasePlugin

from observatoire.warehouse import load_extension


class Plugin(BasePlugin):
    def configure_connection(self, conn) -> None:
        load_extension(conn, "httpfs")
        conn.execute("SET temp_file_encryption = true")
