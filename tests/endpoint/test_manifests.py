"""Pure renderers: the Ingress of an endpoint, the shared ALB's settings, the controller."""

from __future__ import annotations

import json

import pytest

from components.cluster.render import SYSTEM_PLACEMENT
from components.endpoint import controller, manifests
from components.endpoint.models import EndpointConfig, IngressConfig
from components.endpoint.slots import slot_plan
from tests.support.manifests import validation_errors

ALB = "alb.ingress.kubernetes.io"
CERT = "arn:aws:acm:us-east-1:444455556666:certificate/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"


def endpoint(**over) -> EndpointConfig:
    doc = {
        "team": "applied-ai", "route": {"host": "chat.llm.internal"}, "pool": "gpu", "weights": {"blue": 90, "green": 10},
        "slots": {"blue": {"model": "org/a", "replicas": {"min": 2, "max": 4}},
                  "green": {"model": "org/b", "replicas": {"min": 1, "max": 4}, "shutdownTimeoutSeconds": 300}},
    }
    doc.update(over)
    return EndpointConfig.model_validate(doc)


def render(ep: EndpointConfig | None = None, ingress: IngressConfig | None = None) -> dict:
    return manifests.ingress("chat", ep or endpoint(), "llm-platform-prod", ingress or IngressConfig(), "10.60.0.0/16", "prod")


def test_weighted_default_rule_and_header_rules():
    obj = render()
    annotations = obj["metadata"]["annotations"]
    weighted = json.loads(annotations[f"{ALB}/actions.weighted"])
    assert weighted["forwardConfig"]["targetGroups"] == [
        {"serviceName": "chat-blue", "servicePort": "8000", "weight": 90},
        {"serviceName": "chat-green", "servicePort": "8000", "weight": 10},
    ]
    for slot in ("blue", "green"):
        assert json.loads(annotations[f"{ALB}/conditions.slot-{slot}"]) == [
            {"field": "http-header", "httpHeaderConfig": {"httpHeaderName": "X-LLM-Slot", "values": [slot]}}]
        targets = json.loads(annotations[f"{ALB}/actions.slot-{slot}"])["forwardConfig"]["targetGroups"]
        assert [t["serviceName"] for t in targets] == [f"chat-{slot}"]
    rule = obj["spec"]["rules"][0]
    assert rule["host"] == "chat.llm.internal"
    # Header rules come before the weighted default, or they would never match.
    assert [p["backend"]["service"]["name"] for p in rule["http"]["paths"]] == ["slot-blue", "slot-green", "weighted"]
    assert {p["backend"]["service"]["port"]["name"] for p in rule["http"]["paths"]} == {"use-annotation"}


def test_internal_http_only_without_certificate():
    annotations = render()["metadata"]["annotations"]
    assert annotations[f"{ALB}/scheme"] == "internal"
    assert json.loads(annotations[f"{ALB}/listen-ports"]) == [{"HTTP": 80}]
    assert f"{ALB}/ssl-redirect" not in annotations and f"{ALB}/certificate-arn" not in annotations
    assert annotations[f"{ALB}/inbound-cidrs"] == "10.60.0.0/16"


def test_https_with_redirect_when_a_certificate_is_set():
    ingress = IngressConfig(certificate_arn=CERT, allowed_cidrs=["10.0.0.0/8", "192.168.0.0/16"], idle_timeout_seconds=900)
    annotations = render(ingress=ingress)["metadata"]["annotations"]
    assert json.loads(annotations[f"{ALB}/listen-ports"]) == [{"HTTP": 80}, {"HTTPS": 443}]
    assert annotations[f"{ALB}/ssl-redirect"] == "443"
    assert annotations[f"{ALB}/certificate-arn"] == CERT
    assert annotations[f"{ALB}/ssl-policy"] == "ELBSecurityPolicy-TLS13-1-2-Res-2021-06"
    assert annotations[f"{ALB}/inbound-cidrs"] == "10.0.0.0/8,192.168.0.0/16"
    assert "idle_timeout.timeout_seconds=900" in annotations[f"{ALB}/load-balancer-attributes"]


def test_target_groups_suit_streaming():
    annotations = render()["metadata"]["annotations"]
    attrs = dict(kv.split("=") for kv in annotations[f"{ALB}/target-group-attributes"].split(","))
    # green drains longest: 20 s preStop + 300 s vLLM shutdown timeout
    assert attrs == {"deregistration_delay.timeout_seconds": "320", "load_balancing.algorithm.type": "least_outstanding_requests"}
    assert annotations[f"{ALB}/target-type"] == "ip"
    assert annotations[f"{ALB}/healthcheck-path"] == "/health"
    slow = IngressConfig(load_balancing_algorithm="round_robin", slow_start_seconds=120)
    attrs = dict(kv.split("=") for kv in render(ingress=slow)["metadata"]["annotations"][f"{ALB}/target-group-attributes"].split(","))
    assert attrs["slow_start.duration_seconds"] == "120" and attrs["load_balancing.algorithm.type"] == "round_robin"


def test_group_settings_are_identical_across_endpoints():
    other = endpoint(route={"path": "/code"}, team="dev-productivity")
    a, b = render(), manifests.ingress("code", other, "llm-platform-prod", IngressConfig(), "10.60.0.0/16", "prod")
    shared = manifests.group_annotations("llm-platform-prod", IngressConfig(), "10.60.0.0/16")
    for obj in (a, b):
        assert {k: obj["metadata"]["annotations"][k] for k in shared} == shared
    assert shared[f"{ALB}/group.name"] == shared[f"{ALB}/load-balancer-name"] == "llm-platform-prod"
    assert "host" not in b["spec"]["rules"][0] and b["spec"]["rules"][0]["http"]["paths"][0]["path"] == "/code"
    # host routes are evaluated before path-only ones
    assert int(a["metadata"]["annotations"][f"{ALB}/group.order"]) < int(b["metadata"]["annotations"][f"{ALB}/group.order"])


def test_slot_plans():
    ep = endpoint(weights={"blue": 100, "green": 0}, standbyReplicas=1)
    assert (slot_plan(ep, "blue").min_replicas, slot_plan(ep, "blue").max_replicas) == (2, 4)
    assert (slot_plan(ep, "green").min_replicas, slot_plan(ep, "green").max_replicas) == (1, 1)
    empty = endpoint(weights={"blue": 100, "green": 0}, slots={"blue": {"model": "org/a", "replicas": {"min": 1, "max": 2}}})
    assert not slot_plan(empty, "green").deployed and slot_plan(empty, "green").max_replicas == 0


@pytest.mark.parametrize("obj", [
    manifests.namespace_manifest("chat", "applied-ai", "prod", "1.34"),
    manifests.ingress("chat", endpoint(), "llm-platform-prod", IngressConfig(certificate_arn=CERT), "10.60.0.0/16", "prod"),
    controller.ingress_class("llm-platform-prod"),
    controller.ingress_class_params("llm-platform-prod", IngressConfig(certificate_arn=CERT), "10.60.0.0/16"),
    controller.ingress_class_params("llm-platform-prod", IngressConfig(), "10.60.0.0/16"),
], ids=["namespace", "ingress", "ingressclass", "params-https", "params-http"])
def test_manifests_validate(obj):
    assert validation_errors(obj, "1.34") == []


def test_namespace_enforces_restricted_pod_security():
    labels = manifests.namespace_manifest("chat", "applied-ai", "prod", "1.34")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
    assert labels["pod-security.kubernetes.io/enforce-version"] == "v1.34"
    assert labels["team"] == "applied-ai" and labels["app.kubernetes.io/part-of"] == "llm-platform"


def test_controller_values():
    values = controller.controller_values("llm-platform-prod", "us-east-1", "vpc-123", IngressConfig(), {"team": "ml", "project": "p"},
                                          SYSTEM_PLACEMENT)
    assert (values["clusterName"], values["region"], values["vpcId"]) == ("llm-platform-prod", "us-east-1", "vpc-123")
    assert values["nodeSelector"] == {"kubernetes.io/os": "linux", "node-role": "system"}
    assert values["createIngressClassResource"] is False and values["enableServiceMutatorWebhook"] is False
    assert values["defaultTags"] == {"project": "p", "team": "ml"}
    assert "annotations" not in values["serviceAccount"]  # Pod Identity, not IRSA
