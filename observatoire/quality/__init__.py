"""Quality: the GX suites run and their French results (suites), the DuckDB pre-check that hands GX only the
rows that may fail (precheck), GX Data Docs (data_docs), the attacker's audit of the secret statistique
(secret_audit) and the French quality report of every refresh (report)."""
