"""Serving namespaces isolate: vLLM admits only the gateway's proxies and Prometheus (selectors,
never a CIDR, which with the VPC CNI would contain every pod), every namespace denies egress by
default, and the vLLM pods reach only DNS, their credentials, the VPC endpoints, S3 and, for hub
weights only, the internet on 443. The CNI enforces it."""

from __future__ import annotations

import ipaddress
import json

import pytest

from components.endpoint.network_policy import (
    POD_IDENTITY_AGENT,
    PROMETHEUS_PODS,
    default_deny_egress,
    uses_hub,
    vllm_egress,
    vllm_ingress,
)
from components.gateway.names import GATEWAY_NAMESPACE, proxy_pod_labels
from components.ratelimit.render import STORE_NAMESPACE
from infra.config import load_stack
from infra.providers import cluster_name
from tests.conftest import synthesized
from tests.support.manifests import core_errors
from tests.support.paths import REPO_ROOT, STACKS

NS = "kubernetes.io/metadata.name"


def test_ingress_admits_only_gateway_proxies_and_prometheus_on_the_serving_port():
    policy = vllm_ingress("chat", "llm-platform-t")
    assert policy["metadata"] == {"name": "vllm-ingress", "namespace": "llm-chat"}
    [rule] = policy["spec"]["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8000}]
    assert rule["from"] == [
        {"namespaceSelector": {"matchLabels": {NS: GATEWAY_NAMESPACE}}, "podSelector": {"matchLabels": proxy_pod_labels("llm-platform-t")}},
        {"namespaceSelector": {"matchLabels": {NS: "monitoring"}}, "podSelector": {"matchLabels": PROMETHEUS_PODS}},
    ]
    assert PROMETHEUS_PODS == {"app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": "kps-prometheus"}
    assert core_errors(policy, "1.34") == []


def test_default_deny_egress_selects_every_pod_and_allows_only_dns():
    policy = default_deny_egress("chat")
    assert policy["spec"]["podSelector"] == {} and policy["spec"]["policyTypes"] == ["Egress"]
    [dns] = policy["spec"]["egress"]
    assert dns["to"] == [{"namespaceSelector": {"matchLabels": {NS: "kube-system"}}, "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
    assert sorted(p["protocol"] for p in dns["ports"]) == ["TCP", "UDP"] and {p["port"] for p in dns["ports"]} == {53}
    assert core_errors(policy, "1.34") == []


def test_vllm_egress_opens_the_internet_only_for_hub_weights():
    s3 = vllm_egress("chat", "10.40.0.0/16", ["52.216.0.0/15"], hub=False)
    hub = vllm_egress("chat", "10.40.0.0/16", [], hub=True)
    blocks = lambda p: [b["ipBlock"] for rule in p["spec"]["egress"] for b in rule["to"]]  # noqa: E731
    assert blocks(s3) == [{"cidr": POD_IDENTITY_AGENT}, {"cidr": "10.40.0.0/16"}, {"cidr": "52.216.0.0/15"}]
    assert {"cidr": "0.0.0.0/0", "except": ["10.40.0.0/16", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10",
                                             "169.254.0.0/16"]} in blocks(hub)
    assert all(r["ports"] == [{"protocol": "TCP", "port": 443}] for r in s3["spec"]["egress"][1:])
    assert core_errors(s3, "1.34") == [] and core_errors(hub, "1.34") == []


@pytest.mark.parametrize("stack", STACKS)
def test_every_serving_namespace_is_isolated(stack):
    cfg = load_stack(stack, REPO_ROOT)
    inventory = synthesized(stack)
    policies: dict[str, dict[str, dict]] = {}
    for _, obj in inventory.kubernetes_objects():
        if obj["kind"] == "NetworkPolicy":
            policies.setdefault(obj["metadata"]["namespace"], {})[obj["metadata"]["name"]] = obj
    # Besides the serving namespaces, only dev's in-cluster quota store (components/ratelimit) has its own.
    assert cfg.endpoints and set(policies) - {STORE_NAMESPACE} == {f"llm-{name}" for name in cfg.endpoints}
    vpc = ipaddress.ip_network(str(cfg.network.cidr))
    for endpoint, endpoint_cfg in cfg.endpoints.items():
        by_name = policies[f"llm-{endpoint}"]
        assert set(by_name) == {"vllm-ingress", "default-deny-egress", "vllm-egress"}
        # No ingress rule admits an IP block at all (every pod IP is a VPC address).
        peers = [peer for rule in by_name["vllm-ingress"]["spec"]["ingress"] for peer in rule["from"]]
        assert peers and all("ipBlock" not in peer for peer in peers)
        assert peers[0]["podSelector"]["matchLabels"] == proxy_pod_labels(cluster_name(cfg))
        deny = by_name["default-deny-egress"]["spec"]
        assert deny["podSelector"] == {} and deny["policyTypes"] == ["Egress"]
        internet = [b["ipBlock"] for r in by_name["vllm-egress"]["spec"]["egress"] for b in r["to"] if b["ipBlock"]["cidr"] == "0.0.0.0/0"]
        assert bool(internet) == uses_hub(endpoint_cfg)
        for block in internet:
            assert str(vpc) in block["except"]
        for obj in by_name.values():
            assert core_errors(obj, cfg.cluster.kubernetes_version) == []
    [cni] = [r for r in inventory.of_type("aws:eks/addon:Addon") if r.inputs["addonName"] == "vpc-cni"]
    assert json.loads(cni.inputs["configurationValues"])["enableNetworkPolicy"] == "true"
