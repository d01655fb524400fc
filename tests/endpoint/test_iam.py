"""The controller's policy grants exactly what upstream's iam_policy.json (v2.14) grants."""

from __future__ import annotations

import json

from components.endpoint.iam import controller_policy
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


def test_same_actions_resources_and_conditions_as_upstream():
    reference = json.loads((REFERENCE / "aws-load-balancer-controller-iam-policy.json").read_text())
    mine = controller_policy()
    assert grants(mine) == grants(reference)
    assert {a for _, a, _, _ in grants(mine)} == {a for _, a, _, _ in grants(reference)}


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
    # Upstream's only unconditioned deletes/modifications: listeners and rules (which carry no tags)
    # and Shield protection; load balancers, target groups and security groups need the cluster tag.
    assert unconditioned_writes == {"shield:DeleteProtection",
        "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteRule", "elasticloadbalancing:SetWebAcl",
        "elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyRule", "elasticloadbalancing:SetRulePriorities",
    }


def test_trust_is_pod_identity_only():
    statement = pod_identity_trust("111122223333", "c", "kube-system", "aws-load-balancer-controller")["Statement"][0]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert statement["Action"] == ["sts:AssumeRole", "sts:TagSession"]
