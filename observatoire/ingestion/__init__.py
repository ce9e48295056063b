"""Ingestion of the extract files into ``raw``: the loader (ledger, duplicates, one transaction per file), reading
(encoding, header, CSV and XLSX), the row checks and their quarantine, pseudonymisation, custody of its key, and
every ``raw.*`` table's DDL (raw_schema)."""
