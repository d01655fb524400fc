"""The serving namespace's network isolation: who may reach the vLLM pods and where they may go.

Ingress: only the inference gateway's Envoy proxies (components/gateway/names.py) and Prometheus,
each by namespace and pod selector; never an IP block, because with the VPC CNI every pod has a
VPC address and any CIDR that covers the load balancer also covers every pod of every namespace.
Egress: denied by default for every pod of the namespace except DNS; the vLLM pods may also reach
the EKS Pod Identity agent (their AWS credentials), the VPC's interface endpoints (443 inside the
VPC CIDR), S3 for weights (443 to the addresses of the region's S3 prefix list: the gateway
endpoint routes them, and NetworkPolicy cannot name a prefix list, so the program reads its CIDRs
at deploy time) and, only for an endpoint with a slot whose weights come from the Hugging Face
Hub, the internet on 443 (outside private address space). Enforced by the VPC CNI's network
policy agent (components/cluster/render.py: enableNetworkPolicy).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.endpoint.models import SLOTS, EndpointConfig
from components.endpoint.names import namespace
from components.gateway.names import GATEWAY_NAMESPACE, proxy_pod_labels
from components.k8s import apply
from components.observability.versions import MONITORING_NAMESPACE, PROMETHEUS_FULLNAME
from components.serving.vllm import PORT

VLLM_PODS = {"app.kubernetes.io/name": "vllm"}
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by the API server on every namespace
# Pods of the Prometheus the platform runs: the operator labels them with the Prometheus object's
# name (`<fullname>-prometheus` in kube-prometheus-stack; prometheus-operator v0.93
# pkg/prometheus/server/statefulset.go).
PROMETHEUS_PODS = {"app.kubernetes.io/name": "prometheus", "operator.prometheus.io/name": f"{PROMETHEUS_FULLNAME}-prometheus"}
KUBE_DNS_PODS = {"k8s-app": "kube-dns"}  # CoreDNS add-on pods in kube-system
# EKS Pod Identity agent, on every node (docs.aws.amazon.com/eks/latest/userguide/pod-id-how-it-works.html).
POD_IDENTITY_AGENT = "169.254.170.23/32"
PRIVATE_RANGES = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "169.254.0.0/16")
HTTPS = [{"protocol": "TCP", "port": 443}]


def _peer(namespace_name: str, pods: dict[str, str]) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: namespace_name}}, "podSelector": {"matchLabels": dict(pods)}}


def _policy(endpoint: str, name: str, pods: dict[str, str], spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": name, "namespace": namespace(endpoint)},
        "spec": {"podSelector": {"matchLabels": dict(pods)} if pods else {}, **spec},
    }


def vllm_ingress(endpoint: str, cluster_name: str) -> dict[str, Any]:
    """The serving port, only from the stack's gateway proxies and from Prometheus."""
    peers = [_peer(GATEWAY_NAMESPACE, proxy_pod_labels(cluster_name)), _peer(MONITORING_NAMESPACE, PROMETHEUS_PODS)]
    return _policy(endpoint, "vllm-ingress", VLLM_PODS, {
        "policyTypes": ["Ingress"],
        "ingress": [{"from": peers, "ports": [{"protocol": "TCP", "port": PORT}]}],
    })


def default_deny_egress(endpoint: str) -> dict[str, Any]:
    """Every pod of the namespace: no egress but DNS to the cluster's CoreDNS."""
    dns = [{"protocol": proto, "port": 53} for proto in ("UDP", "TCP")]
    return _policy(endpoint, "default-deny-egress", {}, {
        "policyTypes": ["Egress"],
        "egress": [{"to": [_peer("kube-system", KUBE_DNS_PODS)], "ports": dns}],
    })


def vllm_egress(endpoint: str, vpc_cidr: str, s3_cidrs: list[str], hub: bool) -> dict[str, Any]:
    """What the vLLM pods need beyond DNS (see the module docstring)."""
    rules: list[dict[str, Any]] = [
        {"to": [{"ipBlock": {"cidr": POD_IDENTITY_AGENT}}], "ports": [{"protocol": "TCP", "port": 80}]},
        {"to": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": HTTPS},
    ]
    if s3_cidrs:
        rules.append({"to": [{"ipBlock": {"cidr": c}} for c in sorted(s3_cidrs)], "ports": HTTPS})
    if hub:
        rules.append({"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": [vpc_cidr, *PRIVATE_RANGES]}}], "ports": HTTPS})
    return _policy(endpoint, "vllm-egress", VLLM_PODS, {"policyTypes": ["Egress"], "egress": rules})


def uses_hub(cfg: EndpointConfig) -> bool:
    return any(not getattr(cfg.slots, s).empty and getattr(cfg.slots, s).weights == "hub" for s in SLOTS)


def apply_network_policies(
    parent: pulumi.ComponentResource, endpoint: str, cfg: EndpointConfig, cluster_name: str, vpc_cidr: pulumi.Input[str],
    region: str, namespace_resource: pulumi.Resource, weight_cache: bool = False,
) -> None:
    """Create the three policies as children of the endpoint, after its namespace. With
    `weight_cache` (a slot streams from the shared S3 Express cache) the S3 Express prefix list's
    ranges are allowed too: its gateway endpoint routes them (AWS-managed prefix list
    com.amazonaws.<region>.s3express, VPC User Guide "AWS-managed prefix lists")."""
    opts = pulumi.ResourceOptions(parent=parent, depends_on=[namespace_resource])
    services = ["s3", *(["s3express"] if weight_cache else [])]
    lists = [aws.ec2.get_prefix_list_output(name=f"com.amazonaws.{region}.{svc}", opts=pulumi.InvokeOutputOptions(parent=parent)) for svc in services]
    cidrs = pulumi.Output.all(*[p.cidr_blocks for p in lists]).apply(lambda blocks: sorted({c for b in blocks for c in b}))
    egress = pulumi.Output.all(vpc_cidr, cidrs).apply(lambda v: vllm_egress(endpoint, v[0], list(v[1]), uses_hub(cfg))["spec"])
    apply(f"{endpoint}-network-policy", vllm_ingress(endpoint, cluster_name), opts)
    apply(f"{endpoint}-default-deny-egress", default_deny_egress(endpoint), opts)
    apply(f"{endpoint}-vllm-egress", {**_policy(endpoint, "vllm-egress", VLLM_PODS, {}), "spec": egress}, opts)
