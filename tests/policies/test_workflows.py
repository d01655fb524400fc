"""The GitHub workflows users get: every stack they name exists (and every stack is previewed,
checked and deployed). Their security (pins, reachability from pull requests, locks, linters) is
tests/security/test_workflows.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

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


def test_workflows_cover_exactly_the_stacks_that_exist():
    named = _stacks_named(_load("pr.yml")) | _stacks_named(_load("deploy.yml"))
    # preview.yml names its one stack (dev) as `stack-name: dev`, preview-main.yml the others in its matrix.
    previewed = _stacks_named(_load("preview-main.yml")) | {"dev"}
    assert named == previewed == STACK_FILES
    assert "stack-name: dev" in (WORKFLOWS / "preview.yml").read_text()


def test_policy_pack_configs_exist_for_every_stack():
    for stack in STACK_FILES:
        assert (REPO_ROOT / "policies" / "config" / f"{stack}.json").is_file()
    text = "".join((WORKFLOWS / f).read_text() for f in ("preview.yml", "preview-main.yml", "deploy-stack.yml"))
    assert text.count("policyPacks: policies") == 3


def test_deploy_runs_dev_then_staging_then_prod_with_environment_approvals():
    jobs = _load("deploy.yml")["jobs"]
    assert [jobs[j].get("needs") for j in ("dev", "staging", "prod")] == [None, "dev", "staging"]
    up = _load("deploy-stack.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.stack }}"
    assert _load("deploy.yml")["on"]["push"]["branches"] == ["main"]


def test_pr_workflow_lints_tests_and_comments():
    doc = _load("pr.yml")
    text = Path(WORKFLOWS / "pr.yml").read_text()
    assert ".venv/bin/ruff check ." in text and "make test" in text and "llmctl check" in text and "llmctl cost estimate" in text
    assert doc["jobs"]["comment"]["permissions"] == {"pull-requests": "write"}


def test_make_test_runs_the_scan_and_make_synth_runs_the_check():
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert re.search(r"^test: .*\bscan\b", makefile, re.M)
    assert "llmctl check --inventory build/dev/inventory.json" in makefile
    assert re.search(r"checkov --config-file \.checkov\.yaml .*--directory serving-image --directory \.github$", makefile, re.M)


def test_every_skipped_checkov_check_is_justified():
    text = (REPO_ROOT / ".checkov.yaml").read_text()
    config = yaml.safe_load(text)
    assert config["skip-download"] is True and set(config["framework"]) == {"kubernetes", "dockerfile", "github_actions"}
    lines = text.splitlines()
    for check in config["skip-check"]:
        index = next(i for i, line in enumerate(lines) if line.strip() == f"- {check}")
        assert lines[index - 1].strip().startswith("#"), f"{check} is skipped without a reason above it"
