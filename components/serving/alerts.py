"""Pure renderer for a slot's PrometheusRule: SLO, health, throughput and cost alerts on vLLM's
own metrics, every selector built from the label model (components/observability/labels.py).

Metric names are vLLM 0.33's (counters carry `_total`, histograms `_bucket`); tests/serving
checks every `vllm:` name against the release's metric list, and tests/observability runs every
alert through `promtool test rules`. GPU hardware alerts (DCGM XID) are node-level and live in
components/observability/alerts.py.
"""

from __future__ import annotations

from typing import Any

from components.observability import labels as lm
from components.serving.manifests import SlotSpec, _meta

GENERATED = "vllm:generation_tokens_total"
PROMPT = "vllm:prompt_tokens_total"
RUNNING = "vllm:num_requests_running"


def sel(spec: SlotSpec, metric: str, **extra: str) -> str:
    return lm.series(metric, spec.metrics_selector, **extra)


def p95(spec: SlotSpec, metric: str, window: str = "5m", quantile: float = 0.95) -> str:
    return f"histogram_quantile({quantile:g}, sum by (le) (rate({sel(spec, metric + '_bucket')}[{window}])))"


def tokens_per_second(spec: SlotSpec, window: str, offset: str = "") -> str:
    """Prompt + generated tokens/s: pooling (embedding) models generate none, so both count."""
    shift = f" offset {offset}" if offset else ""
    return f"(sum(rate({sel(spec, GENERATED)}[{window}]{shift})) + sum(rate({sel(spec, PROMPT)}[{window}]{shift})))"


def cost_per_million_tokens_expr(spec: SlotSpec, cost_per_hour_usd: float) -> str:
    """$ per 1M generated tokens: replicas x $/hour over tokens/hour. Replicas are counted from a
    gauge every vLLM pod exports (one series per pod)."""
    replicas = f"count({sel(spec, RUNNING)})"
    tokens_per_hour = f"sum(rate({sel(spec, GENERATED)}[15m])) * 3600"
    return f"({cost_per_hour_usd:g} * {replicas}) / ({tokens_per_hour}) * 1e6"


def _rule(alert: str, expr: str, duration: str, labels: dict[str, str], summary: str) -> dict[str, Any]:
    return {"alert": alert, "expr": expr, "for": duration, "labels": labels, "annotations": {"summary": summary}}


def slo_rules(spec: SlotSpec) -> list[dict[str, Any]]:
    slo = spec.config.slo
    labels = alert_labels(spec, "warning")
    page = alert_labels(spec, "critical")
    where = f"{spec.endpoint}/{spec.slot}"
    requests = "http_requests_total"
    return [
        _rule(
            "VllmHighErrorRate",
            f"100 * sum(rate({sel(spec, requests, status='5xx')}[5m])) / sum(rate({sel(spec, requests)}[5m])) > {slo.error_rate_pct:g}",
            "5m", page, f"{where}: more than {slo.error_rate_pct:g}% of requests fail with 5xx",
        ),
        _rule("VllmSlowTimeToFirstToken", f"{p95(spec, 'vllm:time_to_first_token_seconds')} > {slo.ttft_p95_seconds:g}",
              "10m", labels, f"{where}: p95 time to first token above {slo.ttft_p95_seconds:g}s"),
        _rule("VllmSlowRequests", f"{p95(spec, 'vllm:e2e_request_latency_seconds')} > {slo.e2e_p95_seconds:g}",
              "10m", labels, f"{where}: p95 end-to-end latency above {slo.e2e_p95_seconds:g}s"),
        _rule("VllmQueueBuildingUp", f"avg({sel(spec, 'vllm:num_requests_waiting')}) > {slo.queue_waiting}", "15m", labels,
              f"{where}: more than {slo.queue_waiting} requests waiting per replica for 15 min (scale-out stuck or at max)"),
        _rule("VllmKvCacheNearlyFull", f"max({sel(spec, 'vllm:kv_cache_usage_perc')}) * 100 > {slo.kv_cache_full_pct:g}", "15m", labels,
              f"{where}: KV cache above {slo.kv_cache_full_pct:g}% (preemptions and latency follow)"),
        _rule("VllmStalled", f"{tokens_per_second(spec, '5m')} == 0 and sum({sel(spec, 'vllm:num_requests_waiting')}) > 0", "5m", page,
              f"{where}: requests are waiting but no tokens were processed or generated for 5 min (engine hung)"),
        _rule("VllmPreempting", f"sum(rate({sel(spec, 'vllm:num_preemptions_total')}[10m])) > 0.1", "15m", labels,
              f"{where}: sequences are preempted (KV cache too small for the load; lower max-num-seqs or add replicas)"),
    ]


def throughput_rule(spec: SlotSpec) -> dict[str, Any]:
    """Tokens/s fell by more than throughputDropPct against the same window an hour earlier, from a
    level worth watching (an idle slot going quiet is no incident)."""
    slo = spec.config.slo
    now, before = tokens_per_second(spec, "15m"), tokens_per_second(spec, "15m", offset="1h")
    keep = 1 - slo.throughput_drop_pct / 100
    expr = f"{now} < {keep:g} * {before} and {before} > {slo.throughput_floor_tokens_per_second:g}"
    return _rule("VllmTokenThroughputDrop", expr, "10m", alert_labels(spec, "warning"),
                 f"{spec.endpoint}/{spec.slot}: tokens/s down more than {slo.throughput_drop_pct:g}% against an hour ago")


def cost_rule(spec: SlotSpec, cost_per_hour_usd: float, budget_usd: float) -> dict[str, Any]:
    """Serving cost per 1M generated tokens above the endpoint's budget while the slot serves (a
    slot generating nothing has no per-token cost to judge; idle spend shows in the AWS budget)."""
    expr = f"{cost_per_million_tokens_expr(spec, cost_per_hour_usd)} > {budget_usd:g} and sum(rate({sel(spec, GENERATED)}[15m])) > 0"
    return _rule("VllmCostPerMillionTokensOverBudget", expr, "30m", alert_labels(spec, "warning"),
                 f"{spec.endpoint}/{spec.slot}: ${{{{ $value | printf \"%.2f\" }}}} per 1M tokens, budget ${budget_usd:g} "
                 f"(at ${cost_per_hour_usd:g}/replica-hour)")


def alert_labels(spec: SlotSpec, severity: str) -> dict[str, str]:
    """Routing labels: Alertmanager routes on `severity` and `team` (observability/alertmanager.py)."""
    return {"severity": severity, lm.TEAM: spec.team, lm.LLM_ENDPOINT: spec.endpoint, lm.LLM_SLOT: spec.slot}


def rules(spec: SlotSpec, cost_per_hour_usd: float | None = None, budget_usd: float | None = None) -> list[dict[str, Any]]:
    out = [*slo_rules(spec), throughput_rule(spec)]
    if cost_per_hour_usd is not None and budget_usd is not None:
        out.append(cost_rule(spec, cost_per_hour_usd, budget_usd))
    return out


def prometheus_rule(spec: SlotSpec, cost_per_hour_usd: float | None = None, budget_usd: float | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": _meta(spec),
        "spec": {"groups": [{"name": f"vllm-{spec.name}", "rules": rules(spec, cost_per_hour_usd, budget_usd)}]},
    }
