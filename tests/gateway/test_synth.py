"""The real program, synthesized: per endpoint an AIGatewayRoute on the stack's one Gateway whose
live weights are the stack file's, a preview rule per deployed slot, one InferencePool per
deployed slot selecting exactly its pods, no Ingress left, and every gateway object valid."""

from __future__ import annotations

import json

import pytest

from components.endpoint.names import ROUTE_TYPE, route_urn
from components.gateway import versions
from components.gateway.names import ROUTES_NAMESPACE_LABEL
from tests.conftest import synthesized
from tests.support.manifests import validation_errors

STACKS = ["dev", "staging", "prod"]
GATEWAY_KINDS = {"GatewayClass", "Gateway", "EnvoyProxy", "InferencePool", "AIGatewayRoute", "AIServiceBackend", "Backend"}


def objects(stack: str, kind: str) -> list[dict]:
    return [obj for _, obj in synthesized(stack).kubernetes_objects() if obj["kind"] == kind]


@pytest.mark.parametrize("stack", STACKS)
def test_route_weights_equal_the_stack_file(stack, configs):
    cfg = configs[stack]
    route_objs = {o["metadata"]["name"]: o for o in objects(stack, "AIGatewayRoute")}
    assert set(route_objs) == set(cfg.endpoints)
    for name, endpoint in cfg.endpoints.items():
        rules = {r["name"]: r for r in route_objs[name]["spec"]["rules"]}
        weights = {s: getattr(endpoint.weights, s) for s in ("blue", "green")}
        live = {b["name"].rsplit("-", 1)[1]: b["weight"] for b in rules["live"]["backendRefs"]}
        assert live == {s: w for s, w in weights.items() if w > 0}
        deployed = {s for s in ("blue", "green") if not getattr(endpoint.slots, s).empty}
        assert {n for n in rules if n.startswith("preview-")} == {f"preview-{s}" for s in deployed}
        assert route_objs[name]["spec"]["hostnames"] == [endpoint.route.host]


@pytest.mark.parametrize("stack", STACKS)
def test_each_pool_selects_exactly_its_slots_pods(stack):
    pools = objects(stack, "InferencePool")
    assert pools
    vllm = [d for d in objects(stack, "Deployment") if d["metadata"]["namespace"].startswith("llm-") and not d["metadata"]["name"].endswith("-epp")]
    for pool in pools:
        selector = pool["spec"]["selector"]["matchLabels"]
        matched = [d["metadata"]["name"] for d in vllm if d["metadata"]["namespace"] == pool["metadata"]["namespace"]
                   and selector.items() <= d["spec"]["template"]["metadata"]["labels"].items()]
        assert matched == [pool["metadata"]["name"]]  # the pool is named after its slot's Deployment


@pytest.mark.parametrize("stack", STACKS)
def test_no_ingress_and_every_gateway_object_is_valid(stack, configs):
    inventory = synthesized(stack)
    kinds = {obj["kind"] for _, obj in inventory.kubernetes_objects()}
    assert not kinds & {"Ingress", "IngressClass", "IngressClassParams"}
    assert kinds >= GATEWAY_KINDS
    checked = 0
    for _, obj in inventory.kubernetes_objects():
        if obj["kind"] in GATEWAY_KINDS or obj.get("metadata", {}).get("name", "").endswith("-epp"):
            assert validation_errors(obj, configs[stack].cluster.kubernetes_version) == [], (obj["kind"], obj["metadata"]["name"])
            checked += 1
    assert checked > 10


@pytest.mark.parametrize("stack", STACKS)
def test_one_gateway_and_route_namespaces_are_labelled(stack, configs):
    [gateway] = objects(stack, "Gateway")
    hosts = {listener["hostname"] for listener in gateway["spec"]["listeners"]}
    assert hosts == {e.route.host for e in configs[stack].endpoints.values()}
    for name in configs[stack].endpoints:
        ns = next(o for o in objects(stack, "Namespace") if o["metadata"]["name"] == f"llm-{name}")
        assert ns["metadata"]["labels"][ROUTES_NAMESPACE_LABEL] == "true"


def test_promote_targets_exist():
    inventory = synthesized("prod")
    for name in ("chat", "code", "embed"):
        resource = inventory.by_urn(route_urn("prod", name))
        assert resource is not None and resource.type == ROUTE_TYPE


def test_charts_are_pinned_and_the_controller_is_inside_the_boundary():
    inventory = synthesized("prod")
    charts = {r.inputs.get("chart"): r.inputs for r in inventory.of_type("kubernetes:helm.sh/v3:Release")}
    assert charts[versions.ENVOY_GATEWAY_CHART]["version"] == "v1.9.0"
    assert charts[versions.AI_GATEWAY_CHART]["version"] == charts[versions.AI_GATEWAY_CRDS_CHART]["version"] == "v1.1.0"
    lb = charts[versions.CHART]
    assert lb["version"] == versions.CHART_VERSION and lb["values"]["disableIngressClassAnnotation"] is True
    assert lb["values"]["nodeSelector"]["node-role"] == "system"
    role = next(r for r in inventory.of_type("aws:iam/role:Role") if r.inputs.get("name") == "llm-platform-prod-lb-controller")
    assert role.inputs["permissionsBoundary"]
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
