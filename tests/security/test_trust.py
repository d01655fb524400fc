"""Scoped trust over every stack: each Pod Identity role trusts only its own account, cluster,
namespace and service account; every role is named after its cluster; the interruption queue takes
messages only from the stack's own rules."""

from __future__ import annotations

import json

import pytest

from infra.providers import cluster_name
from tests.support.paths import STACKS


def _doc(value):
    return json.loads(value) if isinstance(value, str) else value


@pytest.mark.parametrize("stack", STACKS)
def test_every_pod_identity_trust_is_conditioned_on_account_cluster_namespace_and_service_account(stack, inventories, configs):
    inventory, cluster = inventories[stack], cluster_name(configs[stack])
    roles = {r.urn: r for r in inventory.of_type("aws:iam/role:Role")}
    associations = inventory.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert associations
    by_name = {r.inputs.get("name"): r for r in roles.values()}
    for association in associations:
        role_name = association.inputs["roleArn"].rsplit("/", 1)[-1]
        [stmt] = _doc(by_name[role_name].inputs["assumeRolePolicy"])["Statement"]
        assert stmt["Principal"] == {"Service": "pods.eks.amazonaws.com"}
        assert stmt["Condition"]["StringEquals"] == {
            "aws:SourceAccount": association.inputs["roleArn"].split(":")[4],
            "aws:RequestTag/eks-cluster-name": cluster,
            "aws:RequestTag/kubernetes-namespace": association.inputs["namespace"],
            "aws:RequestTag/kubernetes-service-account": association.inputs["serviceAccount"],
        }, role_name
    pod_roles = [r for r in roles.values() if "pods.eks.amazonaws.com" in r.inputs["assumeRolePolicy"]]
    assert len(pod_roles) == len(associations)


@pytest.mark.parametrize("stack", STACKS)
def test_every_role_is_named_after_its_cluster(stack, inventories, configs):
    cluster = cluster_name(configs[stack])
    roles = inventories[stack].of_type("aws:iam/role:Role")
    assert roles
    # An explicit name, or Pulumi's auto-name: the resource name plus a random suffix.
    names = {r.inputs.get("name") or r.name for r in roles}
    assert sorted(n for n in names if not n.startswith(f"{cluster}-")) == []


@pytest.mark.parametrize("stack", STACKS)
def test_interruption_queue_accepts_only_the_stack_own_rules(stack, inventories, configs):
    inventory = inventories[stack]
    [policy] = inventory.of_type("aws:sqs/queuePolicy:QueuePolicy")
    [allow] = [s for s in _doc(policy.inputs["policy"])["Statement"] if s["Effect"] == "Allow"]
    rules = inventory.of_type("aws:cloudwatch/eventRule:EventRule")
    assert rules
    sources = allow["Condition"]["ArnEquals"]["aws:SourceArn"]
    assert sorted(s.rsplit("/", 1)[-1] for s in sources) == sorted(r.inputs["name"] for r in rules)
    assert allow["Condition"]["StringEquals"]["aws:SourceAccount"] == allow["Resource"].split(":")[4]
