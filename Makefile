# The two commands in the README: `make run` and `make test`. Both create the virtual environment on first use.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: install run test lint serve clean

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	# pip 23 (what python3 -m venv ships here) trips over lxml[html_clean] vs lxml[html-clean] from
	# trafilatura and readability-lxml; pip >= 24 normalises extras.
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip>=24"
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)  ## curate sample_data/ into out/
	$(PY) -m flows.build --config sample_data/pipeline.yaml --out out

test: $(STAMP)  ## lint, then the whole test suite
	$(PY) -m ruff check .
	$(PY) -m pytest -q

serve: $(STAMP)  ## local Prefect server + work pool + deployments + worker (scheduled curation)
	scripts/serve.sh

lint: $(STAMP)
	$(PY) -m ruff check .

clean:
	rm -rf out .pytest_cache .ruff_cache .prefect-local
