"""Every rendered rule through Prometheus' own tool: `promtool check rules` over each stack's
PrometheusRules, and `promtool test rules` cases in which each alert fires and stays silent on
series carrying exactly the label model's labels, plus the KEDA, release-watch and cost queries
evaluated on such series."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pytest

from components.observability import alerts as cluster_alerts
from components.observability import labels as lm
from components.serving import alerts, scaling
from components.serving.models import SlotConfig
from llmctl.cost.report import token_query
from llmctl.release.watch import prometheus_queries
from tests.observability.promtool import run, series, write_json
from tests.serving.helpers import spec_for

STACKS = ("dev", "staging", "prod")
SPEC = spec_for(SlotConfig(model="Qwen/Qwen2.5-7B-Instruct"), environment="prod")
SLOT = {**SPEC.metrics_selector, lm.TEAM: SPEC.team, lm.ENVIRONMENT: "prod", lm.MODEL: "qwen.qwen2.5-7b-instruct"}
COST_PER_HOUR, BUDGET = 1.0, 0.5  # $/replica-hour; $ per 1M tokens
POD2 = {"pod": "chat-blue-7d9f-fghij", "instance": "10.0.4.9:8000"}


def histogram(metric: str, hot: dict[str, str], labels: dict[str, str] | None = None) -> list[tuple[str, str]]:
    """Bucket series: `hot` maps le -> values; other buckets stay at 0 for 60 minutes."""
    return [(series(f"{metric}_bucket", {**SLOT, **(labels or {}), "le": le}), hot.get(le, "0x60"))
            for le in ("0.5", "1", "2.5", "5", "10", "30", "60", "120", "+Inf")]


def upper(metric: str, above: float) -> list[tuple[str, str]]:
    """Every observation falls just above `above` (p95 lands between `above` and the next bound)."""
    bounds = (0.5, 1, 2.5, 5, 10, 30, 60, 120)
    return histogram(metric, {("+Inf" if b == "+Inf" else f"{b:g}"): "0+10x60" for b in [*(b for b in bounds if b > above), "+Inf"]})


def gauge(metric: str, value: str, **labels: str) -> list[tuple[str, str]]:
    return [(series(metric, {**SLOT, **labels}), value)]


@dataclass
class Case:
    alert: str
    fire: list[tuple[str, str]]
    quiet: list[tuple[str, str]]
    at: str
    labels: dict[str, str] = field(default_factory=dict)  # labels the expression keeps (cluster alerts)


def slot_cases() -> list[Case]:
    req = "http_requests_total"
    waiting, gen, prompt = "vllm:num_requests_waiting", alerts.GENERATED, alerts.PROMPT
    return [
        Case("VllmHighErrorRate", gauge(req, "0+10x30", status="5xx") + gauge(req, "0+90x30"),
             gauge(req, "0+1x30", status="5xx") + gauge(req, "0+99x30"), "20m"),
        Case("VllmSlowTimeToFirstToken", upper("vllm:time_to_first_token_seconds", 2.5), upper("vllm:time_to_first_token_seconds", 0), "30m"),
        Case("VllmSlowRequests", upper("vllm:e2e_request_latency_seconds", 60), upper("vllm:e2e_request_latency_seconds", 5), "30m"),
        Case("VllmQueueBuildingUp", gauge(waiting, "30x40") + gauge(waiting, "25x40", **POD2),
             gauge(waiting, "30x40") + gauge(waiting, "5x40", **POD2), "30m"),
        Case("VllmKvCacheNearlyFull", gauge("vllm:kv_cache_usage_perc", "0.97x40"), gauge("vllm:kv_cache_usage_perc", "0.9x40"), "30m"),
        Case("VllmStalled", gauge(gen, "5x30") + gauge(prompt, "5x30") + gauge(waiting, "3x30"),
             gauge(gen, "0+10x30") + gauge(prompt, "5x30") + gauge(waiting, "3x30"), "20m"),
        Case("VllmPreempting", gauge("vllm:num_preemptions_total", "0+12x40"), gauge("vllm:num_preemptions_total", "0+3x40"), "35m"),
        # 10 tokens/s for an hour, then 1 token/s: a 90% drop against an hour earlier.
        Case("VllmTokenThroughputDrop", gauge(gen, "0+600x60 36000+60x40") + gauge(prompt, "0x100"),
             gauge(gen, "0+600x100") + gauge(prompt, "0x100"), "100m"),
        # 1 replica at $1/h: 100 output tokens/s counted at the gateway costs $2.78 per 1M tokens
        # (> $0.5), 1000 tokens/s $0.28; the slot generates all of the endpoint's tokens (share 1).
        Case("VllmCostPerMillionTokensOverBudget",
             gauge("vllm:num_requests_running", "1x60") + gauge(gen, "0+6000x60") + gateway("100x60"),
             gauge("vllm:num_requests_running", "1x60") + gauge(gen, "0+6000x60") + gateway("1000x60"), "50m"),
        # vLLM generates, the gateway counts nothing for the endpoint: metering is broken, say so.
        Case("GatewayTokenMeteringMissing", gauge(gen, "0+6000x60"), gauge(gen, "0+6000x60") + gateway("100x60"), "50m"),
    ]


def gateway(value: str, token_type: str = "output", team: str = "applied-ai") -> list[tuple[str, str]]:
    """The endpoint's recorded gateway tokens/s (components/observability/metering.py) for one team."""
    labels = {"namespace": SLOT["namespace"], lm.LLM_ENDPOINT: SLOT[lm.LLM_ENDPOINT], lm.TEAM: team, lm.TOKEN_TYPE: token_type}
    return [(series(lm.GATEWAY_TOKENS, labels), value)]


NODE = {"node": "ip-10-0-3-7.ec2.internal", "gpu": "0"}


def cluster_cases() -> list[Case]:
    dcgm = {"namespace": "nvidia", "pod": "dcgm-exporter-x1", "container": "exporter", "job": "dcgm-exporter", "endpoint": "metrics"}
    keda = {"namespace": "keda", "exported_namespace": "llm-chat", "scaledObject": "chat-blue", "scaler": "prometheusScaler"}
    return [
        Case("GpuXidError", [(series("DCGM_FI_DEV_XID_ERRORS", dcgm), "79x10")], [(series("DCGM_FI_DEV_XID_ERRORS", dcgm), "0x10")], "5m",
             {**NODE, "modelName": "NVIDIA A10G"}),
        Case("GpuTooHot", [(series("DCGM_FI_DEV_GPU_TEMP", dcgm), "90x20")], [(series("DCGM_FI_DEV_GPU_TEMP", dcgm), "80x20")], "15m", NODE),
        Case("KedaScalerErrors", [(series("keda_scaler_errors_total", keda), "0+1x30")], [(series("keda_scaler_errors_total", keda), "0x30")],
             "20m", {k: keda[k] for k in ("exported_namespace", "scaledObject", "scaler")}),
    ]


def _annotations(rule: dict, labels: dict[str, str], value: str) -> dict[str, str]:
    def fill(text: str) -> str:
        text = re.sub(r"\{\{ \$labels\.(\w+) \}\}", lambda m: labels[m.group(1)], text)
        return re.sub(r'\{\{ \$value(?: \| printf "[^"]*")? \}\}', value, text)
    return {k: fill(v) for k, v in rule["annotations"].items()}


def _unit_tests(groups: list[dict], cases: list[Case], values: dict[str, str] | None = None) -> list[dict]:
    by_name = {r["alert"]: r for g in groups for r in g["rules"]}
    tests = []
    for case in cases:
        rule = by_name[case.alert]
        labels = {**rule["labels"], **case.labels}
        expected = {"exp_labels": labels, "exp_annotations": _annotations(rule, labels, (values or {}).get(case.alert, ""))}
        for feed, exp in ((case.fire, [expected]), (case.quiet, [])):
            tests.append({"interval": "1m", "input_series": [{"series": s, "values": v} for s, v in feed],
                          "alert_rule_test": [{"eval_time": case.at, "alertname": case.alert, "exp_alerts": exp}]})
    return tests


def _promtool_test(tmp_path, groups: list[dict], tests: list[dict]) -> None:
    write_json(tmp_path / "rules.yaml", {"groups": groups})
    write_json(tmp_path / "tests.yaml", {"rule_files": ["rules.yaml"], "evaluation_interval": "1m", "tests": tests})
    result = run("test", "rules", "tests.yaml", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_slot_alert_fires_and_stays_silent(tmp_path):
    groups = alerts.prometheus_rule(SPEC, COST_PER_HOUR, BUDGET)["spec"]["groups"]
    cases = slot_cases()
    assert {c.alert for c in cases} == {r["alert"] for g in groups for r in g["rules"]}
    # The summary prints the computed cost: 1 replica x $1/h over 100 tokens/s = $2.78 per 1M tokens.
    _promtool_test(tmp_path, groups, _unit_tests(groups, cases, {"VllmCostPerMillionTokensOverBudget": "2.78"}))


def test_every_cluster_alert_fires_and_stays_silent(tmp_path):
    groups = cluster_alerts.prometheus_rule("llm-platform-gpu")["spec"]["groups"]
    cases = cluster_cases()
    assert {c.alert for c in cases} == {r["alert"] for g in groups for r in g["rules"]}
    _promtool_test(tmp_path, groups, _unit_tests(groups, cases, {"GpuXidError": "79"}))


def test_every_alert_any_stack_renders_has_a_promtool_case(synthesized_rules):
    names = {r["alert"] for _, rule in synthesized_rules for g in rule["spec"]["groups"] for r in g["rules"] if "alert" in r}
    assert names
    assert names <= {c.alert for c in [*slot_cases(), *cluster_cases()]}


@pytest.mark.parametrize("stack", STACKS)
def test_promtool_check_rules_passes_on_every_rendered_rule(stack, tmp_path, synthesized_rules):
    rules = [(name, rule) for s, (name, rule) in zip(synthesized_rules.stacks, synthesized_rules, strict=True) if s == stack]
    assert rules, f"{stack}: no PrometheusRule rendered"
    paths = [str(write_json(tmp_path / f"{i}.yaml", {"groups": rule["spec"]["groups"]}).name) for i, (_, rule) in enumerate(rules)]
    result = run("check", "rules", *paths, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(paths)


def _expr_test(tmp_path, feed: list[tuple[str, str]], checks: list[tuple[str, list[dict]]], at: str = "10m") -> None:
    tests = [{"interval": "1m", "input_series": [{"series": s, "values": v} for s, v in feed],
              "promql_expr_test": [{"expr": expr, "eval_time": at, "exp_samples": exp} for expr, exp in checks]}]
    _promtool_test(tmp_path, [], tests)


def test_keda_queries_sum_the_slot_in_its_namespace_only(tmp_path):
    """AverageValue triggers: KEDA divides the query's one value by the replicas, so the query must
    return the slot's total, and a namesake in another namespace must not feed it."""
    other = {**SLOT, "namespace": "llm-intruder"}
    feed = [*gauge("vllm:num_requests_waiting", "3x20"), *gauge("vllm:num_requests_waiting", "5x20", **POD2),
            (series("vllm:num_requests_waiting", other), "100x20"),
            *gauge("vllm:kv_cache_usage_perc", "0.5x20"), *gauge("vllm:kv_cache_usage_perc", "0.25x20", **POD2),
            (series("vllm:kv_cache_usage_perc", other), "0.9x20")]
    _expr_test(tmp_path, feed, [(scaling.queue_query(SPEC), [{"labels": "{}", "value": 8}]),
                                (scaling.kv_cache_query(SPEC), [{"labels": "{}", "value": 0.75}])])


def test_release_watch_and_cost_report_queries_read_the_labelled_series(tmp_path):
    req = "http_requests_total"
    feed = [*gauge(req, "0+6x20", status="5xx"), *gauge(req, "0+54x20"), *upper("vllm:e2e_request_latency_seconds", 0.5),
            *gauge(alerts.GENERATED, "0+600x20"), *gauge(alerts.GENERATED, "0+600x20", **POD2)]
    queries = prometheus_queries(SPEC.endpoint, SPEC.slot, 300)
    _expr_test(tmp_path, feed, [
        (queries["error_rate_pct"], [{"labels": "{}", "value": 10}]),
        # Every request between 0.5 and 1 s: p95 interpolates to 0.975 s (rounded: float noise).
        (f"round({queries['p95_seconds']} * 1000)", [{"labels": "{}", "value": 975}]),
        # Two pods at 10 tokens/s each over 5 minutes, summed per model label.
        (token_query(300), [{"labels": f'{{model="{SLOT[lm.MODEL]}"}}', "value": 6000}]),
    ])
