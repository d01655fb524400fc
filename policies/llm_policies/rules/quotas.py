"""Token quotas: a route whose endpoint has quotas is rate limited in tokens per team, and a stack
that rate limits anything has the store Envoy Gateway's rate-limit service counts in.

The pack cannot import components/: the names below mirror components/gateway/quotas.py,
components/gateway/names.py and components/ratelimit/render.py."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Context, ResourceView, get, is_list, is_map, stack_rule
from .gateway import ROUTES, route_refs

QUOTA_LABEL = "llm-platform.io/token-quotas"  # set on an endpoint's route while it has quotas
CLIENT_ID_HEADER = "x-llm-client"
AI_GATEWAY_METADATA = "io.envoy.ai_gateway"
TRAFFIC_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy"
RELEASE = "kubernetes:helm.sh/v3:Release"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
SERVICE = "kubernetes:core/v1:Service"


def _rules(policy: ResourceView) -> list:
    rules = get(policy.props, "spec", "rateLimit", "global", "rules", default=[])
    return list(rules) if is_list(rules) else []


def _counts_team_tokens(rule: object) -> bool:
    """Selects by the forwarded client id, costs nothing on the request, the AI Gateway's token count on the response."""
    headers = [h for s in (get(rule, "clientSelectors", default=[]) or []) if is_map(s) for h in (get(s, "headers", default=[]) or []) if is_map(h)]
    return (any(str(get(h, "name", default="")).lower() == CLIENT_ID_HEADER for h in headers)
            and get(rule, "cost", "request", "number", default=-1) == 0
            and get(rule, "cost", "response", "metadata", "namespace") == AI_GATEWAY_METADATA)


@stack_rule(
    "gateway-token-quotas", "gateway",
    "Every route of an endpoint with token quotas has a BackendTrafficPolicy whose rate-limit rules count each team's tokens "
    "(client-id selector, request cost 0, response cost from the AI Gateway's token metadata).",
)
def gateway_token_quotas(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    policies = [r for r in resources if r.type == TRAFFIC_POLICY]
    for route in (r for r in resources if r.type in ROUTES and get(r.props, "metadata", "labels", QUOTA_LABEL) == "true"):
        mine = [p for p in policies if route_refs(p, route)]
        rules = [rule for p in mine for rule in _rules(p)]
        if not rules:
            yield route, f"{route.display}: the endpoint has token quotas but no BackendTrafficPolicy rate limits its route (components/gateway/quotas.py)"
        elif not all(_counts_team_tokens(rule) for rule in rules):
            yield route, (f"{route.display}: a rate-limit rule does not count a team's tokens; select on {CLIENT_ID_HEADER}, "
                          f"request cost 0 and response cost from {AI_GATEWAY_METADATA} metadata")


def _store_values(resources: list[ResourceView]) -> tuple[ResourceView | None, object]:
    for release in (r for r in resources if r.type == RELEASE and str(get(r.props, "chart", default="")).rsplit("/", 1)[-1] == "gateway-helm"):
        return release, get(release.props, "values", "config", "envoyGateway", "rateLimit", "backend", "redis")
    return None, None


def _store_problem(resources: list[ResourceView], redis: object, ctx: Context) -> str | None:
    if not is_map(redis) or not get(redis, "url"):
        return "Envoy Gateway has no rateLimit.backend.redis.url; set it from the stack's rate-limit store (components/ratelimit)"
    groups = [r for r in resources if r.type == REPLICATION_GROUP]
    encrypted = [g for g in groups if get(g.props, "atRestEncryptionEnabled") is True and get(g.props, "transitEncryptionEnabled") is True]
    if encrypted:
        if get(redis, "tls") is None:
            return "the ElastiCache store encrypts in transit but Envoy Gateway's redis settings have no tls; set rateLimit.backend.redis.tls"
        if ctx.is_prod and not any(get(g.props, "multiAzEnabled") is True for g in encrypted):
            return "the prod rate-limit store is in one zone; set multi_az_enabled with a replica and automatic failover"
        return None
    host = str(get(redis, "url", default="")).rsplit(":", 1)[0].split(".")
    services = {(r.namespace, r.k8s_name) for r in resources if r.type == SERVICE}
    if len(host) > 2 and host[2:] == ["svc", "cluster", "local"] and (host[1], host[0]) in services and not ctx.is_prod:
        return None
    return ("no rate-limit store of the stack backs Envoy Gateway's redis url: an ElastiCache group encrypted at rest and in transit "
            "(an in-cluster Service of the stack outside prod)")


@stack_rule(
    "gateway-quota-store", "gateway",
    "A stack that rate limits routes configures Envoy Gateway's rate-limit service with a store it creates: ElastiCache encrypted at rest "
    "and in transit (TLS configured, multi-AZ in prod), or outside prod an in-cluster Service.",
)
def gateway_quota_store(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    limited = [p for p in resources if p.type == TRAFFIC_POLICY and _rules(p)]
    if not limited:
        return
    release, redis = _store_values(resources)
    if release is None:
        yield limited[0], f"{limited[0].display}: rate-limit rules but no Envoy Gateway release in the stack"
        return
    if (problem := _store_problem(resources, redis, ctx)) is not None:
        yield release, f"{release.display}: {problem}"
