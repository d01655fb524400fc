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


# Per-team API keys live in AWS Secrets Manager (managed by `llmctl keys`), one secret per team,
# read by the Pulumi program at deploy time into a Kubernetes Secret per endpoint the team may use.
# Value: JSON {"<key id>": {"key": "<api key>", "created": "<ISO time>"}}; the gateway's client id
# of a key is "<team>.<key id>".
RELEASE_CLIENT = "release-tooling"  # not a team name: team names never reach the `/_release` secret
CLIENT_ID_HEADER = "x-llm-client"  # the client id the gateway forwards once the key is verified
# Request headers only the gateway itself may set: removed from every incoming request first.
GATEWAY_SET_HEADERS = (CLIENT_ID_HEADER,)


# A staging label the stack's first (empty) version keeps for good: Secrets Manager deletes only
# versions without labels once a secret has more than 100 (PutSecretValue API reference), so the
# seed version is never removed and a `pulumi refresh` never finds it gone and writes `{}` back
# as AWSCURRENT over the live keys.
SEED_STAGE = "llm-platform-seed"


def api_keys_secret(cluster_name: str, team: str | None) -> str:
    """Secrets Manager name of a team's keys (team None: the release tooling's own key)."""
    return f"{cluster_name}/api-keys/{team if team else '_release'}"


def client_id(team: str | None, key_id: str) -> str:
    return f"{team or RELEASE_CLIENT}.{key_id}"
