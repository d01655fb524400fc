"""Blue-green release: an endpoint's ALB forward actions split 100% of traffic, and never onto a slot
that has no pods to serve it."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ..model import Context, ResourceView, as_list, get, is_map, number, stack_rule

INGRESS = "kubernetes:networking.k8s.io/v1:Ingress"
SERVICE = "kubernetes:core/v1:Service"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
ACTION_PREFIX = "alb.ingress.kubernetes.io/actions."
CONDITIONS_PREFIX = "alb.ingress.kubernetes.io/conditions."


def forward_actions(ingress: ResourceView, live_only: bool = False) -> list[tuple[str, list[tuple[str, float]]]]:
    """(action name, [(service name, weight %)]) for every forward action annotation of an Ingress.
    The only target group of an action gets all its traffic, whatever its weight (unless 0).
    `live_only` leaves out header-gated actions (a conditions.<action> annotation): preview routes
    that only release gates reach."""
    actions = []
    annotations = get(ingress.props, "metadata", "annotations", default={})
    for key, value in (annotations.items() if is_map(annotations) else []):
        if not key.startswith(ACTION_PREFIX):
            continue
        if live_only and CONDITIONS_PREFIX + key.removeprefix(ACTION_PREFIX) in annotations:
            continue
        try:
            action = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            continue
        groups = [g for g in as_list(get(action, "forwardConfig", "targetGroups")) if is_map(g)]
        if get(action, "type") != "forward" or not groups:
            continue
        targets = []
        for g in groups:
            weight = number(get(g, "weight"))
            if len(groups) == 1:
                weight = 0.0 if weight == 0 else 100.0
            targets.append((str(get(g, "serviceName", default=get(g, "targetGroupARN", default="?"))), weight or 0.0))
        actions.append((key.removeprefix(ACTION_PREFIX), targets))
    return actions


@stack_rule("endpoint-weights", "release", "Every ALB forward action of an endpoint splits exactly 100% of the traffic (weights sum to 100).")
def endpoint_weights(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    for ingress in (r for r in resources if r.type == INGRESS):
        for name, targets in forward_actions(ingress):
            total = sum(w for _, w in targets)
            if total != 100:
                split = ", ".join(f"{s}={int(w)}" for s, w in targets)
                yield ingress, f"{ingress.display}: action {name} weights sum to {int(total)} ({split}); they must sum to 100"


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
    "A live forward target with weight > 0 is a Service whose Deployment exists and can run pods (replicas > 0 or a ScaledObject with "
    "maxReplicaCount > 0); header-gated preview routes (conditions.<action>) are exempt.",
)
def endpoint_no_empty_slot(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    services = [r for r in resources if r.type == SERVICE]
    deployments = [r for r in resources if r.type == DEPLOYMENT]
    scaled = [r for r in resources if r.type == SCALED_OBJECT]
    for ingress in (r for r in resources if r.type == INGRESS):
        for name, targets in forward_actions(ingress, live_only=True):
            for service_name, weight in targets:
                if weight <= 0:
                    continue
                where = f"{ingress.display}: action {name} sends {int(weight)}% to Service {service_name}"
                service = next((s for s in services if s.namespace == ingress.namespace and s.k8s_name == service_name), None)
                if service is None:
                    yield ingress, f"{where}, which does not exist; set the weight to 0 or deploy that slot"
                    continue
                selector = get(service.props, "spec", "selector", default={})
                backing = [d for d in deployments if d.namespace == ingress.namespace and is_map(selector) and _selected(selector, d)]
                if not backing:
                    yield ingress, f"{where}, which selects no Deployment (an empty slot); set the weight to 0 or give the slot a model"
                elif not any(_serves(d, scaled) for d in backing):
                    yield ingress, f"{where}, whose Deployment {backing[0].k8s_name} can never run a pod (replicas 0, no ScaledObject above 0); fix replicas or the weight"
