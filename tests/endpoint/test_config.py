"""Endpoint, ingress and release settings: each bad value is one line naming the key."""

from __future__ import annotations

import copy

import pytest

from infra.config import ConfigError, load_config, read_stack_file
from tests.support.paths import REPO_ROOT

SOURCE = "stacks/Pulumi.t.yaml"
EP = "llm-platform:endpoints"


def raw(stack: str = "prod") -> dict:
    return copy.deepcopy(read_stack_file(REPO_ROOT / "stacks" / f"Pulumi.{stack}.yaml"))


def error(doc: dict) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(doc, SOURCE)
    message = str(info.value)
    assert "\n" not in message
    return message


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
    assert error(doc) == (f"{SOURCE}: {EP}.code.route: {{\"host\": \"chat.llm.internal\"}}: endpoint chat already uses this host "
                          "and path; give each endpoint its own host or path")


@pytest.mark.parametrize(("ingress", "expected"), [
    ({"slowStartSeconds": 60}, "slowStartSeconds needs loadBalancingAlgorithm: round_robin"),
    ({"slowStartSeconds": 10, "loadBalancingAlgorithm": "round_robin"}, "slowStartSeconds must be 0 (off) or 30-900, got 10"),
    ({"scheme": "internet-facing"}, "an internet-facing ALB needs certificateArn"),
    ({"allowedCidrs": ["10.0.0.1/8"]}, f"{SOURCE}: llm-platform:ingress.allowedCidrs[0]: '10.0.0.1/8':"),
    ({"sslPolicy": "TLS-anything"}, f"{SOURCE}: llm-platform:ingress.sslPolicy: 'TLS-anything': String should match pattern"),
])
def test_ingress_settings(ingress, expected):
    doc = raw("dev")
    doc["llm-platform:ingress"] = ingress
    assert expected in error(doc)


def test_ingress_defaults_are_internal_and_least_outstanding_requests():
    cfg = load_config(raw("dev"), SOURCE)
    assert cfg.ingress.scheme == "internal" and cfg.ingress.certificate_arn is None
    assert cfg.ingress.load_balancing_algorithm == "least_outstanding_requests" and cfg.ingress.slow_start_seconds == 0


def test_the_alb_name_must_fit():
    doc = raw("dev")
    doc["llm-platform:tags"]["project"] = "llm-platform-research-team"  # 30 characters with -dev
    assert load_config(doc, SOURCE).tags["project"] == "llm-platform-research-team"
    doc["llm-platform:tags"]["project"] = "llm-platform-research-team-xyz"  # 34 with -dev
    assert error(doc) == (f"{SOURCE}: llm-platform:tags.project: 'llm-platform-research-team-xyz': the ALB is named <project>-<environment> "
                          "('llm-platform-research-team-xyz-dev'): at most 32 letters, digits and inner hyphens")
