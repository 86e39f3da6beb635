# Two commands do all the set-up: `make run` and `make test`.
# Each creates .venv if it is missing and installs nhsim with what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: run test lint golden verify docs bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,dask,app]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/nhsim compare configs/neighbourhood_50k.toml configs/neighbourhood_50k_invest.toml --replications 20

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/ruff format --check sim tests benchmarks
	$(BIN)/mypy sim

golden: $(STAMP)
	$(BIN)/python tests/golden/regenerate.py

verify: $(STAMP)
	$(BIN)/nhsim verify

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

docs: $(STAMP)
	$(BIN)/python -m sim.scenario.reference > docs/reference/scenario.md
	$(BIN)/python -m sim.output.labels docs/reference/metrics.md

clean:
	rm -rf $(VENV) build *.egg-info
