"""Blue-green release: an endpoint's route splits 100% of its live traffic, and never onto a slot
that has no pods to serve it."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from ..model import Context, ResourceView, as_list, get, is_map, number, stack_rule

ROUTE = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute"
SERVICE = "kubernetes:core/v1:Service"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
POOL = "kubernetes:inference.networking.k8s.io/v1:InferencePool"
BACKEND = "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend"
AI_BACKEND = "kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend"


def route_rules(route: ResourceView, live_only: bool = False) -> list[tuple[str, list[tuple[str, str, float]]]]:
    """(rule name, [(backend kind, name, weight %)]) for every rule of an AIGatewayRoute. A rule's
    only backend gets all its traffic whatever its weight (unless 0). `live_only` leaves out
    header-gated rules: the preview rules that only the release tooling reaches."""
    out = []
    for i, rule in enumerate(r for r in as_list(get(route.props, "spec", "rules")) if is_map(r)):
        if live_only and any(as_list(get(m, "headers")) for m in as_list(get(rule, "matches")) if is_map(m)):
            continue
        refs = [ref for ref in as_list(get(rule, "backendRefs")) if is_map(ref)]
        targets = []
        for ref in refs:
            weight = number(get(ref, "weight"))
            weight = 1.0 if weight is None else weight  # Gateway API's default weight
            if len(refs) == 1:
                weight = 0.0 if weight == 0 else 100.0
            targets.append((str(get(ref, "kind", default="AIServiceBackend")), str(get(ref, "name", default="?")), weight))
        if targets:
            out.append((str(get(rule, "name", default=f"rules[{i}]")), targets))
    return out


@stack_rule("endpoint-weights", "release", "Every live rule of an endpoint's route splits exactly 100% of the traffic (weights sum to 100).")
def endpoint_weights(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    for route in (r for r in resources if r.type == ROUTE):
        for name, targets in route_rules(route, live_only=True):
            total = sum(w for _, _, w in targets)
            if total != 100:
                split = ", ".join(f"{n}={int(w)}" for _, n, w in targets)
                yield route, f"{route.display}: rule {name} weights sum to {int(total)} ({split}); they must sum to 100"


def _named(resources: list[ResourceView], typ: str, namespace: str | None, name: str) -> ResourceView | None:
    return next((r for r in resources if r.type == typ and r.namespace == namespace and r.k8s_name == name), None)


def pod_selector(resources: list[ResourceView], namespace: str | None, kind: str, name: str) -> Mapping[str, Any] | None:
    """The pod selector a route backend ends at: an InferencePool's selector, or for an
    AIServiceBackend the selector of the Service its Backend names by cluster DNS."""
    if kind == "InferencePool":
        pool = _named(resources, POOL, namespace, name)
        return get(pool.props, "spec", "selector", "matchLabels", default={}) if pool else None
    ai_backend = _named(resources, AI_BACKEND, namespace, name)
    backend = _named(resources, BACKEND, namespace, str(get(ai_backend.props, "spec", "backendRef", "name"))) if ai_backend else None
    hosts = [get(e, "fqdn", "hostname") for e in as_list(get(backend.props, "spec", "endpoints")) if is_map(e)] if backend else []
    service = _named(resources, SERVICE, namespace, str(hosts[0]).split(".")[0]) if hosts and hosts[0] else None
    return get(service.props, "spec", "selector", default={}) if service else None


def _serves(deployment: ResourceView, scaled: list[ResourceView]) -> bool:
    """True when the Deployment can have pods: replicas > 0, or a ScaledObject that may scale it up."""
    objects = [s for s in scaled if s.namespace == deployment.namespace and get(s.props, "spec", "scaleTargetRef", "name") == deployment.k8s_name]
    if objects:
        maxima = [number(get(s.props, "spec", "maxReplicaCount")) for s in objects]
        return any(m is None or m > 0 for m in maxima)  # KEDA's default maxReplicaCount is 100
    replicas = number(get(deployment.props, "spec", "replicas"))
    return replicas is None or replicas > 0


def _selected(selector: Mapping[str, Any], deployment: ResourceView) -> bool:
    labels = get(deployment.props, "spec", "template", "metadata", "labels", default={})
    return bool(selector) and is_map(labels) and all(labels.get(k) == v for k, v in selector.items())


@stack_rule(
    "endpoint-no-empty-slot", "release",
    "A live route backend with weight > 0 (InferencePool, or AIServiceBackend -> Backend -> Service) selects a Deployment that can "
    "run pods (replicas > 0 or a ScaledObject with maxReplicaCount > 0); header-gated preview rules are exempt.",
)
def endpoint_no_empty_slot(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    deployments = [r for r in resources if r.type == DEPLOYMENT]
    scaled = [r for r in resources if r.type == SCALED_OBJECT]
    for route in (r for r in resources if r.type == ROUTE):
        for name, targets in route_rules(route, live_only=True):
            for kind, backend, weight in targets:
                if weight <= 0:
                    continue
                where = f"{route.display}: rule {name} sends {int(weight)}% to {kind} {backend}"
                selector = pod_selector(resources, route.namespace, kind, backend)
                if selector is None:
                    yield route, f"{where}, which does not exist; set the weight to 0 or deploy that slot"
                    continue
                backing = [d for d in deployments if d.namespace == route.namespace and is_map(selector) and _selected(selector, d)]
                if not backing:
                    yield route, f"{where}, which selects no Deployment (an empty slot); set the weight to 0 or give the slot a model"
                elif not any(_serves(d, scaled) for d in backing):
                    yield route, f"{where}, whose Deployment {backing[0].k8s_name} can never run a pod (replicas 0, no ScaledObject above 0); fix replicas or the weight"
