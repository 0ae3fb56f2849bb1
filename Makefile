# geoae developer commands. `make test` is the one command CI runs (.ci/run).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: test lint demo bench docs fuzz clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	# torch first: on these machines 2.13.0 is a CPU wheel on disk (a plain `torch` pulls a CUDA build)
	$(BIN)/pip install torch==2.13.0
	$(BIN)/pip install -e '.[dev]'

venv: $(BIN)/python

lint: $(BIN)/python
	$(BIN)/ruff check src tests benchmarks

test: $(BIN)/python
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/pytest -q -n 2

demo: $(BIN)/python
	$(BIN)/geoae demo --out geoae-demo --force

docs: $(BIN)/python
	$(BIN)/mkdocs build --strict -d site

# a long, randomised fuzz run of every reader (CI runs a small deterministic one)
fuzz: $(BIN)/python
	GEOAE_FUZZ_EXAMPLES=2000 $(BIN)/pytest -q -p no:cacheprovider tests/test_fuzz.py

bench: $(BIN)/python
	$(BIN)/python benchmarks/bench_training.py

clean:
	rm -rf $(VENV) site build dist *.egg-info src/*.egg-info .pytest_cache .ruff_cache
