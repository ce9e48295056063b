# Observatoire PDALHPD 62: every lifecycle step is one target; CI runs the same `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installe
DATA ?= $(CURDIR)/data
export OBSERVATOIRE_DATA := $(DATA)
export OBSERVATOIRE_ENTREPOT ?= $(DATA)/entrepot/observatoire.duckdb
export DAGSTER_HOME ?= $(DATA)/dagster
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := False

.PHONY: install lock demo test lint dev docs geographie bench clean

install: $(STAMP)

# Everything comes from requirements.lock (versions and hashes); the project itself is installed without
# dependencies and built with the locked setuptools. The check needs only the standard library.
$(STAMP): pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 introuvable ($(PYTHON)) : l'installer ou passer PYTHON=..."; exit 2; }
	$(PYTHON) -m observatoire.generators.requirements_lock --check
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $(STAMP)

# Recompile requirements.lock after a change to pyproject.toml (keeps the locked versions; UPGRADE=1 takes the newest).
lock:
	PATH="$(CURDIR)/$(BIN):$$PATH" $(PYTHON) -m observatoire.generators.requirements_lock $(if $(UPGRADE),--upgrade)

demo: install
	$(BIN)/observatoire generer-demo
	$(BIN)/observatoire actualiser

lint: install
	$(BIN)/ruff check observatoire orchestration expectations tests
	$(BIN)/sqlfluff lint models tests/dbt --disable-progress-bar
	$(BIN)/python -m observatoire.generators.requirements_lock --check
	$(BIN)/python -m observatoire.generators.dbt_sources --check
	$(BIN)/python -m observatoire.generators.docs_sources --check
	$(BIN)/python -m observatoire.generators.followup_due --check
	$(BIN)/python -m observatoire.generators.diagnostic_coverage --check

test: lint
	$(BIN)/pytest -q

dev: install
	$(BIN)/python -m orchestration.instance_dagster
	OBSERVATOIRE_CLE_PSEUDO="$${OBSERVATOIRE_CLE_PSEUDO:-$$(cat $(DATA)/cle_pseudonymisation.txt 2>/dev/null)}" \
		$(BIN)/dagster dev -m orchestration.definitions  # the demo's local key, as the command line does

docs: install
	$(BIN)/dbt docs generate --project-dir . --profiles-dir .

geographie: install
	$(BIN)/observatoire geographie

# Timings live here, never in tests: full refresh per stage at each scale, floor, incremental (docs/benchmarks.md).
ECHELLES ?= 1,10,100
REPETITIONS ?= 3
bench: install
	$(BIN)/observatoire bench --echelles $(ECHELLES) --repetitions $(REPETITIONS)

clean:
	rm -rf target logs .pytest_cache

# Evidence site (reports/) over the diffusion file (OBSERVATOIRE_DIFFUSION, default $(DATA)/publie/observatoire_diffusion.duckdb);
# stops at once when DuckDB's extension repository is unreachable.
.PHONY: reports-site
reports-site: install
	$(BIN)/python -m observatoire.publication.evidence_site
