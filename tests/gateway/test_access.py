"""Per-team access: every route authenticates API keys, a team's keys reach only the endpoints
granted to it, and the preview rules admit only the release tooling's key."""

from __future__ import annotations

import json

import pytest

from components.gateway import access
from tests.conftest import synthesized
from tests.support.manifests import validation_errors

STACKS = ["dev", "staging", "prod"]


def objects(stack: str, kind: str) -> list[dict]:
    return [obj for _, obj in synthesized(stack).kubernetes_objects() if obj["kind"] == kind]


def test_policies_are_valid_and_read_bearer_keys():
    route = access.route_policy("chat", "llm-chat", ["applied-ai", "search"])
    preview = access.preview_policy("chat", "llm-chat", ["preview-blue", "preview-green"])
    for obj in (route, preview):
        assert validation_errors(obj, "1.34") == []
        assert obj["spec"]["apiKeyAuth"]["extractFrom"] == [{"headers": ["Authorization"]}]
    assert [r["name"] for r in route["spec"]["apiKeyAuth"]["credentialRefs"]] == [
        "team-applied-ai-api-keys", "team-search-api-keys", "release-tooling-api-keys"]
    assert [r["name"] for r in preview["spec"]["apiKeyAuth"]["credentialRefs"]] == ["release-tooling-api-keys"]
    assert [r["sectionName"] for r in preview["spec"]["targetRefs"]] == ["preview-blue", "preview-green"]


def test_key_data_maps_client_ids_to_keys_and_admits_nothing_by_default():
    value = json.dumps({"a1": {"key": "sk-llm-x", "created": "t"}, "b2": {"key": "sk-llm-y", "created": "t"}})
    assert access.key_data("search", value) == {"search.a1": "sk-llm-x", "search.b2": "sk-llm-y"}
    assert access.key_data(None, value) == {"release-tooling.a1": "sk-llm-x", "release-tooling.b2": "sk-llm-y"}
    assert access.key_data("search", None) == access.key_data("search", "not json") == access.key_data("search", "[]") == {}


@pytest.mark.parametrize("stack", STACKS)
def test_every_route_is_authenticated_and_teams_reach_only_granted_endpoints(stack, configs):
    cfg = configs[stack]
    policies = {(p["metadata"]["namespace"], p["metadata"]["name"]): p for p in objects(stack, "SecurityPolicy")}
    secrets = {(s["metadata"]["namespace"], s["metadata"]["name"]) for s in objects(stack, "Secret")}
    assert cfg.endpoints
    for name, endpoint in cfg.endpoints.items():
        ns = f"llm-{name}"
        route_policy = policies[(ns, f"{name}-api-keys")]
        assert route_policy["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": name}]
        granted = [r["name"] for r in route_policy["spec"]["apiKeyAuth"]["credentialRefs"]]
        assert granted == [*(f"team-{t}-api-keys" for t in endpoint.granted_teams()), "release-tooling-api-keys"]
        team_secrets = {n for (space, n) in secrets if space == ns and n.startswith("team-")}
        assert team_secrets == set(granted[:-1])  # no other team's keys in this namespace
        preview = policies[(ns, f"{name}-preview")]
        deployed = [s for s in ("blue", "green") if not getattr(endpoint.slots, s).empty]
        assert [r["sectionName"] for r in preview["spec"]["targetRefs"]] == [f"preview-{s}" for s in deployed]
        assert (ns, "release-tooling-api-keys") in secrets
        for obj in (route_policy, preview):
            assert validation_errors(obj, cfg.cluster.kubernetes_version) == []


def test_access_grants_another_team_its_secret(configs):
    from components.endpoint.models import EndpointConfig

    ep = configs["prod"].endpoints["chat"].model_dump(by_alias=True)
    ep["access"] = ["search", "applied-ai"]
    assert EndpointConfig.model_validate(ep).granted_teams() == ["applied-ai", "search"]


def test_secrets_manager_holds_one_secret_per_team_and_the_release_key():
    inventory = synthesized("prod")
    names = sorted(r.inputs["name"] for r in inventory.of_type("aws:secretsmanager/secret:Secret") if "/api-keys/" in r.inputs["name"])
    assert names == ["llm-platform-prod/api-keys/_release", "llm-platform-prod/api-keys/applied-ai",
                     "llm-platform-prod/api-keys/dev-productivity", "llm-platform-prod/api-keys/search"]
    versions = [r for r in inventory.of_type("aws:secretsmanager/secretVersion:SecretVersion") if r.name.endswith("-initial")]
    assert versions and all(r.inputs["secretString"] in ("{}", "[secret]") for r in versions)
    # Never deleted by Secrets Manager, never moved back to AWSCURRENT by `pulumi up` (components/gateway/names.py).
    assert all(r.inputs["versionStages"] == ["AWSCURRENT", "llm-platform-seed"] for r in versions)
