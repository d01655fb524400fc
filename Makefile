# The two commands a newcomer runs: `make synth` and `make test`. Both set up .venv on first use
# (re-installing only when pyproject.toml changes) and need no cloud credentials.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
STACKS := dev staging prod

.PHONY: synth synth-all test bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## Offline synth of the dev stack (inventory, manifests, IAM), then its policy checks and cost.
synth: $(STAMP)
	$(BIN)/llmctl synth dev --out build/dev

## Synth every stack.
synth-all: $(STAMP)
	@for s in $(STACKS); do $(BIN)/llmctl synth $$s --out build/$$s | head -1 || exit 1; done

## The whole test suite (unit, stacks, policies, llmctl against moto).
test: $(STAMP)
	$(BIN)/pytest

## Synth wall time per stack and for 1/10/50 serving slots.
bench: $(STAMP)
	$(BIN)/python benchmarks/synth_bench.py

clean:
	rm -rf build
