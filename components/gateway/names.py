"""Names the inference gateway shares with the components around it (network policies, admission
policy, release tooling). Kept free of Pulumi imports so renderers and llmctl can use them."""

from __future__ import annotations

# Envoy Gateway's controller namespace; proxies of a Gateway run here too (default deploy mode).
GATEWAY_NAMESPACE = "envoy-gateway-system"
# Labels Envoy Gateway puts on the proxy pods of one Gateway (used to admit only them to vLLM pods).
OWNING_GATEWAY_NAME_LABEL = "gateway.envoyproxy.io/owning-gateway-name"
OWNING_GATEWAY_NAMESPACE_LABEL = "gateway.envoyproxy.io/owning-gateway-namespace"
# Only namespaces carrying this label (set by the stack on the endpoint namespaces it creates) may
# attach routes to the stack's Gateway.
ROUTES_NAMESPACE_LABEL = "llm-platform.io/gateway-routes"


def gateway_name(cluster_name: str) -> str:
    """One Gateway per stack, named after the cluster."""
    return cluster_name


def proxy_pod_labels(cluster_name: str, gateway_namespace: str = GATEWAY_NAMESPACE) -> dict[str, str]:
    """Label selector matching exactly the Envoy proxy pods of the stack's Gateway."""
    return {OWNING_GATEWAY_NAME_LABEL: gateway_name(cluster_name), OWNING_GATEWAY_NAMESPACE_LABEL: gateway_namespace}
