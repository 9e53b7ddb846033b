# stance: `make experiment` and `make test` are all a new user needs.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
EXP    ?= experiments/seeds.yaml

.PHONY: help install experiment test test-fast lint docs clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

install: $(STAMP)  ## create .venv with stance, the pinned CPU torch, the local embedding model and fine-tuning

# Re-installs only when pyproject.toml changes. torch first, pinned, so nothing pulls a CUDA build.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet "torch==2.13.0"
	$(BIN)/python -m pip install --quiet -e ".[dev,finetune]"
	touch $(STAMP)

experiment: install  ## run an experiment (default experiments/seeds.yaml; EXP=path/to.yaml for another)
	$(BIN)/stance run $(EXP)

test: install  ## run the whole test suite: logic and integration (the real model on the seeds)
	$(BIN)/python -m pytest

test-fast: install  ## run the logic tests only (a fake embedder; under a minute)
	$(BIN)/python -m pytest -m "not integration"

lint: install  ## ruff over the package, tests and benchmarks; the import contract
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

docs: install  ## write docs/config.md from the config schema
	$(BIN)/stance config reference > docs/config.md

clean:  ## remove generated reports and caches (keeps .venv)
	rm -rf reports/*/ .pytest_cache
