"""Publication: what the diffusion file holds (diffusion_file), who may read what on the machine (permissions),
and the Evidence site over the diffusion file (evidence_site). The warehouse's write-audit-publish swap itself
is in observatoire/warehouse.py, beside the connections."""
