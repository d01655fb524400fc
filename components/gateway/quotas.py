"""Pure renderers of an endpoint's token quotas: one BackendTrafficPolicy on the endpoint's
HTTPRoute (AI Gateway names it after the AIGatewayRoute) with Envoy Gateway global rate-limit
rules, one per team and window, counted in the tokens the AI Gateway filter records per request.

- Team: the client id the API key filter forwards (`<team>.<key id>` in CLIENT_ID_HEADER). Envoy
  Gateway orders the api_key_auth filter (7) before the rate-limit filter (303)
  (envoyproxy/gateway@v1.9.0 internal/xds/translator/httpfilters.go), and the filter overwrites
  any client-sent value with setCopy (envoyproxy/envoy source/extensions/filters/http/api_key_auth/
  api_key_auth.cc), so a caller cannot pick another team's counter. A non-Distinct header match
  gives the whole team one counter (envoyproxy/gateway@v1.9.0 internal/xds/translator/ratelimit.go).
- Cost: 0 on the request (only checks the budget), the token count on the response, read from
  the AI Gateway's dynamic metadata (envoyproxy/ai-gateway@v1.1.0 examples/token_ratelimit). A
  request admitted under budget finishes even if it overshoots; later ones get 429.
- 429: Envoy's own reply is replaced by an OpenAI-shaped JSON error naming the endpoint's quota.
"""

from __future__ import annotations

import json
from typing import Any

from components.endpoint.models import EndpointConfig, TokenQuotaConfig
from components.gateway.names import CLIENT_ID_HEADER
from components.gateway.routes import TOKEN_COSTS

EG = "gateway.envoyproxy.io/v1alpha1"
# Namespace of the AI Gateway filter's dynamic metadata (ai-gateway@v1.1.0 examples/token_ratelimit/token_ratelimit.yaml).
AI_GATEWAY_METADATA = "io.envoy.ai_gateway"
# config field -> (metadata key, Envoy Gateway RateLimitUnit); units from ratelimit_types.go @v1.9.0.
WINDOWS: dict[str, tuple[str, str]] = {
    "input_tokens_per_minute": ("llm_input_token", "Minute"),
    "output_tokens_per_minute": ("llm_output_token", "Minute"),
    "input_tokens_per_day": ("llm_input_token", "Day"),
    "output_tokens_per_day": ("llm_output_token", "Day"),
}
assert {key for key, _ in WINDOWS.values()} <= set(TOKEN_COSTS), "every quota counts a token cost the route records"
# On the route of an endpoint with quotas: the policy pack (gateway-token-quotas) reads it.
QUOTA_LABEL = "llm-platform.io/token-quotas"
MAX_RULES = 256  # GlobalRateLimit.rules MaxItems (ratelimit_types.go @v1.9.0)


def policy_name(endpoint: str) -> str:
    return f"{endpoint}-traffic"


def team_selector(team: str) -> dict[str, Any]:
    """Every key of `team`: the client id is `<team>.<key id>`, or `<team>` alone from an OIDC team
    claim (components/gateway/access.py). Team names are DNS labels: no regex metacharacters;
    Envoy's safe_regex matches the whole value, so `ml` never matches `ml-ops.x`."""
    return {"headers": [{"name": CLIENT_ID_HEADER, "type": "RegularExpression", "value": rf"{team}(\..+)?"}]}


def quota_rules(team: str, quota: TokenQuotaConfig) -> list[dict[str, Any]]:
    rules = []
    for field, (metadata_key, unit) in WINDOWS.items():
        limit = getattr(quota, field)
        if limit is None:
            continue
        rules.append({
            "clientSelectors": [team_selector(team)],
            "limit": {"requests": limit, "unit": unit},
            "cost": {"request": {"from": "Number", "number": 0},
                     "response": {"from": "Metadata", "metadata": {"namespace": AI_GATEWAY_METADATA, "key": metadata_key}}},
            # Limit, remaining and reset on every reply, also the 429 (whose override matches on them).
            "xRateLimitHeaders": "DraftVersion03",
        })
    return rules


def over_budget_body(endpoint: str) -> str:
    """OpenAI's error shape (`error.message/type/code`), so OpenAI clients surface the message."""
    message = (f"Token quota exceeded on endpoint {endpoint}: your team's input or output tokens per minute or per day "
               f"are used up. Retry after the window resets (x-ratelimit-reset), or ask the platform team to raise "
               f"endpoints.{endpoint}.quotas.<team> in the stack file.")
    return json.dumps({"error": {"message": message, "type": "tokens", "param": None, "code": "rate_limit_exceeded"}})


def over_budget_override(endpoint: str) -> dict[str, Any]:
    """Source Local: only replies Envoy generated itself, never a backend's 429. The rate-limit
    filter's 429 carries x-ratelimit-limit (envoyproxy/envoy source/extensions/filters/http/
    ratelimit/ratelimit.cc adds the X-RateLimit headers to its local reply); the picker's does not."""
    return {"match": {"statusCodes": [{"type": "Value", "value": 429}],
                      "responseHeaders": [{"name": "x-ratelimit-limit", "value": {"type": "RegularExpression", "value": ".+"}}]},
            "source": "Local",
            "response": {"contentType": "application/json", "body": {"type": "Inline", "inline": over_budget_body(endpoint)}}}


def traffic_policy(endpoint_name: str, endpoint: EndpointConfig, namespace: str, labels: dict[str, str],
                   shed: dict[str, Any] | None = None, waking: dict[str, Any] | None = None) -> dict[str, Any] | None:
    """The route's one BackendTrafficPolicy (Envoy Gateway applies one per target): the quotas'
    rate limit and 429 body, then `shed` (the picker's 429 body, components.gateway.priorities)
    and `waking` (the picker's 503 with Retry-After, components.gateway.wake). None when the
    endpoint has none of them."""
    quotas = endpoint.team_quotas()
    overrides = [*([over_budget_override(endpoint_name)] if quotas else []), *([shed] if shed else []), *([waking] if waking else [])]
    if not overrides:
        return None
    spec: dict[str, Any] = {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": endpoint_name}]}
    if quotas:
        spec["rateLimit"] = {"global": {"rules": [rule for team, quota in quotas.items() for rule in quota_rules(team, quota)]}}
    spec["responseOverride"] = overrides  # in order: the first match wins (internal/xds/translator/custom_response.go @v1.9.0)
    return {"apiVersion": EG, "kind": "BackendTrafficPolicy",
            "metadata": {"name": policy_name(endpoint_name), "namespace": namespace, "labels": dict(labels)}, "spec": spec}


def route_labels(endpoint: EndpointConfig) -> dict[str, str]:
    return {QUOTA_LABEL: "true"} if endpoint.team_quotas() else {}


def has_quotas(endpoints: dict[str, EndpointConfig]) -> bool:
    return any(e.team_quotas() for e in endpoints.values())


def quota_problems(endpoints: dict[str, EndpointConfig], store_kind: str, is_prod: bool) -> list[tuple[tuple[str | int, ...], Any, str]]:
    """Config errors (key path, value, what is allowed): quotas only for granted teams, at most
    MAX_RULES rules per endpoint, and prod counters in ElastiCache."""
    problems: list[tuple[tuple[str | int, ...], Any, str]] = []
    for name, endpoint in endpoints.items():
        granted = endpoint.granted_teams()
        for team in sorted(set(endpoint.quotas) - set(granted)):
            problems.append((("endpoints", name, "quotas", team), endpoint.quotas[team].model_dump(by_alias=True, exclude_none=True),
                             f"{team} is not granted this endpoint; quotas apply to its owner and access teams: {', '.join(granted)}"))
        count = sum(len(quota_rules(t, q)) for t, q in endpoint.team_quotas().items())
        if count > MAX_RULES:
            problems.append((("endpoints", name, "quotas"), f"{count} rules",
                             f"Envoy Gateway takes at most {MAX_RULES} rate-limit rules per policy (one per team and window)"))
    if is_prod and store_kind != "elasticache" and has_quotas(endpoints):
        problems.append((("gateway", "rateLimitStore", "kind"), store_kind,
                         "a prod stack keeps its quota counters in ElastiCache (multi-AZ); use elasticache"))
    return problems
