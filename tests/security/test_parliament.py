"""parliament (community auditors on) over every synthesized IAM document of every stack: no
privilege-escalation finding on the workload boundary (the one serving roles carry), no
iam:PassRole on a wildcard resource and no sts:AssumeRole on Resource "*" anywhere."""

from __future__ import annotations

import json

import pytest
from parliament import analyze_policy_string

from tests.security.iam_usage import as_doc
from tests.support.paths import STACKS

POLICY_TYPES = ("aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy")
# Newer than parliament 1.6.4's IAM definitions (both are in the AWS Load Balancer Controller's
# reference policy, v2.14+): unknown to parliament, not to IAM.
NEWER_THAN_PARLIAMENT = {"elasticloadbalancing:ModifyIpPools", "elasticloadbalancing:CreateAction"}


def documents(inventory) -> dict[str, dict]:
    """Every identity policy and boundary (trust policies are resource policies: parliament audits
    identity policies; their principals and conditions are tested in test_trust.py)."""
    return {r.name: as_doc(r.inputs["policy"]) for r in inventory.of_type(*POLICY_TYPES)}


def findings(doc: dict) -> list[str]:
    policy = analyze_policy_string(json.dumps(doc), include_community_auditors=True)
    return [
        f"{f.issue}:{f.location.get('type', '')}" for f in policy.findings
        if not (f.issue.startswith("UNKNOWN") and any(known in (f.detail or "") for known in NEWER_THAN_PARLIAMENT))
    ]


@pytest.mark.parametrize("stack", STACKS)
def test_no_privilege_escalation_on_the_workload_boundary(stack, inventories):
    [workload] = [r for r in inventories[stack].of_type("aws:iam/policy:Policy") if r.inputs["name"].endswith("-workload-boundary")]
    serving = [r for r in inventories[stack].of_type("aws:iam/role:Role") if "vLLM" in r.inputs.get("description", "")]
    assert serving and {r.inputs["permissionsBoundary"].rsplit("/", 1)[-1] for r in serving} == {workload.inputs["name"]}
    result = findings(as_doc(workload.inputs["policy"]))
    assert [f for f in result if f.startswith("PRIVILEGE_ESCALATION")] == []


@pytest.mark.parametrize("stack", STACKS)
def test_no_passrole_or_assumerole_on_a_wildcard_resource(stack, inventories):
    docs = documents(inventories[stack])
    assert len(docs) > 10
    offenders = []
    for name, doc in docs.items():
        for stmt in doc.get("Statement", []):
            actions = stmt.get("Action", [])
            actions = [actions] if isinstance(actions, str) else actions
            resources = stmt.get("Resource", [])
            resources = [resources] if isinstance(resources, str) else resources
            risky = [a for a in actions if a.lower() in ("iam:passrole", "sts:assumerole", "iam:*", "sts:*", "*")]
            if stmt.get("Effect") == "Allow" and risky and "Principal" not in stmt and "*" in resources:
                offenders.append((name, risky))
    assert offenders == []


@pytest.mark.parametrize("stack", STACKS)
def test_parliament_finds_no_error_level_issue_in_any_document(stack, inventories):
    """Every document parses and names only real actions and condition keys (parliament's
    MALFORMED/UNKNOWN findings), and no document, the controller boundary included (its PassRole
    names one role), matches an escalation pattern."""
    report = {name: findings(doc) for name, doc in documents(inventories[stack]).items()}
    bad = {n: [f for f in fs if f.startswith(("MALFORMED", "UNKNOWN_ACTION", "UNKNOWN_PREFIX", "UNKNOWN_CONDITION"))] for n, fs in report.items()}
    assert {n: fs for n, fs in bad.items() if fs} == {}
    escalations = {n: [f for f in fs if f.startswith("PRIVILEGE_ESCALATION")] for n, fs in report.items()}
    assert {n: fs for n, fs in escalations.items() if fs} == {}
