"""CI that can't leak prod: actions pinned by commit SHA, nothing reachable from a pull request
holds a staging/prod role or any secret, deploys only from main, hashed installs (runtime only for
deploys), one KMS secrets provider per stack, the OIDC trust of every role pinned to one GitHub
environment, and zizmor clean (Checkov's workflow checks run in `make scan`)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import load_stack
from tests.support.paths import REPO_ROOT, STACKS

GITHUB = REPO_ROOT / ".github"
WORKFLOWS = GITHUB / "workflows"
FILES = sorted([*WORKFLOWS.glob("*.yml"), *GITHUB.glob("actions/*/action.yml")])
PR_TRIGGERS = {"pull_request", "pull_request_target"}
PREVIEW_ENVIRONMENTS = {"dev": "preview-dev", "staging": "preview-staging", "prod": "preview-prod"}


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text())
    if True in doc:  # YAML 1.1 reads the bare key `on` as true
        doc["on"] = doc.pop(True)
    return doc


def triggers(doc: dict[str, Any]) -> set[str]:
    on = doc.get("on") or {}
    return {on} if isinstance(on, str) else set(on)


def reachable_jobs(path: Path) -> list[tuple[str, dict[str, Any], str]]:
    """(where, job, text) for every job of a workflow, following local reusable workflows."""
    out = []
    for name, job in load(path).get("jobs", {}).items():
        out.append((f"{path.name}:{name}", job, yaml.safe_dump(job)))
        if str(job.get("uses", "")).startswith("./.github/workflows/"):
            out += reachable_jobs(REPO_ROOT / job["uses"])
    return out


def test_every_action_is_pinned_to_a_commit_sha_with_its_tag():
    uses = []
    for path in FILES:
        for line in path.read_text().splitlines():
            match = re.match(r"^\s*(?:-\s*)?uses:\s*(\S+)(.*)$", line)
            if match:
                uses.append((path.name, match.group(1), match.group(2)))
    assert len(uses) > 10
    for where, ref, comment in uses:
        if ref.startswith("./"):
            assert (REPO_ROOT / ref).exists(), (where, ref)
            continue
        assert re.fullmatch(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}", ref), f"{where}: {ref} is not pinned to a 40-hex commit SHA"
        assert re.fullmatch(r"\s+# v\d+\.\d+\.\d+", comment), f"{where}: {ref} lacks its `# vX.Y.Z` comment for Dependabot"


def test_no_job_reachable_from_a_pull_request_holds_a_prod_or_staging_role_or_any_secret():
    pr_workflows = [p for p in WORKFLOWS.glob("*.yml") if triggers(load(p)) & PR_TRIGGERS]
    assert {p.name for p in pr_workflows} == {"pr.yml", "preview.yml"}
    for path in pr_workflows:
        assert "pull_request_target" not in triggers(load(path)), path.name
        for where, job, text in reachable_jobs(path):
            assert "secrets." not in text and "secrets: inherit" not in text, where
            assert not re.search(r"\b(prod|staging)\b", str(job.get("environment", ""))), where
            if (job.get("permissions") or {}).get("id-token") == "write":
                assert job.get("environment") == PREVIEW_ENVIRONMENTS["dev"], f"{where}: OIDC outside preview-dev"
                assert "AWS_DEPLOY_ROLE_ARN" not in text, where
        assert load(path).get("permissions") == {}, f"{path.name}: workflow-level permissions must be empty"


def test_staging_and_prod_previews_run_only_on_main_in_protected_environments():
    doc = load(WORKFLOWS / "preview-main.yml")
    assert triggers(doc) == {"push", "workflow_dispatch"} and doc["on"]["push"]["branches"] == ["main"]
    [job] = doc["jobs"].values()
    assert job["if"] == "github.ref == 'refs/heads/main'"
    assert job["environment"] == "preview-${{ matrix.stack }}"
    assert {m["stack"] for m in job["strategy"]["matrix"]["include"]} == {"staging", "prod"}


def test_deploys_run_only_from_main_in_their_environment_without_secrets():
    doc = load(WORKFLOWS / "deploy.yml")
    assert doc["on"]["push"]["branches"] == ["main"]
    for name, job in doc["jobs"].items():
        assert job["if"] == "github.ref == 'refs/heads/main'", name
        assert "secrets" not in job, name
    up = load(WORKFLOWS / "deploy-stack.yml")["jobs"]["up"]
    assert up["environment"] == "${{ inputs.stack }}"
    text = (WORKFLOWS / "deploy-stack.yml").read_text()
    assert "secrets." not in text and "PULUMI_CONFIG_PASSPHRASE" not in text


def test_installs_use_hashed_locks_and_deploys_skip_the_dev_extras():
    action = (GITHUB / "actions" / "setup-venv" / "action.yml").read_text()
    assert "--require-hashes" in action and 'locks/$LOCK.txt' in action and "--no-deps" in action
    locks = {}
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        assert "pip install" not in text, f"{path.name}: install through .github/actions/setup-venv"
        for where, job, _ in reachable_jobs(path):
            for step in job.get("steps", []):
                if step.get("uses") == "./.github/actions/setup-venv":
                    locks[where] = step["with"]["lock"]
    assert locks["pr.yml:test"] == "dev"
    assert {w: lock for w, lock in locks.items() if w.startswith(("deploy", "preview"))} == {
        "deploy-stack.yml:up": "runtime", "preview-main.yml:preview": "runtime", "preview.yml:dev": "runtime"}


def test_dependabot_bumps_actions_and_pip():
    doc = yaml.safe_load((GITHUB / "dependabot.yml").read_text())
    assert {u["package-ecosystem"] for u in doc["updates"]} == {"github-actions", "pip"}


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_has_its_own_kms_secrets_provider(stack):
    doc = yaml.safe_load((REPO_ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text())
    region = load_stack(stack, REPO_ROOT).region
    assert doc["secretsprovider"] == f"awskms://alias/llm-platform-{stack}-pulumi?region={region}"
    assert "encryptionsalt" not in doc  # the passphrase provider's marker


@pytest.mark.parametrize(("kind", "stack"), [(k, s) for k in ("preview", "deploy") for s in STACKS])
def test_oidc_trust_of_each_ci_role_is_pinned_to_repo_environment_and_sts(kind, stack):
    doc = json.loads((REPO_ROOT / "docs" / "ci-oidc" / f"{kind}-{stack}.json").read_text())
    [stmt] = doc["Statement"]
    assert stmt["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert stmt["Principal"]["Federated"].endswith(":oidc-provider/token.actions.githubusercontent.com")
    environment = PREVIEW_ENVIRONMENTS[stack] if kind == "preview" else stack
    assert stmt["Condition"] == {"StringEquals": {
        "token.actions.githubusercontent.com:aud": "sts.amazonaws.com",
        "token.actions.githubusercontent.com:sub": f"repo:example-org/llm-platform:environment:{environment}",
    }}


def _zizmor() -> str:
    found = Path(sys.executable).parent / "zizmor"
    return str(found) if found.exists() else shutil.which("zizmor") or pytest.fail("zizmor is a pinned dev dependency")


def test_zizmor_finds_nothing():
    result = subprocess.run([_zizmor(), "--offline", "--no-progress", str(GITHUB)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "No findings to report" in result.stdout
