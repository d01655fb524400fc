"""Pure renderers of an endpoint's access control on the gateway (Envoy Gateway SecurityPolicy):

- the route as a whole admits API keys of the teams granted the endpoint (its owner plus
  `endpoints.<name>.access`), each team's keys in its own Kubernetes Secret;
- the preview rules (`X-LLM-Slot`) admit only the release tooling's key: a policy that targets a
  route rule (sectionName) takes precedence over one on the whole route, so a team key that is
  valid on the endpoint is still refused on a preview rule.

Keys arrive as `Authorization: Bearer <key>` (what OpenAI clients send); Envoy Gateway compares the
value after the scheme with the Secret's values and forwards the matching client id.

With `gateway.oidc` the same two policies check the IdP's JWT instead (also a Bearer token) and
authorize on its team claim: the route admits the granted teams' and the release tooling's tokens,
the preview rules only the release tooling's; the claim is forwarded as the client id."""

from __future__ import annotations

import json
from typing import Any

from components.gateway.models import OidcConfig
from components.gateway.names import CLIENT_ID_HEADER, GATEWAY_SET_HEADERS, RELEASE_CLIENT, client_id

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


IDP = "idp"  # the one JWT provider of a policy, named by its authorization rule


def _jwt_auth(oidc: OidcConfig, teams: list[str]) -> dict[str, Any]:
    """JWT check plus authorization on the team claim (envoyproxy/gateway@v1.9.0
    api/v1alpha1/authorization_types.go: a String claim matches one of `values` exactly; the
    provider must be in the same policy). Anything else, a valid token of another team included,
    is denied."""
    provider = {"name": IDP, "issuer": oidc.issuer, "audiences": list(oidc.audiences), "remoteJWKS": {"uri": oidc.jwks_uri},
                "claimToHeaders": [{"claim": oidc.team_claim, "header": CLIENT_ID_HEADER}]}
    allow = {"name": "granted-teams", "action": "Allow",
             "principal": {"jwt": {"provider": IDP, "claims": [{"name": oidc.team_claim, "valueType": "String", "values": teams}]}}}
    return {"jwt": {"providers": [provider]}, "authorization": {"defaultAction": "Deny", "rules": [allow]}}


def route_policy(endpoint: str, namespace: str, teams: list[str], oidc: OidcConfig | None = None) -> dict[str, Any]:
    """Every rule of the endpoint's route (AI Gateway names its HTTPRoute after the AIGatewayRoute):
    the granted teams, and the release tooling (its canary probes use the live rule)."""
    auth = (_jwt_auth(oidc, [*teams, RELEASE_CLIENT]) if oidc
            else {"apiKeyAuth": _api_key_auth([secret_name(t) for t in teams] + [secret_name(None)])})
    return {"apiVersion": EG, "kind": "SecurityPolicy", "metadata": {"name": f"{endpoint}-api-keys", "namespace": namespace},
            "spec": {"targetRefs": [_target(endpoint)], **auth}}


def preview_policy(endpoint: str, namespace: str, rules: list[str], oidc: OidcConfig | None = None) -> dict[str, Any]:
    auth = _jwt_auth(oidc, [RELEASE_CLIENT]) if oidc else {"apiKeyAuth": _api_key_auth([secret_name(None)])}
    return {"apiVersion": EG, "kind": "SecurityPolicy", "metadata": {"name": f"{endpoint}-preview", "namespace": namespace},
            "spec": {"targetRefs": [_target(endpoint, rule) for rule in rules], **auth}}


def identity_headers_policy(gateway: str, namespace: str) -> dict[str, Any]:
    """Drop the headers only the gateway may set (the client id, read by quotas and metering) from
    every incoming request before routing and before any filter runs (ClientTrafficPolicy
    earlyRequestHeaders, envoyproxy/gateway@v1.9.0 api/v1alpha1/clienttrafficpolicy_types.go), so a
    caller cannot pose as another team whatever the auth filter does with a header already present."""
    return {"apiVersion": EG, "kind": "ClientTrafficPolicy", "metadata": {"name": f"{gateway}-identity-headers", "namespace": namespace},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": gateway}],
                     "headers": {"earlyRequestHeaders": {"remove": list(GATEWAY_SET_HEADERS)}}}}
