"""The label model holds over every rendered object: no monitor copies a label Prometheus or the
operator sets on targets, and every PromQL selector the stacks render (KEDA triggers, rules,
dashboards) names only labels its metric carries after scraping, the slot's namespace included."""

from __future__ import annotations

import json

import pytest

from components.observability import labels as lm
from components.serving.manifests import pod_monitor
from components.serving.models import SlotConfig
from llmctl.cost.report import ReportError, token_query
from llmctl.release.watch import prometheus_queries
from tests.serving.helpers import spec_for

STACKS = ("dev", "staging", "prod")


def _objects(stack: str):
    from tests.conftest import synthesized

    return [obj for _, obj in synthesized(stack).kubernetes_objects()]


def _monitor_labels(obj: dict) -> list[str]:
    spec = obj["spec"]
    names = list(spec.get("podTargetLabels", [])) + list(spec.get("targetLabels", []))
    for endpoint in spec.get("podMetricsEndpoints", []) + spec.get("endpoints", []):
        for key in ("relabelings", "metricRelabelings"):
            names += [r["targetLabel"] for r in endpoint.get(key, []) if "targetLabel" in r]
    return names


def _expressions(obj: dict) -> list[str]:
    """Every PromQL expression an object carries, with the namespace it must select (or None)."""
    kind, spec = obj["kind"], obj.get("spec") or {}
    if kind == "ScaledObject":
        return [t["metadata"]["query"] for t in spec["triggers"] if t["type"] == "prometheus"]
    if kind == "PrometheusRule":
        return [r["expr"] for g in spec["groups"] for r in g["rules"]]
    if kind == "ConfigMap" and lm.LLM_ENDPOINT in obj["metadata"].get("labels", {}):
        board = json.loads(next(iter(obj["data"].values())))
        return [t["expr"] for p in board["panels"] for t in p["targets"]]
    return []


@pytest.mark.parametrize("stack", STACKS)
def test_no_monitor_copies_a_label_prometheus_or_the_operator_sets(stack):
    monitors = [o for o in _objects(stack) if o["kind"] in ("PodMonitor", "ServiceMonitor")]
    assert {o["kind"] for o in monitors} == {"PodMonitor", "ServiceMonitor"}
    for monitor in monitors:
        assert lm.reserved_in(_monitor_labels(monitor)) == [], monitor["metadata"]["name"]


@pytest.mark.parametrize("stack", STACKS)
def test_every_rendered_selector_uses_labels_that_exist_and_the_slot_namespace(stack):
    checked = 0
    for obj in _objects(stack):
        namespace = obj["metadata"].get("namespace")
        for expr in _expressions(obj):
            assert lm.unknown_labels(expr) == [], f"{obj['kind']} {obj['metadata']['name']}: {expr}"
            for metric, matchers in lm.selectors(expr):
                if metric.startswith("vllm:") or metric == "http_requests_total":
                    assert matchers.get("namespace") == namespace, f"{obj['metadata']['name']}: {expr}"
                    assert {lm.LLM_ENDPOINT, lm.LLM_SLOT} <= set(matchers), expr
                    checked += 1
    assert checked > 20, f"{stack}: only {checked} slot selectors found"


def test_slot_pod_labels_survive_scraping_and_the_monitor_copies_them():
    spec = spec_for(SlotConfig(model="org/m"))
    assert lm.reserved_in(spec.labels) == [] and lm.reserved_in(spec.selector) == []
    copied = pod_monitor(spec)["spec"]["podTargetLabels"]
    assert set(copied) <= set(spec.labels) and set(copied) == set(lm.SLOT_TARGET_LABELS)
    assert {lm.LLM_ENDPOINT, lm.LLM_SLOT} <= set(spec.selector)


def test_a_selector_on_a_label_the_series_lacks_is_refused():
    with pytest.raises(ValueError, match="vllm:num_requests_waiting carries no label slot after scraping"):
        lm.series("vllm:num_requests_waiting", {"slot": "blue"})
    assert lm.unknown_labels('sum(vllm:num_requests_waiting{endpoint="chat",slot="blue"})') == ["vllm:num_requests_waiting: slot"]
    assert lm.unknown_labels('vllm:e2e_request_latency_seconds_bucket{le="1",llm_slot="blue"}') == []
    assert lm.unknown_labels("max by (Hostname, gpu) (DCGM_FI_DEV_GPU_TEMP)") == ["by: Hostname"]
    assert lm.unknown_labels("sum by (le) (rate(vllm:e2e_request_latency_seconds_bucket[5m]))") == []


def test_release_watch_and_cost_queries_follow_the_model():
    queries = prometheus_queries("chat", "green", 120)
    for expr in queries.values():
        assert lm.unknown_labels(expr) == []
        assert all(m.get("namespace") == "llm-chat" and m.get(lm.LLM_SLOT) == "green" for _, m in lm.selectors(expr))
    assert token_query(60) == "sum by (model) (increase(vllm:generation_tokens_total[60s]))"
    with pytest.raises(ReportError, match="--model-label served_model: vllm:generation_tokens_total carries no such label"):
        token_query(60, "served_model")
