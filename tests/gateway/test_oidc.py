"""`gateway.oidc`: teams authenticate with the IdP's JWTs instead of API keys. Each route admits
exactly the granted teams' tokens (plus the release tooling's), the preview rules only the release
tooling's; no API key secrets exist; `llmctl keys` refuses with the reason."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from components.gateway import access
from components.gateway.models import OidcConfig
from components.gateway.names import CLIENT_ID_HEADER, RELEASE_CLIENT
from infra.config import ConfigError, load_config
from llmctl.synth.runner import run_program
from tests.support.manifests import validation_errors
from tests.support.paths import REPO_ROOT
from tests.support.stack_config import config_error, stack_raw

OIDC = {"issuer": "https://idp.example.com/", "jwksUri": "https://idp.example.com/.well-known/jwks.json",
        "audiences": ["llm-platform"], "teamClaim": "org.llm_team"}


def raw_with(stack: str, **gateway) -> dict:
    raw = stack_raw(stack)
    raw.setdefault("llm-platform:gateway", {}).update(gateway)
    return raw


@pytest.fixture(scope="module")
def oidc_inventory():
    return run_program("prod", raw_with("prod", oidc=OIDC))


def allowed_teams(policy: dict) -> list[str]:
    [rule] = policy["spec"]["authorization"]["rules"]
    [claim] = rule["principal"]["jwt"]["claims"]
    assert claim["name"] == "org.llm_team" and rule["action"] == "Allow"
    return claim["values"]


def test_route_and_preview_policies_check_the_idps_tokens():
    oidc = OidcConfig.model_validate(OIDC)
    route = access.route_policy("chat", "llm-chat", ["applied-ai", "search"], oidc)
    preview = access.preview_policy("chat", "llm-chat", ["preview-blue"], oidc)
    for policy in (route, preview):
        assert validation_errors(policy, "1.36") == []
        assert "apiKeyAuth" not in policy["spec"] and policy["spec"]["authorization"]["defaultAction"] == "Deny"
        [provider] = policy["spec"]["jwt"]["providers"]
        assert provider["audiences"] == ["llm-platform"] and provider["remoteJWKS"] == {"uri": OIDC["jwksUri"]}
        assert provider["claimToHeaders"] == [{"claim": "org.llm_team", "header": CLIENT_ID_HEADER}]
    assert allowed_teams(route) == ["applied-ai", "search", RELEASE_CLIENT]
    assert allowed_teams(preview) == [RELEASE_CLIENT]


def test_api_key_mode_is_unchanged_without_oidc():
    route = access.route_policy("chat", "llm-chat", ["applied-ai"])
    assert set(route["spec"]) == {"targetRefs", "apiKeyAuth"} and validation_errors(route, "1.36") == []


def test_identity_headers_are_dropped_before_routing():
    policy = access.identity_headers_policy("llm-platform-prod", "envoy-gateway-system")
    assert validation_errors(policy, "1.36") == []
    assert policy["spec"]["headers"]["earlyRequestHeaders"]["remove"] == [CLIENT_ID_HEADER]
    assert policy["spec"]["targetRefs"] == [{"group": "gateway.networking.k8s.io", "kind": "Gateway", "name": "llm-platform-prod"}]


def test_an_oidc_stack_has_no_key_secrets_and_every_route_checks_tokens(oidc_inventory, configs):
    objs = [obj for _, obj in oidc_inventory.kubernetes_objects()]
    policies = {o["metadata"]["name"]: o for o in objs if o["kind"] == "SecurityPolicy"}
    assert policies
    for name, endpoint in configs["prod"].endpoints.items():
        assert allowed_teams(policies[f"{name}-api-keys"]) == [*endpoint.granted_teams(), RELEASE_CLIENT]
        assert allowed_teams(policies[f"{name}-preview"]) == [RELEASE_CLIENT]
    assert not [o for o in objs if o["kind"] == "Secret" and "llm-platform.io/api-keys" in o["metadata"].get("labels", {})]
    assert not [r for r in oidc_inventory.of_type("aws:secretsmanager/secret:Secret") if "/api-keys/" in r.inputs["name"]]


@pytest.mark.parametrize(("change", "message"), [
    ({"oidc": {**OIDC, "issuer": "http://idp.example.com/"}}, "gateway.oidc.issuer"),
    ({"oidc": {**OIDC, "audiences": []}}, "gateway.oidc.audiences"),
    ({"oidc": {k: v for k, v in OIDC.items() if k != "jwksUri"}}, "gateway.oidc.jwksUri"),
])
def test_bad_oidc_settings_name_the_key(change, message):
    assert message in config_error(raw_with("dev", **change), "stacks/Pulumi.dev.yaml")


def test_the_release_tooling_identity_is_not_a_team_name():
    raw = raw_with("dev")
    raw["llm-platform:teams"][RELEASE_CLIENT] = {}
    with pytest.raises(ConfigError, match="teams.release-tooling.*reserved for the release tooling"):
        load_config(raw, "stacks/Pulumi.dev.yaml")


def test_llmctl_keys_refuses_an_oidc_stack(tmp_path, monkeypatch):
    import yaml

    from llmctl.cli import app

    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text((REPO_ROOT / "Pulumi.yaml").read_text())
    (tmp_path / "stacks" / "Pulumi.dev.yaml").write_text(yaml.safe_dump({"config": raw_with("dev", oidc=OIDC)}))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["keys", "list", "dev", "--team", "applied-ai"])
    assert result.exit_code == 2
    assert "gateway.oidc in stacks/Pulumi.dev.yaml" in result.output and "admits no API keys" in result.output
