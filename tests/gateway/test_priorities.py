"""Per-team priorities: InferenceObjectives per deployed slot (interactive 0, batch -1: the pinned
picker sheds below 0), the route's Lua filter that names the objective from the verified team and
drops any client-sent one, the picker's 429 body after the quota's, and the three stacks."""

from __future__ import annotations

import json

import pytest

from components.endpoint.models import EndpointConfig
from components.gateway import priorities, quotas, versions
from components.gateway.inference import pool_name
from components.gateway.names import CLIENT_ID_HEADER
from infra.config import ConfigError, load_config
from tests.conftest import synthesized
from tests.core.test_config_errors import SOURCE, raw
from tests.support.manifests import validation_errors

K8S = "1.35"
STACKS = ["dev", "staging", "prod"]
CLASSES = {"applied-ai": "interactive", "search": "batch"}


def endpoint(blue: int = 100, green: int = 0, access: list[str] | None = None, **extra) -> EndpointConfig:
    slot = {"model": "m/x", "replicas": {"min": 1, "max": 2}}
    return EndpointConfig.model_validate({
        "team": "applied-ai", "access": ["search"] if access is None else access, "route": {"host": "chat.llm.internal"}, "pool": "gpu",
        "weights": {"blue": blue, "green": green}, "slots": {"blue": slot, "green": slot}, **extra,
    })


def test_one_objective_per_class_for_the_slots_pool():
    objs = priorities.objectives("chat", "green", "llm-chat")
    for obj in objs:
        assert validation_errors(obj, K8S) == []
    assert {o["metadata"]["name"]: (o["spec"]["priority"], o["spec"]["poolRef"]["name"]) for o in objs} == {
        "green-interactive": (0, "chat-green"), "green-batch": (-1, "chat-green")}


def test_the_lua_filter_names_the_live_slots_objective_per_team():
    policy = priorities.priority_policy("chat", endpoint(0, 100), "llm-chat", CLASSES)
    assert policy is not None and validation_errors(policy, K8S) == []
    assert policy["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "chat"}]
    (lua,) = policy["spec"]["lua"]
    script = lua["inline"]
    assert 'local objectives = {["applied-ai"] = "green-interactive", ["search"] = "green-batch"}' in script
    lines = script.splitlines()
    # The client's own header goes first, before the team is even read: no self-elevation.
    assert lines.index('  headers:remove("x-gateway-inference-objective")') < lines.index(f'  local client = headers:get("{CLIENT_ID_HEADER}")')
    assert script.count("headers:add(") == 1 and "envoy_on_request" in script
    # The team is the client id up to its first dot (an API key's `<team>.<key id>`, or an OIDC
    # team claim alone): Lua's pattern, anchored, with no dot required.
    assert 'string.match(client, "^([^.]+)")' in script


def test_no_priorities_unless_both_classes_use_the_endpoint():
    assert priorities.priority_policy("chat", endpoint(access=[]), "llm-chat", CLASSES) is None
    assert priorities.priority_policy("chat", endpoint(), "llm-chat", {"applied-ai": "batch", "search": "batch"}) is None
    assert priorities.priority_policy("chat", endpoint(), "llm-chat", {}) is None  # undeclared teams are interactive


def test_the_pickers_429_gets_its_own_body_after_the_quota_one():
    ep = endpoint(defaultQuota={"outputTokensPerMinute": 10})
    policy = quotas.traffic_policy("chat", ep, "llm-chat", {}, priorities.shed_override("chat"))
    assert policy is not None and validation_errors(policy, K8S) == []
    quota, shed = policy["spec"]["responseOverride"]
    assert "responseHeaders" in quota["match"] and "responseHeaders" not in shed["match"]
    assert json.loads(shed["response"]["body"]["inline"])["error"]["code"] == "batch_request_shed"
    only_shed = quotas.traffic_policy("chat", endpoint(), "llm-chat", {}, priorities.shed_override("chat"))
    assert only_shed is not None and "rateLimit" not in only_shed["spec"]
    assert only_shed["spec"]["responseOverride"] == [shed]


def test_a_priority_is_interactive_or_batch():
    prod = raw("prod")
    prod["llm-platform:teams"]["search"]["priority"] = "urgent"
    with pytest.raises(ConfigError) as info:
        load_config(prod, SOURCE)
    assert str(info.value) == f"{SOURCE}: llm-platform:teams.search.priority: 'urgent': Input should be 'interactive' or 'batch'"


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_installs_the_objective_crd_the_picker_reads(stack):
    urls = [r.inputs.get("file") for r in synthesized(stack).resources if r.name.endswith("-inference-objective-crd")]
    assert urls == [versions.OBJECTIVE_CRD_URL]
    assert "/v1.5.0/" in versions.OBJECTIVE_CRD_URL and versions.EPP_IMAGE.endswith(":v1.5.0")


@pytest.mark.parametrize("stack", STACKS)
def test_each_classed_endpoint_names_objectives_of_its_live_pool(stack, configs):
    cfg = configs[stack]
    classes = {t: c.priority for t, c in cfg.teams.items()}
    classed = {n for n, e in cfg.endpoints.items() if priorities.needs_priorities(e, classes)}
    objs = [o for _, o in synthesized(stack).kubernetes_objects() if o["kind"] == "InferenceObjective"]
    lua = {o["metadata"]["name"]: o for _, o in synthesized(stack).kubernetes_objects() if o["kind"] == "EnvoyExtensionPolicy"}
    assert set(lua) == {f"{n}-priorities" for n in classed}
    # Envoy Gateway v1.9.0 ignores Lua policies unless its config enables them.
    (release,) = [r for r in synthesized(stack).of_type("kubernetes:helm.sh/v3:Release") if r.name.endswith("-envoy-gateway")]
    assert release.inputs["values"]["config"]["envoyGateway"]["extensionApis"].get("enableLua", False) == bool(classed)
    if stack == "dev":
        assert not classed and not objs  # one team
        return
    assert classed, f"{stack} has no endpoint used by both classes"
    pools = {(o["metadata"]["namespace"], o["metadata"]["name"]) for _, o in synthesized(stack).kubernetes_objects() if o["kind"] == "InferencePool"}
    for obj in objs:
        assert (obj["metadata"]["namespace"], obj["spec"]["poolRef"]["name"]) in pools
        assert validation_errors(obj, cfg.cluster.kubernetes_version) == []
    for name in classed:
        ep = cfg.endpoints[name]
        live = pool_name(name, ep.live_slot())
        script = lua[f"{name}-priorities"]["spec"]["lua"][0]["inline"]
        for team in ep.granted_teams():
            objective = priorities.objective_name(ep.live_slot(), classes.get(team, "interactive"))
            assert f'["{team}"] = "{objective}"' in script
            (target,) = [o for o in objs if o["metadata"]["name"] == objective and o["metadata"]["namespace"] == f"llm-{name}"]
            assert target["spec"]["poolRef"]["name"] == live
            assert target["spec"]["priority"] == priorities.PRIORITIES[classes.get(team, "interactive")]
