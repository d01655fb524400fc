# The two commands a newcomer runs: `make synth` and `make test`. Both set up .venv on first use
# (re-installing only when pyproject.toml changes) and need no cloud credentials.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
STACKS := dev staging prod

.PHONY: synth synth-all test scan bench clean generate

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## Offline synth of the dev stack (inventory, manifests, IAM), then its policy checks and cost.
synth: $(STAMP)
	$(BIN)/llmctl synth dev --out build/dev
	$(BIN)/llmctl check --inventory build/dev/inventory.json
	$(BIN)/llmctl cost estimate --inventory build/dev/inventory.json

## Synth every stack.
synth-all: $(STAMP)
	$(BIN)/llmctl synth $(STACKS) | grep "^synth "

## The whole test suite (unit, stacks, policies, llmctl against moto), after the Checkov scan.
test: $(STAMP) scan
	$(BIN)/pytest

# Checkov pins packaging<24 and an old boto3 that pulumi cannot live with: it gets its own venv.
SCAN_VENV := .scan-venv
CHECKOV_VERSION := 3.3.30
SCAN_STAMP := $(SCAN_VENV)/.installed-checkov-$(CHECKOV_VERSION)

$(SCAN_STAMP):
	rm -rf $(SCAN_VENV)
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install --quiet --disable-pip-version-check 'checkov==$(CHECKOV_VERSION)'
	touch $(SCAN_STAMP)

## Checkov, offline, over every stack's rendered manifests (build/<stack>/manifests) and the serving
## image's Dockerfile; every skipped check is justified in .checkov.yaml.
scan: $(STAMP) $(SCAN_STAMP)
	$(BIN)/llmctl synth $(STACKS) > /dev/null
	$(SCAN_VENV)/bin/checkov --config-file .checkov.yaml $(foreach s,$(STACKS),--directory build/$(s)/manifests) --directory serving-image

## Synth wall time per stack and for 1/10/50 serving slots.
bench: $(STAMP)
	$(BIN)/python benchmarks/synth_bench.py

## Regenerate every derived artifact: stack schema, config reference, policy configs and the policy
## pack's GPU family copy, README tables, golden files, and (with ../shared) the CRD schemas and
## reference data under schemas/. tests/test_generated.py names a stale one. See CONTRIBUTING.md.
generate: $(STAMP)
	$(BIN)/python scripts/generate.py

clean:
	rm -rf build
