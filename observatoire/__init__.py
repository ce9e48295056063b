"""Observatoire PDALHPD 62, the library: reading and loading the extracts, quality, publication, the COTECH
dossier, the demo extracts, the geography seeds, the benchmarks and the command line. Dagster's code location
(orchestration/) assembles it into one job; only the command line, which runs that job, imports the code location."""
