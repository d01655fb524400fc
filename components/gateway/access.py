"""Pure renderers of an endpoint's access control on the gateway (Envoy Gateway SecurityPolicy):

- the route as a whole admits API keys of the teams granted the endpoint (its owner plus
  `endpoints.<name>.access`), each team's keys in its own Kubernetes Secret;
- the preview rules (`X-LLM-Slot`) admit only the release tooling's key: a policy that targets a
  route rule (sectionName) takes precedence over one on the whole route, so a team key that is
  valid on the endpoint is still refused on a preview rule.

Keys arrive as `Authorization: Bearer <key>` (what OpenAI clients send); Envoy Gateway compares the
value after the scheme with the Secret's values and forwards the matching client id."""

from __future__ import annotations

import json
from typing import Any

from components.gateway.names import CLIENT_ID_HEADER, RELEASE_CLIENT, client_id

EG = "gateway.envoyproxy.io/v1alpha1"


def secret_name(team: str | None) -> str:
    return f"team-{team}-api-keys" if team else f"{RELEASE_CLIENT}-api-keys"


def key_data(team: str | None, secret_string: str | None) -> dict[str, str]:
    """Secret data (client id -> key) from a Secrets Manager value; an empty or missing value admits no key."""
    try:
        entries = json.loads(secret_string or "{}")
    except ValueError:
        entries = {}
    if not isinstance(entries, dict):
        return {}
    return {client_id(team, key_id): entry["key"] for key_id, entry in sorted(entries.items())
            if isinstance(entry, dict) and isinstance(entry.get("key"), str)}


def key_secret(team: str | None, namespace: str, data: Any) -> dict[str, Any]:
    """`data` (client id -> key, possibly an Output) goes in stringData; Pulumi keeps it secret."""
    labels = {"app.kubernetes.io/part-of": "llm-platform", "llm-platform.io/api-keys": team or RELEASE_CLIENT}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": secret_name(team), "namespace": namespace, "labels": labels},
            "type": "Opaque", "stringData": data}


def _api_key_auth(secrets: list[str]) -> dict[str, Any]:
    return {"credentialRefs": [{"group": "", "kind": "Secret", "name": s} for s in secrets],
            "extractFrom": [{"headers": ["Authorization"]}], "forwardClientIDHeader": CLIENT_ID_HEADER, "sanitize": True}


def _target(route: str, section: str | None = None) -> dict[str, Any]:
    ref = {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": route}
    return {**ref, "sectionName": section} if section else ref


def route_policy(endpoint: str, namespace: str, teams: list[str]) -> dict[str, Any]:
    """Every rule of the endpoint's route (AI Gateway names its HTTPRoute after the AIGatewayRoute):
    the granted teams' keys, and the release tooling's (its canary probes use the live rule)."""
    secrets = [secret_name(t) for t in teams] + [secret_name(None)]
    return {"apiVersion": EG, "kind": "SecurityPolicy", "metadata": {"name": f"{endpoint}-api-keys", "namespace": namespace},
            "spec": {"targetRefs": [_target(endpoint)], "apiKeyAuth": _api_key_auth(secrets)}}


def preview_policy(endpoint: str, namespace: str, rules: list[str]) -> dict[str, Any]:
    return {"apiVersion": EG, "kind": "SecurityPolicy", "metadata": {"name": f"{endpoint}-preview", "namespace": namespace},
            "spec": {"targetRefs": [_target(endpoint, rule) for rule in rules], "apiKeyAuth": _api_key_auth([secret_name(None)])}}
