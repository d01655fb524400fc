"""The boundary must not silently break the workloads it caps: every action the stack's own
identity policies grant (all components, all stacks) and every action of the upstream reference
policies the platform runs (Karpenter, AWS Load Balancer Controller) stays permitted."""

from __future__ import annotations

import contextlib
import json
from fnmatch import fnmatchcase

import pytest

from components.boundary.iam import boundary_policy, permits
from tests.conftest import synthesized
from tests.support.paths import REFERENCE, STACKS

ARN = "arn:aws:iam::123456789012:policy/llm-platform-t-boundary"
BOUNDARY = boundary_policy(ARN, "us-west-2", "llm-platform-t")


def granted_actions(doc: dict) -> set[str]:
    actions = set()
    for stmt in doc.get("Statement", []):
        if stmt.get("Effect") == "Allow" and "Action" in stmt:
            value = stmt["Action"]
            actions.update([value] if isinstance(value, str) else value)
    return actions


def test_permits_matches_wildcards_and_honours_unconditional_denies():
    assert permits(BOUNDARY, "ec2:RunInstances") and permits(BOUNDARY, "EC2:runinstances")
    assert permits(BOUNDARY, "iam:PassRole")
    assert not permits(BOUNDARY, "iam:CreateUser")
    assert not permits(BOUNDARY, "iam:AttachRolePolicy")
    assert not permits(BOUNDARY, "organizations:LeaveOrganization")


@pytest.mark.parametrize("stack", STACKS)
def test_every_action_the_stack_grants_is_inside_the_boundary(stack):
    inventory = synthesized(stack)
    boundary_name = f"llm-platform-{stack}-boundary"
    outside = {}
    policies = inventory.of_type("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy")
    assert len(policies) > 6  # the boundary, Karpenter's six, the controllers' and slots' own
    for resource in policies:
        if resource.inputs.get("name") == boundary_name:
            continue
        doc = resource.inputs.get("policy")
        doc = json.loads(doc) if isinstance(doc, str) else doc
        blocked = sorted(a for a in granted_actions(doc or {}) if not permits(BOUNDARY, a))
        if blocked:
            outside[resource.name] = blocked
    assert not outside, f"granted but outside the permissions boundary: {outside}"


@pytest.mark.parametrize("stack", STACKS)
def test_every_role_the_stack_passes_is_one_the_boundary_lets_it_pass(stack):
    inventory = synthesized(stack)
    [boundary] = [p for p in inventory.of_type("aws:iam/policy:Policy") if p.inputs.get("name") == f"llm-platform-{stack}-boundary"]
    doc = json.loads(boundary.inputs["policy"])
    [pattern] = [s["Resource"] for s in doc["Statement"] if s["Effect"] == "Allow" and "iam:PassRole" in s["Action"]]
    passed = []
    for resource in inventory.of_type("aws:iam/rolePolicy:RolePolicy", "aws:iam/policy:Policy"):
        policy = resource.inputs.get("policy")
        policy = json.loads(policy) if isinstance(policy, str) else policy or {}
        for stmt in policy.get("Statement", []):
            actions = [stmt.get("Action")] if isinstance(stmt.get("Action"), str) else stmt.get("Action") or []
            if stmt.get("Effect") == "Allow" and any(fnmatchcase("iam:passrole", a.lower()) for a in actions) and resource is not boundary:
                resources = [stmt["Resource"]] if isinstance(stmt["Resource"], str) else stmt["Resource"]
                passed += [(resource.name, r) for r in resources]
    assert passed, "Karpenter passes its node role"
    assert all(fnmatchcase(arn, pattern) for _, arn in passed), passed


def test_aws_load_balancer_controller_reference_policy_fits_the_boundary():
    doc = json.loads((REFERENCE / "aws-load-balancer-controller-iam-policy.json").read_text())
    assert sorted(a for a in granted_actions(doc) if not permits(BOUNDARY, a)) == []


def test_karpenter_reference_controller_policy_fits_the_boundary():
    text = (REFERENCE / "karpenter-v1.14-cloudformation.json").read_text()
    actions = set()

    def walk(node):
        if isinstance(node, dict):
            if node.get("Effect") == "Allow" and "Action" in node:
                value = node["Action"]
                actions.update([value] if isinstance(value, str) else value)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)
        elif isinstance(node, str) and '"Statement"' in node:
            with contextlib.suppress(ValueError):
                walk(json.loads(node))

    walk(json.loads(text))
    assert len(actions) > 20
    assert sorted(a for a in actions if not permits(BOUNDARY, a)) == []
