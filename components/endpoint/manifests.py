"""Pure renderers of an endpoint's own Kubernetes objects (its namespace and the vLLM ingress
NetworkPolicy); its route and pools on the stack's Gateway are components.gateway's."""

from __future__ import annotations

from typing import Any

from components.endpoint.names import namespace
from components.gateway.names import ROUTES_NAMESPACE_LABEL
from components.serving.vllm import PORT

PART_OF = {"app.kubernetes.io/part-of": "llm-platform"}


def service_name(endpoint: str, slot: str) -> str:
    """The slot's Service (components.serving: `<endpoint>-<slot>`)."""
    return f"{endpoint}-{slot}"


def namespace_manifest(endpoint: str, team: str, environment: str, kubernetes_version: str) -> dict[str, Any]:
    # Pod Security Admission `restricted`, pinned to the cluster's minor so an upgrade cannot
    # silently tighten (or loosen) what the vLLM pods must satisfy.
    pss = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}
    pss.update({f"pod-security.kubernetes.io/{mode}-version": f"v{kubernetes_version}" for mode in ("enforce", "audit", "warn")})
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": namespace(endpoint),
            "labels": {**PART_OF, "team": team, "environment": environment, "endpoint": endpoint, ROUTES_NAMESPACE_LABEL: "true", **pss},
        },
    }


def serving_network_policy(endpoint: str, vpc_cidr: Any) -> dict[str, Any]:
    """vLLM pods admit only their HTTP port, only from inside the VPC: the gateway proxies and
    Prometheus both reach them from VPC addresses; peered networks and VPNs must come through the
    gateway. `vpc_cidr` may be a Pulumi Output (it is only placed)."""
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": "vllm-ingress", "namespace": namespace(endpoint)},
        "spec": {
            "podSelector": {"matchLabels": {"app.kubernetes.io/name": "vllm"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"ipBlock": {"cidr": vpc_cidr}}], "ports": [{"protocol": "TCP", "port": PORT}]}],
        },
    }
