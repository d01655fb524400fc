"""Token quotas: the renderers (one rule per team and window, the team by its forwarded client id,
cost 0 on the request and the token count on the response, an OpenAI-shaped 429), the config
errors, and every stack's quotas and rate-limit store as synthesized."""

from __future__ import annotations

import json
import re

import pytest

from components.cluster.render import SYSTEM_PLACEMENT
from components.endpoint.models import EndpointConfig
from components.gateway import platform, priorities, quotas
from components.gateway.names import CLIENT_ID_HEADER, client_id
from components.ratelimit import render
from infra.config import ConfigError, load_config
from llmctl.synth.mocks import _ID_PREFIX, _digest
from tests.conftest import synthesized
from tests.core.test_config_errors import raw
from tests.support.manifests import validation_errors
from tests.support.stack_config import SOURCE, config_error

K8S = "1.35"
STACKS = ["dev", "staging", "prod"]
FULL = {"inputTokensPerMinute": 1000, "outputTokensPerMinute": 200, "inputTokensPerDay": 500000, "outputTokensPerDay": 90000}


def endpoint(**extra) -> EndpointConfig:
    return EndpointConfig.model_validate({
        "team": "applied-ai", "access": ["search", "ml"], "route": {"host": "chat.llm.internal"}, "pool": "gpu",
        "weights": {"blue": 100, "green": 0}, "slots": {"blue": {"model": "m/blue", "replicas": {"min": 1, "max": 2}}}, **extra,
    })


def policy(ep: EndpointConfig) -> dict:
    obj = quotas.traffic_policy("chat", ep, "llm-chat", {"team": "applied-ai"})
    assert obj is not None
    assert validation_errors(obj, K8S) == []
    return obj


def test_one_rule_per_team_and_window_with_token_costs():
    obj = policy(endpoint(quotas={"applied-ai": FULL, "search": {"outputTokensPerDay": 7}}))
    assert obj["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "chat"}]
    rules = obj["spec"]["rateLimit"]["global"]["rules"]
    seen = [(r["clientSelectors"][0]["headers"][0]["value"], r["limit"]["requests"], r["limit"]["unit"],
             r["cost"]["response"]["metadata"]["key"]) for r in rules]
    assert seen == [
        (r"applied-ai(\..+)?", 1000, "Minute", "llm_input_token"), (r"applied-ai(\..+)?", 200, "Minute", "llm_output_token"),
        (r"applied-ai(\..+)?", 500000, "Day", "llm_input_token"), (r"applied-ai(\..+)?", 90000, "Day", "llm_output_token"),
        (r"search(\..+)?", 7, "Day", "llm_output_token"),
    ]
    for rule in rules:
        assert rule["xRateLimitHeaders"] == "DraftVersion03"  # the 429 override matches on them
        assert rule["clientSelectors"][0]["headers"][0]["name"] == CLIENT_ID_HEADER
        assert rule["cost"]["request"] == {"from": "Number", "number": 0}  # only checks the budget
        assert rule["cost"]["response"]["metadata"]["namespace"] == "io.envoy.ai_gateway"


def test_the_team_selector_matches_every_key_of_that_team_only():
    pattern = quotas.team_selector("ml")["headers"][0]["value"]
    # Envoy's safe_regex matches the whole header value, like fullmatch.
    assert re.fullmatch(pattern, client_id("ml", "k1"))
    assert not re.fullmatch(pattern, client_id("ml-ops", "k1"))
    assert not re.fullmatch(pattern, client_id("xml", "k1"))
    assert not re.fullmatch(pattern, client_id(None, "k1"))  # the release tooling is never counted
    # gateway.oidc forwards the team claim alone as the client id.
    assert re.fullmatch(pattern, "ml") and not re.fullmatch(pattern, "ml-ops") and not re.fullmatch(pattern, "release-tooling")


def test_default_quota_covers_granted_teams_without_their_own():
    ep = endpoint(quotas={"search": {"inputTokensPerMinute": 5}}, defaultQuota={"outputTokensPerMinute": 9})
    assert {t: q.model_dump(exclude_none=True) for t, q in ep.team_quotas().items()} == {
        "applied-ai": {"output_tokens_per_minute": 9}, "ml": {"output_tokens_per_minute": 9}, "search": {"input_tokens_per_minute": 5}}
    assert len(policy(ep)["spec"]["rateLimit"]["global"]["rules"]) == 3


def test_no_quota_no_policy():
    assert quotas.traffic_policy("chat", endpoint(), "llm-chat", {}) is None


def test_over_budget_reply_is_an_openai_error_naming_the_quota():
    (override,) = policy(endpoint(defaultQuota=FULL))["spec"]["responseOverride"]
    assert override["match"] == {"statusCodes": [{"type": "Value", "value": 429}],
                                 "responseHeaders": [{"name": "x-ratelimit-limit", "value": {"type": "RegularExpression", "value": ".+"}}]}
    assert override["source"] == "Local"  # Envoy's own reply, not a backend's
    assert override["response"]["contentType"] == "application/json"
    error = json.loads(override["response"]["body"]["inline"])["error"]
    assert error["code"] == "rate_limit_exceeded" and error["type"] == "tokens"
    assert error["message"].startswith("Token quota exceeded on endpoint chat:")
    assert "endpoints.chat.quotas.<team>" in error["message"]


def error(config: dict, expected: str) -> None:
    assert config_error(config) == f"{SOURCE}: {expected}"


def test_a_quota_for_a_team_not_granted_the_endpoint_is_refused():
    prod = raw("prod")
    prod["llm-platform:endpoints"]["code"]["quotas"] = {"search": {"outputTokensPerDay": 10}}
    error(prod, "llm-platform:endpoints.code.quotas.search: {\"outputTokensPerDay\": 10}: search is not granted this endpoint; "
                "quotas apply to its owner and access teams: dev-productivity")


def test_an_empty_quota_is_refused():
    staging = raw("staging")
    staging["llm-platform:endpoints"]["chat"]["quotas"] = {"applied-ai": {}}
    error(staging, "llm-platform:endpoints.chat.quotas.applied-ai: {}: set at least one of inputTokensPerMinute, "
                   "outputTokensPerMinute, inputTokensPerDay, outputTokensPerDay")


def test_a_limit_above_int32_is_refused():
    staging = raw("staging")
    staging["llm-platform:endpoints"]["chat"]["quotas"] = {"applied-ai": {"outputTokensPerDay": 2**31}}
    with pytest.raises(ConfigError, match=r"quotas\.applied-ai\.outputTokensPerDay: 2147483648: Input should be less than or equal to 2147483647$"):
        load_config(staging, SOURCE)


def test_prod_keeps_its_counters_in_elasticache():
    prod = raw("prod")
    prod["llm-platform:gateway"]["rateLimitStore"] = {"kind": "in-cluster"}
    error(prod, "llm-platform:gateway.rateLimitStore.kind: 'in-cluster': a prod stack keeps its quota counters in ElastiCache (multi-AZ); use elasticache")


def test_valkey_objects_are_valid():
    objs = render.valkey_objects(SYSTEM_PLACEMENT)
    assert [o["kind"] for o in objs] == ["Namespace", "NetworkPolicy", "Service", "Deployment"]
    for obj in objs:
        assert validation_errors(obj, K8S) == [], obj["kind"]
    deployment = render.valkey_deployment(SYSTEM_PLACEMENT)
    skips = {k: v.split("=", 1)[0] for k, v in deployment["metadata"]["annotations"].items() if k.startswith("checkov.io/")}
    assert skips == {"checkov.io/skip1": "CKV_K8S_43"}  # only the digest check
    assert deployment["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "Always"
    (rule,) = render.valkey_network_policy()["spec"]["ingress"]
    assert rule["from"][0]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": "envoy-ratelimit", "app.kubernetes.io/component": "ratelimit"}
    assert rule["ports"] == [{"protocol": "TCP", "port": 6379}]


def test_gateway_values_gain_the_rate_limit_and_keep_the_ai_gateway_hooks():
    plain = platform.envoy_gateway_values(SYSTEM_PLACEMENT)["config"]["envoyGateway"]
    limited = platform.envoy_gateway_values(SYSTEM_PLACEMENT, render.rate_limit_values("h:6379", True, SYSTEM_PLACEMENT), lua=True)
    limited = limited["config"]["envoyGateway"]
    assert "rateLimit" not in plain and "enableLua" not in plain["extensionApis"]
    assert limited["rateLimit"] == {"backend": {"type": "Redis", "redis": {"url": "h:6379", "tls": {}}}, "failClosed": False}
    assert limited["extensionManager"] == plain["extensionManager"] and limited["extensionApis"]["enableLua"] is True
    deployment = limited["provider"]["kubernetes"]["rateLimitDeployment"]
    assert limited["provider"]["type"] == "Kubernetes" and deployment["replicas"] == 2
    assert deployment["pod"]["tolerations"] == SYSTEM_PLACEMENT.tolerations


# ---- the three stacks, synthesized ---------------------------------------------------------

def mock_id(resource) -> str:
    """The ID the synth's mocks give a resource (llmctl/synth/mocks.py)."""
    return _ID_PREFIX.get(resource.type, f"{resource.name}-") + _digest(resource.type, resource.name)


def helm_rate_limit(stack: str) -> dict:
    (release,) = [r for r in synthesized(stack).of_type("kubernetes:helm.sh/v3:Release") if r.name.endswith("-envoy-gateway")]
    return release.inputs["values"]["config"]["envoyGateway"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_endpoint_with_quotas_has_its_policy_on_its_route(stack, configs):
    cfg = configs[stack]
    limited = {n for n, e in cfg.endpoints.items() if e.team_quotas()}
    assert limited, f"{stack} sets no quota"
    policies = {o["metadata"]["name"]: o for _, o in synthesized(stack).kubernetes_objects() if o["kind"] == "BackendTrafficPolicy"}
    classes = {t: c.priority for t, c in cfg.teams.items()}
    classed = {n for n, e in cfg.endpoints.items() if priorities.needs_priorities(e, classes)}
    assert set(policies) == {quotas.policy_name(n) for n in limited | classed}
    routes = {o["metadata"]["name"]: o for _, o in synthesized(stack).kubernetes_objects() if o["kind"] == "AIGatewayRoute"}
    for name in limited:
        obj = policies[quotas.policy_name(name)]
        assert obj["spec"]["targetRefs"][0]["name"] == routes[name]["metadata"]["name"]
        assert obj["metadata"]["namespace"] == routes[name]["metadata"]["namespace"]
        assert validation_errors(obj, cfg.cluster.kubernetes_version) == []
        teams = {r["clientSelectors"][0]["headers"][0]["value"].split("(")[0] for r in obj["spec"]["rateLimit"]["global"]["rules"]}
        assert teams == set(cfg.endpoints[name].team_quotas())


@pytest.mark.parametrize("stack", STACKS)
def test_the_gateway_counts_in_the_store_the_stack_creates(stack, configs):
    inventory = synthesized(stack)
    redis = helm_rate_limit(stack)["rateLimit"]["backend"]["redis"]
    groups = inventory.of_type("aws:elasticache/replicationGroup:ReplicationGroup")
    if configs[stack].gateway.rate_limit_store.kind == "in-cluster":
        assert not groups and "tls" not in redis
        assert redis["url"] == render.in_cluster_url()
        assert any(o["kind"] == "Deployment" and o["metadata"]["namespace"] == render.STORE_NAMESPACE for _, o in inventory.kubernetes_objects())
        return
    (group,) = groups
    assert redis["tls"] == {}  # TLS, server verified, no client certificate
    assert re.fullmatch(rf"master\.{group.inputs['replicationGroupId']}\.[0-9a-f]+\.[a-z0-9-]+\.cache\.amazonaws\.com:6379", redis["url"])
    assert group.inputs["engine"] == "valkey"
    assert group.inputs["atRestEncryptionEnabled"] and group.inputs["transitEncryptionEnabled"]
    assert group.inputs["transitEncryptionMode"] == "required"
    (key,) = [k for k in inventory.of_type("aws:kms/key:Key") if k.name.endswith("-ratelimit-key")]
    assert group.inputs["kmsKeyId"].endswith(f":key/{mock_id(key)}")
    prod = configs[stack].is_prod
    assert (group.inputs["numCacheClusters"], group.inputs["multiAzEnabled"], group.inputs["automaticFailoverEnabled"]) == ((2, True, True) if prod else (1, False, False))
    (subnets,) = inventory.of_type("aws:elasticache/subnetGroup:SubnetGroup")
    private = {mock_id(s) for s in inventory.of_type("aws:ec2/subnet:Subnet") if "-private-" in s.name}
    assert private and set(subnets.inputs["subnetIds"]) == private
    (sg,) = [s for s in inventory.of_type("aws:ec2/securityGroup:SecurityGroup") if s.name.endswith("-ratelimit-sg")]
    assert group.inputs["securityGroupIds"] == [mock_id(sg)]
    rules = [r for r in inventory.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule") if r.inputs["securityGroupId"] == mock_id(sg)]
    (node_sg,) = [s for s in inventory.of_type("aws:ec2/securityGroup:SecurityGroup") if s.name.endswith("-nodes")]
    assert [(r.inputs["referencedSecurityGroupId"], r.inputs["fromPort"], r.inputs["toPort"]) for r in rules] == [(mock_id(node_sg), 6379, 6379)]
