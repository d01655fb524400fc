# The two commands a newcomer runs: `make synth` and `make test`. Both set up .venv on first use
# (re-installing only when pyproject.toml or the lock changes) and need no cloud credentials; all
# they need is Python 3.11 with pip. Every package comes from a hashed lock file (locks/).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
STACKS := dev staging prod

.PHONY: synth synth-all test scan bench clean generate lock promtool

# Exactly the locked versions, each checked against its sha256; then the project itself without
# resolving anything (its dependencies are all in the lock).
$(STAMP): pyproject.toml locks/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --require-hashes -r locks/dev.txt
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

## Offline synth of the dev stack (inventory, manifests, IAM), then its policy checks and cost.
synth: $(STAMP)
	$(BIN)/llmctl synth dev --out build/dev
	$(BIN)/llmctl check --inventory build/dev/inventory.json
	$(BIN)/llmctl cost estimate --inventory build/dev/inventory.json

## Synth every stack.
synth-all: $(STAMP)
	$(BIN)/llmctl synth $(STACKS) | grep "^synth "

## The whole test suite (unit, stacks, policies, llmctl against moto, promtool rule tests), after the Checkov scan.
test: $(STAMP) scan promtool
	PATH="$(CURDIR)/$(PROMTOOL_DIR):$(CURDIR)/$(AMTOOL_DIR):$$PATH" $(BIN)/pytest

# promtool checks and unit-tests every rendered PrometheusRule, amtool checks the Alertmanager config
# and its routes (tests/observability). They come from Debian's `prometheus` and
# `prometheus-alertmanager` packages, unpacked into .tools/ (nothing is installed, no service
# starts); a promtool/amtool already on PATH is used as is.
TOOLS := .tools
PROMTOOL_DIR := $(TOOLS)/prometheus/usr/bin
AMTOOL_DIR := $(TOOLS)/alertmanager/usr/bin

promtool:
	@if [ -x $(PROMTOOL_DIR)/promtool ] || command -v promtool > /dev/null; then exit 0; fi; \
	mkdir -p $(TOOLS) && cd $(TOOLS) && rm -f prometheus_*.deb && apt-get download prometheus \
	&& dpkg-deb -x prometheus_*.deb prometheus && rm -f prometheus_*.deb && ./prometheus/usr/bin/promtool --version
	@if [ -x $(AMTOOL_DIR)/amtool ] || command -v amtool > /dev/null; then exit 0; fi; \
	mkdir -p $(TOOLS) && cd $(TOOLS) && rm -f prometheus-alertmanager_*.deb && apt-get download prometheus-alertmanager \
	&& dpkg-deb -x prometheus-alertmanager_*.deb alertmanager && rm -f prometheus-alertmanager_*.deb && ./alertmanager/usr/bin/amtool --version

# Checkov pins packaging<24 and an old boto3 that pulumi cannot live with: it gets its own venv.
# Its version is pinned in locks/scan.in, every package hashed in locks/scan.txt.
SCAN_VENV := .scan-venv
SCAN_STAMP := $(SCAN_VENV)/.installed-stamp

$(SCAN_STAMP): locks/scan.txt
	rm -rf $(SCAN_VENV)
	$(PYTHON) -m venv $(SCAN_VENV)
	$(SCAN_VENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes -r locks/scan.txt
	touch $(SCAN_STAMP)

## Checkov, offline, over every stack's rendered manifests (build/<stack>/manifests), the serving
## image's Dockerfile and the GitHub workflows (.github); every skipped check is justified in .checkov.yaml.
scan: $(STAMP) $(SCAN_STAMP)
	$(BIN)/llmctl synth $(STACKS) > /dev/null
	$(SCAN_VENV)/bin/checkov --config-file .checkov.yaml $(foreach s,$(STACKS),--directory build/$(s)/manifests) --directory serving-image --directory .github

## Synth wall time per stack and for 1/10/50 serving slots.
bench: $(STAMP)
	$(BIN)/python benchmarks/synth_bench.py

## Regenerate every derived artifact: stack schema, config reference, policy configs and the policy
## pack's GPU family copy, README tables, golden files, and (with ../shared) the CRD schemas and
## reference data under schemas/. tests/test_generated.py names a stale one. See CONTRIBUTING.md.
generate: $(STAMP)
	$(BIN)/python scripts/generate.py

## Re-resolve the hashed lock files from pyproject.toml and locks/scan.in (then run `make test`):
## dev = runtime + dev extras (make synth/test), runtime = what a deploy needs, scan = Checkov.
UV_COMPILE := $(BIN)/uv pip compile --quiet --constraint locks/constraints.txt --generate-hashes --universal --python-version 3.11 --no-annotate --custom-compile-command 'make lock'
lock: $(STAMP)
	$(UV_COMPILE) pyproject.toml --extra dev -o locks/dev.txt
	$(UV_COMPILE) pyproject.toml -o locks/runtime.txt
	$(UV_COMPILE) locks/scan.in -o locks/scan.txt

clean:
	rm -rf build
