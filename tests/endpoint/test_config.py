"""Endpoint, gateway and release settings: each bad value is one line naming the key."""

from __future__ import annotations

import pytest

from infra.config import load_config
from tests.support.stack_config import SOURCE, config_error, stack_raw

EP = "llm-platform:endpoints"


def raw(stack: str = "prod") -> dict:
    return stack_raw(stack)


def error(doc: dict) -> str:
    return config_error(doc)


@pytest.mark.parametrize(("weights", "expected"), [
    ({"blue": 60, "green": 60}, "blue + green must be 100, got 60 + 60 = 120"),
    ({"blue": 50.0, "green": 50}, f"{SOURCE}: {EP}.chat.weights.blue: 50.0: Input should be a valid integer"),
    ({"blue": "50", "green": 50}, f"{SOURCE}: {EP}.chat.weights.blue: '50': Input should be a valid integer"),
    ({"blue": 101, "green": -1}, f"{SOURCE}: {EP}.chat.weights.blue: 101: Input should be less than or equal to 100"),
])
def test_weights_are_integers_summing_to_100(weights, expected):
    doc = raw()
    doc[EP]["chat"]["weights"] = weights
    assert expected in error(doc)


def test_a_live_slot_needs_a_model_and_replicas():
    doc = raw()
    doc[EP]["code"]["weights"] = {"blue": 50, "green": 50}
    assert error(doc).endswith("slot green has weight 50 but no model")
    doc = raw()
    doc[EP]["chat"]["weights"] = {"blue": 50, "green": 50}
    doc[EP]["chat"]["slots"]["green"]["replicas"] = {"min": 0, "max": 0}
    assert error(doc).endswith("slot green has weight 50 but replicas.max is 0")


def test_routes_must_be_distinct():
    doc = raw()
    doc[EP]["code"]["route"] = {"host": "chat.llm.internal"}
    assert error(doc) == f"{SOURCE}: {EP}.code.route.host: 'chat.llm.internal': endpoint chat already uses this host; give each endpoint its own host"


@pytest.mark.parametrize(("gateway", "expected"), [
    ({"scheme": "internet-facing"}, "an internet-facing gateway needs certificateArn"),
    ({"allowedCidrs": ["10.0.0.1/8"]}, f"{SOURCE}: llm-platform:gateway.allowedCidrs[0]: '10.0.0.1/8':"),
    ({"sslPolicy": "TLS-anything"}, f"{SOURCE}: llm-platform:gateway.sslPolicy: 'TLS-anything': String should match pattern"),
    ({"proxyReplicas": 0}, f"{SOURCE}: llm-platform:gateway.proxyReplicas: 0: Input should be greater than or equal to 1"),
])
def test_gateway_settings(gateway, expected):
    doc = raw("dev")
    doc["llm-platform:gateway"] = gateway
    assert expected in error(doc)


def test_gateway_defaults_are_internal_and_plain_http_without_a_certificate():
    cfg = load_config(raw("dev"), SOURCE)
    assert cfg.gateway.scheme == "internal" and cfg.gateway.certificate_arn is None and cfg.gateway.listener_port == 80


def test_a_route_needs_a_host():
    doc = raw("dev")
    doc[EP]["chat"]["route"] = {"path": "/chat"}
    assert error(doc).startswith(f"{SOURCE}: {EP}.chat.route")


def test_the_nlb_name_must_fit():
    doc = raw("dev")
    doc["llm-platform:tags"]["project"] = "llm-platform-research-team"  # 30 characters with -dev
    assert load_config(doc, SOURCE).tags["project"] == "llm-platform-research-team"
    doc["llm-platform:tags"]["project"] = "llm-platform-research-team-xyz"  # 34 with -dev
    assert error(doc) == (f"{SOURCE}: llm-platform:tags.project: 'llm-platform-research-team-xyz': the NLB is named <project>-<environment> "
                          "('llm-platform-research-team-xyz-dev'): at most 32 letters, digits and inner hyphens")


def test_access_names_declared_teams_only():
    doc = raw()
    doc[EP]["chat"]["access"] = ["search", "nobody"]
    assert error(doc) == (f"{SOURCE}: {EP}.chat.access[1]: 'nobody': not a team of llm-platform:teams; "
                          "teams: applied-ai, dev-productivity, search")
