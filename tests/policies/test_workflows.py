"""The GitHub workflows users get: valid YAML, actions pinned by major version, and every stack
they name exists (and every stack is previewed, checked and deployed)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.support.paths import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
STACK_FILES = {p.name.removeprefix("Pulumi.").removesuffix(".yaml") for p in (REPO_ROOT / "stacks").glob("Pulumi.*.yaml")}


def _load(name: str) -> dict[str, Any]:
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True, doc.get("on"))  # YAML 1.1 reads the bare key `on` as true
    return doc


def _walk(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from _walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk(item)


def _stacks_named(doc: dict[str, Any]) -> set[str]:
    stacks: set[str] = set()
    for key, value in _walk(doc):
        if key == "stack" and isinstance(value, list):
            stacks.update(value)
        elif key == "stack" and isinstance(value, str) and "${{" not in value:
            stacks.add(value)
    return stacks


@pytest.mark.parametrize("name", ["pr.yml", "preview.yml", "deploy.yml", "deploy-stack.yml"])
def test_workflow_parses_and_pins_actions_by_major(name):
    doc = _load(name)
    assert doc["name"] and doc["on"] and doc["jobs"]
    uses = [value for key, value in _walk(doc) if key == "uses"]
    assert uses
    for ref in uses:
        assert ref.startswith("./.github/workflows/") or re.match(r"^[\w.-]+/[\w.-]+@v\d+$", ref), f"{name}: {ref} not pinned by major"
        if ref.startswith("./"):
            assert (REPO_ROOT / ref).is_file(), ref


@pytest.mark.parametrize("name", ["pr.yml", "preview.yml", "deploy.yml"])
def test_workflows_cover_exactly_the_stacks_that_exist(name):
    assert _stacks_named(_load(name)) == STACK_FILES


def test_policy_pack_configs_exist_for_every_stack():
    for stack in STACK_FILES:
        assert (REPO_ROOT / "policies" / "config" / f"{stack}.json").is_file()
    text = (WORKFLOWS / "preview.yml").read_text() + (WORKFLOWS / "deploy-stack.yml").read_text()
    assert text.count("policyPacks: policies") == 2


def test_deploy_runs_dev_then_staging_then_prod_with_environment_approvals():
    jobs = _load("deploy.yml")["jobs"]
    assert [jobs[j].get("needs") for j in ("dev", "staging", "prod")] == [None, "dev", "staging"]
    up = _load("deploy-stack.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.stack }}"
    assert _load("deploy.yml")["on"]["push"]["branches"] == ["main"]


def test_pr_workflow_lints_tests_and_comments():
    doc = _load("pr.yml")
    text = Path(WORKFLOWS / "pr.yml").read_text()
    assert "ruff check ." in text and "make test" in text and "llmctl check" in text and "llmctl cost estimate" in text
    assert doc["jobs"]["comment"]["permissions"] == {"pull-requests": "write"}


def test_make_test_runs_the_scan_and_make_synth_runs_the_check():
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^test: .*\bscan\b", makefile, re.M)
    assert "llmctl check --inventory build/dev/inventory.json" in makefile
    assert re.search(r"checkov --config-file \.checkov\.yaml .*--directory serving-image", makefile)


def test_every_skipped_checkov_check_is_justified():
    text = (REPO_ROOT / ".checkov.yaml").read_text()
    config = yaml.safe_load(text)
    assert config["skip-download"] is True and set(config["framework"]) == {"kubernetes", "dockerfile"}
    lines = text.splitlines()
    for check in config["skip-check"]:
        index = next(i for i, line in enumerate(lines) if line.strip() == f"- {check}")
        assert lines[index - 1].strip().startswith("#"), f"{check} is skipped without a reason above it"
