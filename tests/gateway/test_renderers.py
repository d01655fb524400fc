"""Pure renderers of the gateway: platform objects, pools and pickers, routes. Every object is
validated against its CRD (or the core schema), and the CEL rules jsonschema cannot run are
asserted by hand."""

from __future__ import annotations

import pytest
import yaml

from components.cluster.render import SYSTEM_PLACEMENT
from components.endpoint.models import EndpointConfig
from components.gateway import inference, platform, routes
from components.gateway.models import GatewayConfig
from components.gateway.names import GATEWAY_NAMESPACE, ROUTES_NAMESPACE_LABEL
from components.ratelimit.render import STORE_NAMESPACE
from tests.support.manifests import validation_errors

CERT = "arn:aws:acm:us-east-1:444455556666:certificate/9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
SELECTOR = {"app.kubernetes.io/name": "vllm", "llm_endpoint": "chat", "llm_slot": "blue"}
NLB = "service.beta.kubernetes.io"


def endpoint(blue: int = 100, green: int = 0, green_model: str | None = "m/green") -> EndpointConfig:
    slots = {"blue": {"model": "m/blue", "replicas": {"min": 1, "max": 2}}}
    if green_model:
        slots["green"] = {"model": green_model, "replicas": {"min": 1, "max": 2}}
    return EndpointConfig.model_validate({"team": "applied-ai", "route": {"host": "chat.llm.internal"}, "pool": "gpu",
                                          "weights": {"blue": blue, "green": green}, "slots": slots})


def route(ep: EndpointConfig) -> dict:
    return routes.ai_gateway_route("chat", ep, "llm-platform-prod", "llm-chat", {"team": "applied-ai"}, 600)


def rules(obj: dict) -> dict[str, dict]:
    return {r["name"]: r for r in obj["spec"]["rules"]}


def test_steady_state_live_rule_is_the_live_slots_pool():
    live = rules(route(endpoint(100, 0)))["live"]
    assert live["backendRefs"] == [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "chat-blue", "weight": 100}]
    live = rules(route(endpoint(0, 100)))["live"]
    assert live["backendRefs"][0]["name"] == "chat-green"


def test_canary_splits_by_the_stack_files_weights():
    live = rules(route(endpoint(90, 10)))["live"]
    assert {b["name"]: b["weight"] for b in live["backendRefs"]} == {"chat-blue": 90, "chat-green": 10}
    assert all("group" not in b for b in live["backendRefs"])  # AIServiceBackends (created per slot, routes.slot_backends)


def test_preview_rules_reach_one_pool_on_the_slot_header():
    obj = route(endpoint(100, 0))
    preview = rules(obj)
    for slot in ("blue", "green"):
        rule = preview[f"preview-{slot}"]
        assert rule["matches"] == [{"headers": [{"type": "Exact", "name": "X-LLM-Slot", "value": slot}]}]
        assert rule["backendRefs"] == [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": f"chat-{slot}"}]
    # an empty slot has no pool, so no preview rule
    assert set(rules(route(endpoint(100, 0, green_model=None)))) == {"preview-blue", "live"}


@pytest.mark.parametrize(("blue", "green"), [(100, 0), (0, 100), (90, 10), (50, 50)])
def test_route_satisfies_the_crd_and_its_cel_rules(blue, green):
    obj = route(endpoint(blue, green))
    assert validation_errors(obj, "1.34") == []
    for rule in obj["spec"]["rules"]:
        refs = rule["backendRefs"]
        # aigatewayroutes CRD v1.1.0: all refs typed or none; an InferencePool ref is alone in its rule
        assert all("kind" in r for r in refs) or not any("kind" in r for r in refs)
        assert not any(r.get("kind") == "InferencePool" for r in refs) or len(refs) == 1
    parent = obj["spec"]["parentRefs"][0]
    assert (parent["namespace"], parent["sectionName"]) == (GATEWAY_NAMESPACE, "chat")
    assert obj["spec"]["llmRequestCosts"] == [{"metadataKey": "llm_input_token", "type": "InputToken"},
                                              {"metadataKey": "llm_output_token", "type": "OutputToken"},
                                              {"metadataKey": "llm_total_token", "type": "TotalToken"}]


def test_pool_selects_exactly_the_given_selector_and_names_its_picker():
    pool = inference.inference_pool("chat", "blue", "llm-chat", SELECTOR)
    assert pool["spec"]["selector"] == {"matchLabels": SELECTOR}
    assert pool["spec"]["targetPorts"] == [{"number": 8000}]
    assert pool["spec"]["endpointPickerRef"] == {"name": "chat-blue-epp", "port": {"number": 9002}, "failureMode": "FailClose"}


def test_picker_scores_prefix_queue_and_kv_cache():
    config = yaml.safe_load(inference.epp_config())
    profile = {p["pluginRef"]: p["weight"] for p in config["schedulingProfiles"][0]["plugins"]}
    assert profile == {"queue-scorer": 2, "kv-cache-utilization-scorer": 2, "prefix-cache-scorer": 3}
    assert {p["type"] for p in config["plugins"]} >= set(profile)
    deployment = inference.epp_deployment("chat", "blue", "llm-chat", SYSTEM_PLACEMENT)
    args = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args[args.index("--pool-name") + 1] == "chat-blue" and args[args.index("--pool-namespace") + 1] == "llm-chat"


def test_every_slot_object_is_valid():
    objects = [*inference.slot_objects("chat", "blue", "llm-chat", SELECTOR, SYSTEM_PLACEMENT),
               *routes.slot_backends("chat", "blue", "llm-chat", "chat-blue")]
    assert [o["kind"] for o in objects] == ["ServiceAccount", "Role", "RoleBinding", "ConfigMap", "Service", "Deployment", "PodMonitor",
                                            "InferencePool", "Backend", "AIServiceBackend"]
    for obj in objects:
        assert validation_errors(obj, "1.34") == [], obj["kind"]


def test_nlb_is_internal_ip_targets_cross_zone_with_acm_tls():
    proxy = platform.envoy_proxy("llm-platform-prod", GatewayConfig(certificate_arn=CERT), "10.60.0.0/16", SYSTEM_PLACEMENT)
    service = proxy["spec"]["provider"]["kubernetes"]["envoyService"]
    annotations = service["annotations"]
    assert service["loadBalancerClass"] == "service.k8s.aws/nlb" and service["loadBalancerSourceRanges"] == ["10.60.0.0/16"]
    assert annotations[f"{NLB}/aws-load-balancer-scheme"] == "internal"
    assert annotations[f"{NLB}/aws-load-balancer-nlb-target-type"] == "ip"
    assert annotations[f"{NLB}/aws-load-balancer-attributes"] == "load_balancing.cross_zone.enabled=true"
    assert (annotations[f"{NLB}/aws-load-balancer-ssl-cert"], annotations[f"{NLB}/aws-load-balancer-ssl-ports"]) == (CERT, "443")
    assert validation_errors(proxy, "1.34") == []
    plain = platform.nlb_annotations("c", GatewayConfig())
    assert not any("ssl" in k for k in plain)


def test_internet_facing_only_when_configured_and_never_without_tls():
    public = platform.nlb_annotations("c", GatewayConfig(scheme="internet-facing", certificate_arn=CERT))
    assert public[f"{NLB}/aws-load-balancer-scheme"] == "internet-facing"
    with pytest.raises(ValueError, match="an internet-facing gateway needs certificateArn"):
        GatewayConfig(scheme="internet-facing")


def test_gateway_has_one_listener_per_host_and_admits_only_labelled_namespaces():
    gw = platform.gateway("llm-platform-prod", GatewayConfig(certificate_arn=CERT), {"chat": "chat.llm.internal", "code": "code.llm.internal"})
    listeners = {listener["name"]: listener for listener in gw["spec"]["listeners"]}
    assert {n: (v["hostname"], v["port"], v["protocol"]) for n, v in listeners.items()} == {
        "chat": ("chat.llm.internal", 443, "HTTP"), "code": ("code.llm.internal", 443, "HTTP")}
    for listener in listeners.values():
        assert listener["allowedRoutes"]["namespaces"] == {"from": "Selector", "selector": {"matchLabels": {ROUTES_NAMESPACE_LABEL: "true"}}}
    assert gw["metadata"]["namespace"] == GATEWAY_NAMESPACE
    klass = platform.gateway_class("llm-platform-prod")
    assert klass["spec"]["parametersRef"]["name"] == "llm-platform-prod-proxy"
    for obj in (gw, klass):
        assert validation_errors(obj, "1.34") == []


def test_envoy_gateway_resolves_inference_pools_through_the_ai_gateway():
    values = platform.envoy_gateway_values(SYSTEM_PLACEMENT)["config"]["envoyGateway"]
    assert values["extensionManager"]["backendResources"] == [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "version": "v1"}]
    assert values["extensionManager"]["service"]["fqdn"] == {"hostname": "ai-gateway-controller.envoy-ai-gateway-system.svc.cluster.local", "port": 1063}
    assert values["extensionApis"]["enableBackend"] is True


def test_only_the_endpoint_picker_skips_checkov_checks_and_it_pulls_its_tag_always(inventories):
    deployments = [(s, obj) for s in inventories for _, obj in inventories[s].kubernetes_objects() if obj["kind"] == "Deployment"]
    pickers = [obj for _, obj in deployments if obj["metadata"]["name"].endswith("-epp")]
    # Dev's in-cluster quota store skips only the digest check (tests/gateway/test_quotas.py).
    others = [obj for _, obj in deployments if not obj["metadata"]["name"].endswith("-epp") and obj["metadata"]["namespace"] != STORE_NAMESPACE]
    assert pickers and others
    for obj in pickers:
        skips = {k: v.split("=", 1)[0] for k, v in obj["metadata"]["annotations"].items() if k.startswith("checkov.io/")}
        assert skips == {"checkov.io/skip1": "CKV_K8S_38", "checkov.io/skip2": "CKV_K8S_43"}
        assert obj["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    for obj in others:
        assert not any(k.startswith("checkov.io/") for k in (obj["metadata"].get("annotations") or {})), obj["metadata"]["name"]
