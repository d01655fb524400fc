"""Pure renderers of per-team priorities: interactive and batch requests through the Inference
Extension's InferenceObjectives, chosen by the gateway from the authenticated team.

How the pinned endpoint picker (GIE v1.5.0 EPP) uses them:
- it reads a request's objective name from the `x-gateway-inference-objective` header
  (pkg/epp/metadata/consts.go ObjectiveKey) and looks it up by name among the objectives whose
  poolRef is its own pool (pkg/epp/controller/inferenceobjective_reconciler.go, datastore.go);
  unknown or absent: priority 0;
- with its default (legacy) admission controller, a priority below 0 is sheddable: dropped with
  429 while the pool is saturated; every other request is admitted (pkg/epp/requestcontrol/
  admission.go, pkg/epp/util/request/sheddable.go). So batch = -1, interactive = 0;
- it watches objectives only if their CRD exists when it starts (pkg/epp/server/controller_config.go
  gvkExists): the CRD (GIE v1.5.0, removed in v1.6.0) is installed by the gateway platform.

Who sets the header: an EnvoyExtensionPolicy Lua filter on the endpoint's route. Envoy Gateway runs
Lua filters (order 13+) after api_key_auth (7) and before every ext_proc (100+: the AI Gateway's
and the picker's) (envoyproxy/gateway@v1.9.0 internal/xds/translator/httpfilters.go), so the
script sees the verified client id and the picker sees the script's header. The script always
drops a client-sent objective header: a team cannot raise its own priority.

Objective names are unique per namespace while each objective serves one pool, so each deployed
slot has `<slot>-interactive` and `<slot>-batch`, and the script names the live slot's. Team
traffic reaches a picker only through the live rule in the steady state (during a canary the live
rule is plain weighted backends without pickers; previews take only the release key).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from components.endpoint.models import EndpointConfig
from components.gateway.inference import POOL_GROUP, pool_name
from components.gateway.names import CLIENT_ID_HEADER

OBJECTIVE_HEADER = "x-gateway-inference-objective"  # GIE v1.5.0 pkg/epp/metadata/consts.go
OBJECTIVE_API = "inference.networking.x-k8s.io/v1alpha2"
PRIORITIES = {"interactive": 0, "batch": -1}  # below 0: shed while the pool is saturated


def objective_name(slot: str, priority: str) -> str:
    return f"{slot}-{priority}"


def objectives(endpoint: str, slot: str, namespace: str) -> list[dict[str, Any]]:
    """One InferenceObjective per class for the slot's pool."""
    return [{
        "apiVersion": OBJECTIVE_API, "kind": "InferenceObjective",
        "metadata": {"name": objective_name(slot, cls), "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "llm-platform"}},
        "spec": {"poolRef": {"group": POOL_GROUP, "kind": "InferencePool", "name": pool_name(endpoint, slot)}, "priority": value},
    } for cls, value in PRIORITIES.items()]


def team_classes(teams: Mapping[str, Any]) -> dict[str, str]:
    """team -> interactive | batch, from llm-platform:teams (TeamConfig.priority)."""
    return {team: cfg.priority for team, cfg in teams.items()}


def needs_priorities(endpoint: EndpointConfig, team_priorities: dict[str, str]) -> bool:
    """Only an endpoint used by both classes has anything to tell apart (shedding the only team
    of an endpoint would protect nobody)."""
    return {team_priorities.get(t, "interactive") for t in endpoint.granted_teams()} == set(PRIORITIES)


def lua_script(objective_by_team: dict[str, str]) -> str:
    """Envoy Lua (request_handle:headers() get/remove/add): the team is the client id up to its
    first dot (`<team>.<key id>`, or `<team>` from an OIDC team claim); teams are DNS labels, so
    the table's keys need no escaping."""
    table = ", ".join(f'["{team}"] = "{name}"' for team, name in sorted(objective_by_team.items()))
    return "\n".join([
        "-- Rendered by components/gateway/priorities.py: the gateway, not the client, picks the objective.",
        f"local objectives = {{{table}}}",
        "function envoy_on_request(request_handle)",
        "  local headers = request_handle:headers()",
        f'  headers:remove("{OBJECTIVE_HEADER}")',
        f'  local client = headers:get("{CLIENT_ID_HEADER}")',
        "  if client == nil then return end",
        '  local objective = objectives[string.match(client, "^([^.]+)") or ""]',
        f'  if objective ~= nil then headers:add("{OBJECTIVE_HEADER}", objective) end',
        "end",
        "",
    ])


def priority_policy(endpoint_name: str, endpoint: EndpointConfig, namespace: str, team_priorities: dict[str, str]) -> dict[str, Any] | None:
    """The route's Lua filter naming, per granted team, the live slot's objective of its class;
    None unless both classes use the endpoint."""
    if not needs_priorities(endpoint, team_priorities):
        return None
    live = endpoint.live_slot()
    mapping = {t: objective_name(live, team_priorities.get(t, "interactive")) for t in endpoint.granted_teams()}
    return {
        "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyExtensionPolicy",
        "metadata": {"name": f"{endpoint_name}-priorities", "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "llm-platform"}},
        "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": endpoint_name}],
                 "lua": [{"type": "Inline", "inline": lua_script(mapping)}]},
    }


def shed_body(endpoint: str) -> str:
    message = (f"Endpoint {endpoint} is saturated and sheds batch-priority requests first; retry with backoff. "
               "Your team's priority is set by the platform (llm-platform:teams.<team>.priority).")
    return json.dumps({"error": {"message": message, "type": "server_overloaded", "param": None, "code": "batch_request_shed"}})


def shed_override(endpoint: str) -> dict[str, Any]:
    """The picker's 429 (an ext_proc immediate response, so Envoy-local) carries no x-ratelimit-*
    headers; it follows the quota override, whose match needs them (first match wins)."""
    return {"match": {"statusCodes": [{"type": "Value", "value": 429}]}, "source": "Local",
            "response": {"contentType": "application/json", "body": {"type": "Inline", "inline": shed_body(endpoint)}}}
