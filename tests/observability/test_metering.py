"""Token metering at the gateway: the AI Gateway values that label token usage with the client id,
the proxies' PodMonitor, and the recording rules run by promtool on series that carry exactly the
labels Envoy AI Gateway v1.1.0's ext_proc exports plus the scrape's, then the slot's cost alert
evaluated on those recorded series (the whole chain in one rule set)."""

from __future__ import annotations

import re

import pytest

from components.cluster.render import SYSTEM_PLACEMENT
from components.endpoint.names import namespace
from components.gateway.names import CLIENT_ID_HEADER, GATEWAY_NAMESPACE, client_id, proxy_pod_labels
from components.gateway.platform import ai_gateway_values
from components.observability import labels as lm
from components.observability import metering
from components.serving import alerts
from components.serving.models import SlotConfig
from tests.observability.promtool import series
from tests.observability.test_promtool import _promtool_test
from tests.serving.helpers import spec_for

STACKS = ("dev", "staging", "prod")
SPEC = spec_for(SlotConfig(model="Qwen/Qwen2.5-7B-Instruct"), environment="prod")
QWEN, CODER = "Qwen/Qwen2.5-7B-Instruct", "Qwen/Qwen2.5-Coder-14B-Instruct"
# chat and code both serve QWEN (ambiguous); each serves its own name; code also serves CODER.
SERVED = {"chat": ("llm-chat", [QWEN, "chat"]), "code": ("llm-code", [CODER, QWEN, "code"])}
# What one proxy pod's ext_proc sidecar exports for one team, after the PodMonitor's scrape.
SCRAPED = {"job": "monitoring/gateway-token-usage", "instance": "10.0.1.20:1064", "namespace": GATEWAY_NAMESPACE,
           "pod": "envoy-prod-proxy-5c7d-x2x9q", "container": "ai-gateway-extproc", "endpoint": metering.ADMIN_PORT_NAME,
           "gen_ai_operation_name": "chat", "gen_ai_provider_name": "openai", "otel_scope_name": "envoyproxy/ai-gateway"}


def usage(kind: str, model: str, token_type: str, team: str = "applied-ai", **target: str) -> str:
    names = {"gen_ai_original_model": model, lm.REQUEST_MODEL: model, "gen_ai_response_model": model,
             lm.TOKEN_TYPE: token_type, lm.LLM_CLIENT: client_id(team, "k1"), lm.TEAM: team}
    return series(f"{lm.GEN_AI_TOKEN_USAGE}_{kind}", {**SCRAPED, **names, **target})


def test_ai_gateway_labels_token_metrics_with_the_verified_client_id_only():
    controller = ai_gateway_values(SYSTEM_PLACEMENT)["controller"]
    assert controller["metricsRequestHeaderAttributes"] == f"{CLIENT_ID_HEADER}:llm.client"
    # The base mapping would also reach spans and access logs; the metrics-only key is used.
    assert "requestHeaderAttributes" not in controller
    # The exporter turns the attribute's dot into an underscore: the label the model names.
    assert metering.CLIENT_ATTRIBUTE.replace(".", "_") == lm.LLM_CLIENT


def test_proxy_pod_monitor_selects_the_stacks_proxies_and_writes_team():
    from tests.support.manifests import validation_errors

    monitor = metering.proxy_pod_monitor(proxy_pod_labels("prod"), GATEWAY_NAMESPACE)
    assert validation_errors(monitor, "1.34") == []
    assert validation_errors(metering.prometheus_rule(SERVED), "1.34") == []
    spec = monitor["spec"]
    assert spec["selector"] == {"matchLabels": proxy_pod_labels("prod")}
    assert spec["namespaceSelector"] == {"matchNames": [GATEWAY_NAMESPACE]}
    (endpoint,) = spec["podMetricsEndpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("aigw-admin", "/metrics")
    drop, team = endpoint["metricRelabelings"]
    assert re.fullmatch(drop["regex"], "gen_ai_client_token_usage_bucket") and not re.fullmatch(drop["regex"], "gen_ai_client_token_usage_sum")
    assert team["targetLabel"] == lm.TEAM and team["sourceLabels"] == [lm.LLM_CLIENT]
    # Prometheus anchors relabel regexes: the team is the client id up to its first dot; with
    # gateway.oidc the client id is the team claim alone (components/gateway/access.py).
    for team_name in ("applied-ai", "ml-platform", None):
        for client in (client_id(team_name, "2026-11-k3"), team_name or "release-tooling"):
            found = re.fullmatch(team["regex"], client)
            assert found and found.expand(team["replacement"].replace("$1", r"\1")) == (team_name or "release-tooling")
    assert lm.reserved_in([team["targetLabel"]]) == []


def test_ambiguous_names_map_to_no_endpoint():
    mapping, ambiguous = metering.model_endpoints(SERVED)
    assert ambiguous == [QWEN]
    assert mapping == {CODER: ("code", "llm-code"), "chat": ("chat", "llm-chat"), "code": ("code", "llm-code")}


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_meters_every_endpoint_by_its_own_name(stack, configs):
    served = metering.served_models(configs[stack].endpoints)
    assert served
    mapping, _ = metering.model_endpoints(served)
    for endpoint, (ns, names) in served.items():
        assert endpoint in names and ns == namespace(endpoint) and mapping[endpoint] == (endpoint, ns)


def _recorded(metric: str, value: float, **labels: str) -> dict:
    return {"labels": "{" + ",".join(f'{k}="{v}"' for k, v in sorted({"__name__": metric, **labels}.items())) + "}", "value": value}


def test_recording_rules_give_tokens_and_requests_per_endpoint_and_team(tmp_path):
    groups = metering.prometheus_rule(SERVED)["spec"]["groups"]
    other_pod = {"pod": "envoy-prod-proxy-5c7d-q8w2e", "instance": "10.0.2.31:1064"}
    # Per minute: applied-ai 600 input + 300 output tokens in 2 requests on "chat" (over two proxy
    # pods), ml-platform 120 output tokens on CODER, and 60 output tokens on the ambiguous QWEN.
    feed = [
        (usage("sum", "chat", "input"), "0+300x20"), (usage("sum", "chat", "input", **other_pod), "0+300x20"),
        (usage("sum", "chat", "output"), "0+300x20"), (usage("count", "chat", "input"), "0+1x20"),
        (usage("count", "chat", "input", **other_pod), "0+1x20"), (usage("count", "chat", "output"), "0+2x20"),
        (usage("sum", CODER, "output", team="ml-platform"), "0+120x20"), (usage("sum", CODER, "cached_input", team="ml-platform"), "0+999x20"),
        (usage("sum", QWEN, "output"), "0+60x20"),
    ]
    chat = {"namespace": "llm-chat", lm.LLM_ENDPOINT: "chat", lm.TEAM: "applied-ai"}
    code = {"namespace": "llm-code", lm.LLM_ENDPOINT: "code", lm.TEAM: "ml-platform"}
    tests = [{"interval": "1m", "input_series": [{"series": s, "values": v} for s, v in feed], "promql_expr_test": [
        {"expr": lm.GATEWAY_TOKENS, "eval_time": "10m", "exp_samples": [
            _recorded(lm.GATEWAY_TOKENS, 10, **chat, gen_ai_token_type="input"),
            _recorded(lm.GATEWAY_TOKENS, 5, **chat, gen_ai_token_type="output"),
            _recorded(lm.GATEWAY_TOKENS, 2, **code, gen_ai_token_type="output")]},
        # Requests: one input record per request (the output record of the same request is not counted twice).
        {"expr": lm.GATEWAY_REQUESTS, "eval_time": "10m", "exp_samples": [_recorded(lm.GATEWAY_REQUESTS, 2 / 60, **chat)]},
        {"expr": lm.GATEWAY_UNATTRIBUTED, "eval_time": "10m", "exp_samples": [
            _recorded(lm.GATEWAY_UNATTRIBUTED, 1, team="applied-ai", gen_ai_request_model=QWEN, gen_ai_token_type="output")]},
    ]}]
    _promtool_test(tmp_path, groups, tests)


def test_cost_alert_fires_on_gateway_counted_tokens_through_the_recording_rules(tmp_path):
    """Rules of the metering group and the slot together: 1 replica at $1/h, the gateway counts
    100 output tokens/s for the endpoint ($2.78 per 1M tokens): over a $0.5 budget, not over $5."""
    served = {SPEC.endpoint: (SPEC.metrics_selector["namespace"], [QWEN, SPEC.endpoint])}
    slot = {**SPEC.metrics_selector, lm.TEAM: SPEC.team, lm.ENVIRONMENT: "prod", lm.MODEL: "qwen.qwen2.5-7b-instruct"}
    feed = [(usage("sum", SPEC.endpoint, "output"), "0+6000x60"), (usage("sum", QWEN, "input"), "0+9000x60"),
            (series("vllm:num_requests_running", slot), "1x60"), (series(alerts.GENERATED, slot), "0+5000x60")]
    expected = {"alertname": "VllmCostPerMillionTokensOverBudget", **alerts.alert_labels(SPEC, "warning")}
    summary = f"{SPEC.endpoint}/{SPEC.slot}: $2.78 per 1M tokens, budget $0.5 (at $1/replica-hour)"
    for budget, exp in ((0.5, [{"exp_labels": {k: v for k, v in expected.items() if k != "alertname"},
                                "exp_annotations": {"summary": summary}}]), (5.0, [])):
        groups = metering.prometheus_rule(served)["spec"]["groups"] + alerts.prometheus_rule(SPEC, 1.0, budget)["spec"]["groups"]
        tests = [{"interval": "1m", "input_series": [{"series": s, "values": v} for s, v in feed],
                  "alert_rule_test": [{"eval_time": "50m", "alertname": "VllmCostPerMillionTokensOverBudget", "exp_alerts": exp},
                                      {"eval_time": "50m", "alertname": "GatewayTokenMeteringMissing", "exp_alerts": []}]}]
        _promtool_test(tmp_path, groups, tests)


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_scrapes_its_own_proxies_and_maps_every_endpoint(stack, inventories, configs):
    objects = [obj for _, obj in inventories[stack].kubernetes_objects()]
    (monitor,) = [o for o in objects if o["kind"] == "PodMonitor" and o["metadata"]["name"] == metering.MONITOR_NAME]
    (proxy,) = [o for o in objects if o["kind"] == "EnvoyProxy"]
    spread = proxy["spec"]["provider"]["kubernetes"]["envoyDeployment"]["pod"]["topologySpreadConstraints"][0]
    assert monitor["spec"]["selector"] == spread["labelSelector"]  # the labels the proxies really carry
    (rule,) = [o for o in objects if o["kind"] == "PrometheusRule" and o["metadata"]["name"] == metering.RULE_NAME]
    table = {r["labels"][lm.REQUEST_MODEL]: r["labels"] for r in rule["spec"]["groups"][0]["rules"] if r["record"] == lm.GATEWAY_MODEL_INFO}
    endpoints = configs[stack].endpoints
    assert endpoints
    for name in endpoints:
        assert table[name][lm.LLM_ENDPOINT] == name and table[name]["namespace"] == namespace(name)
    # Streaming responses carry usage only when asked: the gateway forces stream_options.include_usage
    # only on routes with request costs (internal/endpointspec/endpointspec.go ParseBody @v1.1.0).
    routes = [o for o in objects if o["kind"] == "AIGatewayRoute"]
    assert len(routes) == len(endpoints)
    assert all(r["spec"]["llmRequestCosts"] for r in routes)
