"""A scaled-to-zero slot's first callers get the picker's 503 rewritten into an OpenAI-shaped error
with Retry-After = the wake trigger's detection period; endpoints that never sit at zero keep the
picker's plain answer."""

from __future__ import annotations

import json

import pytest

from components.endpoint.models import EndpointConfig
from components.gateway import quotas, wake
from components.gateway.inference import PICKER_SCRAPE_SECONDS, epp_pod_monitor
from tests.conftest import synthesized
from tests.support.manifests import validation_errors


def endpoint(scale_to_zero: bool = True, polling: int = 15) -> EndpointConfig:
    slot = {"model": "m/blue", "replicas": {"min": 0 if scale_to_zero else 1, "max": 2}, "scaling": {"pollingSeconds": polling}}
    return EndpointConfig.model_validate({"team": "applied-ai", "route": {"host": "chat.llm.internal"}, "pool": "gpu",
                                          "weights": {"blue": 100, "green": 0}, "scaleToZero": scale_to_zero,
                                          "slots": {"blue": slot}})


def test_retry_after_is_the_scrape_plus_the_keda_poll():
    assert wake.retry_after_seconds(endpoint(polling=15)) == PICKER_SCRAPE_SECONDS + 15 == 30
    assert wake.retry_after_seconds(endpoint(polling=60)) == PICKER_SCRAPE_SECONDS + 60
    assert epp_pod_monitor("chat", "blue", "llm-chat")["spec"]["podMetricsEndpoints"][0]["interval"] == f"{PICKER_SCRAPE_SECONDS}s"
    assert wake.retry_after_seconds(endpoint(scale_to_zero=False)) is None
    assert wake.waking_override("chat", endpoint(scale_to_zero=False)) is None


def test_the_override_rewrites_only_envoys_own_503():
    override = wake.waking_override("chat", endpoint())
    assert override["match"] == {"statusCodes": [{"type": "Value", "value": 503}]} and override["source"] == "Local"
    response = override["response"]
    assert response["statusCode"] == 503 and response["header"]["set"] == [{"name": "Retry-After", "value": "30"}]
    error = json.loads(response["body"]["inline"])["error"]
    assert error["code"] == "endpoint_waking_up" and "Retry after 30 seconds" in error["message"]
    policy = quotas.traffic_policy("chat", endpoint(), "llm-chat", {}, None, override)
    assert validation_errors(policy, "1.36") == [] and "rateLimit" not in policy["spec"]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_scale_to_zero_endpoint_and_only_those_answer_with_retry_after(stack, configs):
    policies = {o["metadata"]["name"]: o for _, o in synthesized(stack).kubernetes_objects() if o["kind"] == "BackendTrafficPolicy"}
    waking = {name for name, e in configs[stack].endpoints.items() if wake.retry_after_seconds(e) is not None}
    if stack == "dev":
        assert waking == {"chat"}
    for name in configs[stack].endpoints:
        overrides = policies.get(quotas.policy_name(name), {}).get("spec", {}).get("responseOverride", [])
        codes = [o["match"].get("statusCodes", [{}])[0].get("value") for o in overrides]
        assert (503 in codes) == (name in waking), (stack, name)
        if name in waking:
            assert codes[-1] == 503, "quota and shed answers match first"
