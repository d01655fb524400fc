"""The LB controller's policy grants what upstream's iam_policy.json (v2.14) grants, minus the
ALB-only integrations and ALB resource ARNs (the controller now builds only the gateway's NLB)."""

from __future__ import annotations

import json

from components.gateway.lb_iam import ALB_ONLY, ALB_RESOURCES, controller_policy
from components.trust import pod_identity_trust
from tests.support.paths import REFERENCE


def grants(document: dict) -> set[tuple[str, str, str, str]]:
    """(effect, action, resource, condition) for every action x resource of every statement."""
    out = set()
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        condition = json.dumps(statement.get("Condition", {}), sort_keys=True)
        out |= {(statement["Effect"], a, r, condition) for a in actions for r in resources}
    return out


def test_upstream_grants_minus_the_alb_only_ones():
    reference = grants(json.loads((REFERENCE / "aws-load-balancer-controller-iam-policy.json").read_text()))
    dropped = {g for g in reference if g[1] in ALB_ONLY or g[2] in ALB_RESOURCES}
    assert {g[1] for g in dropped} >= set(ALB_ONLY)  # every name in ALB_ONLY is a real upstream grant
    assert {g[2] for g in dropped} >= set(ALB_RESOURCES)  # and every ALB ARN a real upstream resource
    assert grants(controller_policy()) == reference - dropped
    assert not [g for g in grants(controller_policy()) if "/app/" in g[2]]


def test_statements_are_named_and_nothing_is_duplicated():
    statements = controller_policy()["Statement"]
    sids = [s["Sid"] for s in statements]
    assert len(sids) == len(set(sids))
    for statement in statements:
        assert len(statement["Action"]) == len(set(statement["Action"])), statement["Sid"]


def test_writes_are_scoped_to_resources_the_controller_tagged():
    unconditioned_writes = {
        a for s in controller_policy()["Statement"] if "Condition" not in s and s["Resource"] == "*"
        for a in s["Action"] if a.split(":")[1].startswith(("Delete", "Modify", "Set"))
    }
    # Listeners and rules carry no tags; load balancers, target groups and security groups need the cluster tag.
    assert unconditioned_writes == {
        "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteRule",
        "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities",
    }


def test_trust_is_pod_identity_only():
    statement = pod_identity_trust("111122223333", "c", "kube-system", "aws-load-balancer-controller")["Statement"][0]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
