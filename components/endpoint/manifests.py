"""Pure renderers of an endpoint's Kubernetes objects and the shared ALB's settings.

Every endpoint has one Ingress; all of them join one IngressGroup (group.name = cluster name), so
the AWS Load Balancer Controller builds ONE ALB for the stack. Each Ingress has, in this order:
a rule per slot matching the header `X-LLM-Slot: <slot>` (release gates reach a candidate through
the real path), then the default rule forwarding to both slot Services by the configured weights.
A weight change is an annotation edit: the controller modifies the listener rule in place.
"""

from __future__ import annotations

import json
from typing import Any

from components.endpoint.models import SLOTS, EndpointConfig, IngressConfig
from components.endpoint.names import HEALTH_PATH, SLOT_HEADER, namespace
from components.serving.models import SlotConfig
from components.serving.vllm import PORT

ALB = "alb.ingress.kubernetes.io"
CONTROLLER = "ingress.k8s.aws/alb"
INGRESS_CLASS = "alb"
PART_OF = {"app.kubernetes.io/part-of": "llm-platform"}
WEIGHTED_ACTION = "weighted"
# The ALB caps deregistration delay at one hour.
MAX_DEREGISTRATION_SECONDS = 3600


def slot_action(slot: str) -> str:
    return f"slot-{slot}"


def service_name(endpoint: str, slot: str) -> str:
    """The slot's Service (components.serving: `<endpoint>-<slot>`)."""
    return f"{endpoint}-{slot}"


def namespace_manifest(endpoint: str, team: str, environment: str, kubernetes_version: str) -> dict[str, Any]:
    # Pod Security Admission `restricted`, pinned to the cluster's minor so an upgrade cannot
    # silently tighten (or loosen) what the vLLM pods must satisfy.
    pss = {f"pod-security.kubernetes.io/{mode}": "restricted" for mode in ("enforce", "audit", "warn")}
    pss.update({f"pod-security.kubernetes.io/{mode}-version": f"v{kubernetes_version}" for mode in ("enforce", "audit", "warn")})
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": namespace(endpoint),
            "labels": {**PART_OF, "team": team, "environment": environment, "endpoint": endpoint, **pss},
        },
    }


def inbound_cidrs(ingress: IngressConfig, vpc_cidr: str) -> list[str]:
    return [str(c) for c in ingress.allowed_cidrs] or [vpc_cidr]


def load_balancer_attributes(ingress: IngressConfig) -> dict[str, str]:
    return {
        "idle_timeout.timeout_seconds": str(ingress.idle_timeout_seconds),
        # Requests with malformed header names never reach vLLM (request smuggling defence).
        "routing.http.drop_invalid_header_fields.enabled": "true",
    }


def deregistration_delay(endpoint: EndpointConfig) -> int:
    """Long enough for the slowest pod to finish in-flight streams: preStop sleep + vLLM's own drain."""
    slots: list[SlotConfig] = [getattr(endpoint.slots, s) for s in SLOTS]
    return min(MAX_DEREGISTRATION_SECONDS, max(s.pre_stop_seconds + s.shutdown_timeout_seconds for s in slots))


def target_group_attributes(endpoint: EndpointConfig, ingress: IngressConfig) -> dict[str, str]:
    attrs = {
        "deregistration_delay.timeout_seconds": str(deregistration_delay(endpoint)),
        "load_balancing.algorithm.type": ingress.load_balancing_algorithm,
    }
    if ingress.slow_start_seconds:
        attrs["slow_start.duration_seconds"] = str(ingress.slow_start_seconds)
    return attrs


def _kv(pairs: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in pairs.items())


def group_annotations(cluster: str, ingress: IngressConfig, vpc_cidr: str) -> dict[str, str]:
    """Load-balancer-wide settings; identical on every Ingress of the group (the controller
    rejects conflicting values)."""
    annotations = {
        f"{ALB}/group.name": cluster,
        f"{ALB}/load-balancer-name": cluster,
        f"{ALB}/scheme": ingress.scheme,
        f"{ALB}/ip-address-type": "ipv4",
        f"{ALB}/target-type": "ip",
        f"{ALB}/inbound-cidrs": ",".join(inbound_cidrs(ingress, vpc_cidr)),
        f"{ALB}/load-balancer-attributes": _kv(load_balancer_attributes(ingress)),
    }
    if ingress.certificate_arn:
        annotations.update({
            f"{ALB}/listen-ports": json.dumps([{"HTTP": 80}, {"HTTPS": 443}]),
            f"{ALB}/ssl-redirect": "443",
            f"{ALB}/certificate-arn": ingress.certificate_arn,
            f"{ALB}/ssl-policy": ingress.ssl_policy,
        })
    else:
        annotations[f"{ALB}/listen-ports"] = json.dumps([{"HTTP": 80}])
    return annotations


def _forward(targets: list[tuple[str, int]]) -> str:
    return json.dumps({
        "type": "forward",
        "forwardConfig": {
            "targetGroups": [{"serviceName": svc, "servicePort": str(PORT), "weight": weight} for svc, weight in targets],
            # No stickiness: a canary's share must follow the weights, not earlier sessions.
            "targetGroupStickinessConfig": {"enabled": False},
        },
    }, separators=(",", ":"))


def routing_annotations(endpoint_name: str, endpoint: EndpointConfig) -> dict[str, str]:
    weights = [(service_name(endpoint_name, s), getattr(endpoint.weights, s)) for s in SLOTS]
    annotations = {f"{ALB}/actions.{WEIGHTED_ACTION}": _forward(weights)}
    for slot in SLOTS:
        annotations[f"{ALB}/actions.{slot_action(slot)}"] = _forward([(service_name(endpoint_name, slot), 1)])
        annotations[f"{ALB}/conditions.{slot_action(slot)}"] = json.dumps(
            [{"field": "http-header", "httpHeaderConfig": {"httpHeaderName": SLOT_HEADER, "values": [slot]}}], separators=(",", ":"))
    return annotations


def health_annotations() -> dict[str, str]:
    # vLLM answers /health 200 only once the engine is up; a GPU replica takes minutes to load, so
    # the readiness gate is the pod's readinessProbe and the ALB check only confirms it.
    return {
        f"{ALB}/healthcheck-path": HEALTH_PATH,
        f"{ALB}/healthcheck-port": "traffic-port",
        f"{ALB}/healthcheck-protocol": "HTTP",
        f"{ALB}/success-codes": "200",
        f"{ALB}/healthcheck-interval-seconds": "10",
        f"{ALB}/healthcheck-timeout-seconds": "5",
        f"{ALB}/healthy-threshold-count": "2",
        f"{ALB}/unhealthy-threshold-count": "3",
    }


def group_order(endpoint: EndpointConfig) -> int:
    """Rule priority among the group's Ingresses (lower first): host routes before path-only ones,
    longer path prefixes before shorter, so no endpoint shadows another."""
    path = endpoint.route.path or "/"
    return (0 if endpoint.route.host else 500) - min(len(path), 400)


def ingress(endpoint_name: str, endpoint: EndpointConfig, cluster: str, ingress_cfg: IngressConfig, vpc_cidr: str,
            environment: str, ingress_class: str = INGRESS_CLASS) -> dict[str, Any]:
    annotations = {
        **group_annotations(cluster, ingress_cfg, vpc_cidr),
        f"{ALB}/group.order": str(group_order(endpoint)),
        f"{ALB}/target-group-attributes": _kv(target_group_attributes(endpoint, ingress_cfg)),
        **health_annotations(),
        **routing_annotations(endpoint_name, endpoint),
    }
    path = endpoint.route.path or "/"
    backends = [*(slot_action(s) for s in SLOTS), WEIGHTED_ACTION]  # header rules first, then the weighted default
    rule: dict[str, Any] = {"http": {"paths": [
        {"path": path, "pathType": "Prefix", "backend": {"service": {"name": action, "port": {"name": "use-annotation"}}}}
        for action in backends
    ]}}
    if endpoint.route.host:
        rule = {"host": endpoint.route.host, **rule}
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": endpoint_name,
            "namespace": namespace(endpoint_name),
            "labels": {**PART_OF, "team": endpoint.team, "environment": environment, "endpoint": endpoint_name},
            "annotations": annotations,
        },
        "spec": {"ingressClassName": ingress_class, "rules": [rule]},
    }
