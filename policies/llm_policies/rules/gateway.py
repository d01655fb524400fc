"""Inference gateway: every route names a team, no internet-facing gateway unless the stack's policy
config allows it, and every InferencePool selects exactly one slot's pods."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Context, ResourceView, get, is_map, resource_rule, stack_rule
from .release import DEPLOYMENT, POOL

ROUTES = ("kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute", "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"


@resource_rule("gateway-route-team", "gateway", "Every route on the gateway carries a `team` label (its owner, for access, quotas and metering).")
def gateway_route_team(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type in ROUTES and not get(r.props, "metadata", "labels", "team"):
        yield f"{r.display}: no team label; every route belongs to the team that owns its endpoint"


@resource_rule(
    "gateway-no-public-listener", "gateway",
    "The gateway proxies' load balancer is internal unless the policy config sets publicEndpoint: true.", config_keys=("publicEndpoint",),
)
def gateway_no_public_listener(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type != ENVOY_PROXY:
        return
    scheme = get(r.props, "spec", "provider", "kubernetes", "envoyService", "annotations", SCHEME)
    if scheme != "internal" and ctx.settings.public_endpoint is not True:
        yield (f"{r.display}: load balancer scheme {scheme or 'unset (internet-facing for a classic Service)'}; set "
               "llm-platform:gateway.scheme internal, or allow it with policy config publicEndpoint: true")


def _labels(deployment: ResourceView) -> dict:
    labels = get(deployment.props, "spec", "template", "metadata", "labels", default={})
    return labels if is_map(labels) else {}


@stack_rule(
    "inference-pool-own-slot", "gateway",
    "Every InferencePool selects the pods of exactly one Deployment of its namespace, with at least that Deployment's own selector.",
)
def inference_pool_own_slot(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    deployments = [r for r in resources if r.type == DEPLOYMENT]
    for pool in (r for r in resources if r.type == POOL):
        selector = get(pool.props, "spec", "selector", "matchLabels", default={})
        selector = selector if is_map(selector) else {}
        matched = [d for d in deployments if d.namespace == pool.namespace and selector and selector.items() <= _labels(d).items()]
        if len(matched) != 1:
            names = ", ".join(d.k8s_name or "?" for d in matched) or "none"
            yield pool, f"{pool.display}: selects the pods of {len(matched)} Deployments ({names}); it must select exactly its slot's"
            continue
        own = get(matched[0].props, "spec", "selector", "matchLabels", default={})
        missing = sorted(set(own) - set(selector)) if is_map(own) else []
        if missing:
            yield pool, f"{pool.display}: selector lacks {', '.join(missing)} of Deployment {matched[0].k8s_name}'s selector; it could pick up other pods"


SECURITY_POLICY = "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy"
_AUTH = ("apiKeyAuth", "jwt", "oidc", "extAuth", "basicAuth")


def route_refs(policy: ResourceView, route: ResourceView) -> list:
    """The target references (targetRef and targetRefs) of an Envoy Gateway policy that name `route`'s HTTPRoute."""
    if policy.namespace != route.namespace:
        return []
    refs = [get(policy.props, "spec", "targetRef"), *(get(policy.props, "spec", "targetRefs", default=[]) or [])]
    return [ref for ref in refs if is_map(ref) and get(ref, "kind") == "HTTPRoute" and get(ref, "name") == route.k8s_name]


def _covers(policy: ResourceView, route: ResourceView) -> set[str | None]:
    """Rule names (None = the whole route) an authenticating SecurityPolicy covers on `route`."""
    if not any(get(policy.props, "spec", key) for key in _AUTH):
        return set()
    return {get(ref, "sectionName") for ref in route_refs(policy, route)}


@stack_rule(
    "gateway-route-authenticated", "gateway",
    "Every route has an authenticating SecurityPolicy (API keys, JWT, OIDC or external auth) on the whole route, and every "
    "header-gated preview rule has its own (only the release tooling's key reaches a candidate slot).",
)
def gateway_route_authenticated(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    policies = [r for r in resources if r.type == SECURITY_POLICY]
    for route in (r for r in resources if r.type in ROUTES):
        covered = set().union(*(_covers(p, route) for p in policies)) if policies else set()
        if None not in covered:
            yield route, f"{route.display}: no SecurityPolicy authenticates it; every route needs API keys or JWT (components/gateway/access.py)"
        for rule in get(route.props, "spec", "rules", default=[]) or []:
            gated = is_map(rule) and any(get(m, "headers") for m in (get(rule, "matches", default=[]) or []) if is_map(m))
            if gated and get(rule, "name") not in covered:
                yield route, f"{route.display}: preview rule {get(rule, 'name')} has no SecurityPolicy of its own; anyone with a team key could pick a slot"
