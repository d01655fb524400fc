"""Pure renderers of an endpoint's route on the stack's Gateway: one AIGatewayRoute (OpenAI
schema, token costs captured per request) whose rules are

- `preview-<slot>`: `X-LLM-Slot: <slot>` reaches that slot's InferencePool (release gates test a
  candidate through the real path; a SecurityPolicy on these rules admits only the release key);
- `live`: the traffic split of the stack file's weights.

Envoy AI Gateway v1.1.0 resolves at most one InferencePool per route rule (the AIGatewayRoute
CRD's CEL rule `size(self.backendRefs) == 1`, and internal/extensionserver/post_route_modify.go
rejects a second pool for plain HTTPRoutes too). So while one slot takes 100% (the steady state)
the live rule's backend is that slot's InferencePool; during a canary (both weights > 0) it is
the two slots' AIServiceBackends with the stack file's weights, i.e. plain weighted Envoy
clusters without the endpoint picker until the canary ends. Every object of both shapes exists
for every deployed slot, so promote and rollback only edit this route.
"""

from __future__ import annotations

from typing import Any

from components.endpoint.models import EndpointConfig
from components.endpoint.names import SLOT_HEADER
from components.endpoint.slots import slot_plans
from components.gateway.inference import POOL_GROUP, pool_name
from components.gateway.names import GATEWAY_NAMESPACE, gateway_name
from components.gateway.platform import EG_GROUP, listener_name
from components.serving.vllm import PORT

AIGW = "aigateway.envoyproxy.io/v1beta1"
LIVE_RULE = "live"
# Dynamic-metadata keys the AI Gateway filter fills per request (namespace io.envoy.ai_gateway).
TOKEN_COSTS = {"llm_input_token": "InputToken", "llm_output_token": "OutputToken", "llm_total_token": "TotalToken"}


def preview_rule(slot: str) -> str:
    return f"preview-{slot}"


def backend_name(endpoint: str, slot: str) -> str:
    return f"{endpoint}-{slot}"


def _pool_ref(endpoint: str, slot: str) -> dict[str, Any]:
    return {"group": POOL_GROUP, "kind": "InferencePool", "name": pool_name(endpoint, slot)}


def live_backends(endpoint_name: str, endpoint: EndpointConfig) -> list[dict[str, Any]]:
    live = [p for p in slot_plans(endpoint) if p.live]
    if len(live) == 1:
        return [{**_pool_ref(endpoint_name, live[0].slot), "weight": 100}]
    return [{"name": backend_name(endpoint_name, p.slot), "weight": p.weight} for p in live]


def ai_gateway_route(endpoint_name: str, endpoint: EndpointConfig, cluster: str, namespace: str, labels: dict[str, str],
                     timeout_seconds: int) -> dict[str, Any]:
    timeouts = {"request": f"{timeout_seconds}s"}
    rules = [
        {"name": preview_rule(p.slot),
         "matches": [{"headers": [{"type": "Exact", "name": SLOT_HEADER, "value": p.slot}]}],
         "backendRefs": [_pool_ref(endpoint_name, p.slot)], "timeouts": timeouts}
        for p in slot_plans(endpoint) if p.deployed
    ]
    rules.append({"name": LIVE_RULE, "backendRefs": live_backends(endpoint_name, endpoint), "timeouts": timeouts})
    return {
        "apiVersion": AIGW,
        "kind": "AIGatewayRoute",
        "metadata": {"name": endpoint_name, "namespace": namespace, "labels": dict(labels)},
        "spec": {
            "parentRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway_name(cluster),
                            "namespace": GATEWAY_NAMESPACE, "sectionName": listener_name(endpoint_name)}],
            "hostnames": [endpoint.route.host],
            "llmRequestCosts": [{"metadataKey": k, "type": t} for k, t in TOKEN_COSTS.items()],
            "rules": rules,
        },
    }


def slot_backends(endpoint_name: str, slot: str, namespace: str, service: str) -> list[dict[str, Any]]:
    """Backend (the slot's Service by cluster DNS name) and the AIServiceBackend over it, used by the
    live rule during a canary."""
    name = backend_name(endpoint_name, slot)
    backend = {
        "apiVersion": f"{EG_GROUP}/v1alpha1", "kind": "Backend",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"endpoints": [{"fqdn": {"hostname": f"{service}.{namespace}.svc.cluster.local", "port": PORT}}]},
    }
    ai_backend = {
        "apiVersion": AIGW, "kind": "AIServiceBackend",
        "metadata": {"name": name, "namespace": namespace},
        "spec": {"schema": {"name": "OpenAI", "prefix": "/v1"},
                 "backendRef": {"group": EG_GROUP, "kind": "Backend", "name": name}},
    }
    return [backend, ai_backend]
