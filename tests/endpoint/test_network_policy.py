"""Serving namespaces admit only the vLLM port, only from inside the VPC, and the CNI enforces it."""

from __future__ import annotations

import json

import pytest

from components.endpoint.manifests import serving_network_policy
from infra.config import load_stack
from tests.conftest import synthesized
from tests.support.manifests import core_errors
from tests.support.paths import REPO_ROOT, STACKS


def test_policy_selects_vllm_pods_and_opens_only_their_port():
    policy = serving_network_policy("chat", "10.40.0.0/16")
    assert policy["metadata"] == {"name": "vllm-ingress", "namespace": "llm-chat"}
    assert policy["spec"] == {
        "podSelector": {"matchLabels": {"app.kubernetes.io/name": "vllm"}},
        "policyTypes": ["Ingress"],
        "ingress": [{"from": [{"ipBlock": {"cidr": "10.40.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 8000}]}],
    }
    assert core_errors(policy, "1.34") == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_endpoint_namespace_has_the_policy_with_the_stack_vpc(stack):
    cfg = load_stack(stack, REPO_ROOT)
    inventory = synthesized(stack)
    policies = {obj["metadata"]["namespace"]: obj for _, obj in inventory.kubernetes_objects() if obj["kind"] == "NetworkPolicy"}
    assert set(policies) == {f"llm-{name}" for name in cfg.endpoints}
    for policy in policies.values():
        [rule] = policy["spec"]["ingress"]
        assert rule["from"] == [{"ipBlock": {"cidr": str(cfg.network.cidr)}}]
    [cni] = [r for r in inventory.of_type("aws:eks/addon:Addon") if r.inputs["addonName"] == "vpc-cni"]
    assert json.loads(cni.inputs["configurationValues"])["enableNetworkPolicy"] == "true"
