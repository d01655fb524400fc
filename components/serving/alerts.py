"""Pure renderer for a slot's PrometheusRule: SLO, health and throughput alerts on vLLM's own
metrics, cost alerts on the tokens the gateway counted (components/observability/metering.py),
every selector built from the label model (components/observability/labels.py).

Metric names are vLLM 0.33's (counters carry `_total`, histograms `_bucket`); tests/serving
checks every `vllm:` name against the release's metric list, and tests/observability runs every
alert through `promtool test rules`. GPU hardware alerts (DCGM XID) are node-level and live in
components/observability/alerts.py.
"""

from __future__ import annotations

from typing import Any

from components.endpoint.models import SLOTS
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


def endpoint_selector(spec: SlotSpec) -> dict[str, str]:
    return {"namespace": spec.metrics_selector["namespace"], lm.LLM_ENDPOINT: spec.endpoint}


def gateway_tokens(spec: SlotSpec, token_type: str | None = None, by: str = "") -> str:
    """The endpoint's tokens/s counted at the gateway (components/observability/metering.py)."""
    extra = {lm.TOKEN_TYPE: token_type} if token_type else {}
    grouping = f" by ({by})" if by else ""
    return f"sum{grouping}({lm.series(lm.GATEWAY_TOKENS, endpoint_selector(spec), **extra)})"


def slot_share(spec: SlotSpec) -> str:
    """The slot's part of the endpoint's generated tokens, from vLLM's own per-slot counters: the
    gateway's series do not say which slot served (metering.py), so this splits them."""
    namespace = spec.metrics_selector["namespace"]
    both = " + ".join(f"(sum(rate({lm.series(GENERATED, lm.slot_selector(namespace, spec.endpoint, s))}[15m])) or vector(0))" for s in SLOTS)
    return f"(sum(rate({sel(spec, GENERATED)}[15m])) / ({both}))"


def replica_usd_per_hour(spec: SlotSpec, cost_per_hour_usd: float) -> str:
    """Replicas are counted from a gauge every vLLM pod exports (one series per pod)."""
    return f"({cost_per_hour_usd:g} * count({sel(spec, RUNNING)}))"


def cost_per_million_tokens_expr(spec: SlotSpec, cost_per_hour_usd: float) -> str:
    """$ per 1M generated tokens: the slot's replica-hour $ over the output tokens the gateway
    counted for the endpoint, times the slot's share of them."""
    tokens_per_hour = f"{gateway_tokens(spec, 'output')} * {slot_share(spec)} * 3600"
    return f"{replica_usd_per_hour(spec, cost_per_hour_usd)} / ({tokens_per_hour}) * 1e6"


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


def cost_rules(spec: SlotSpec, cost_per_hour_usd: float, budget_usd: float) -> list[dict[str, Any]]:
    """Serving cost per 1M generated tokens above the endpoint's budget while the slot serves (a
    slot generating nothing has no per-token cost to judge; idle spend shows in the AWS budget).
    Without the gateway's token counts the cost cannot be judged: a second alert says so rather
    than the first staying silent."""
    generating = f"sum(rate({sel(spec, GENERATED)}[15m])) > 0"
    expr = f"{cost_per_million_tokens_expr(spec, cost_per_hour_usd)} > {budget_usd:g} and {generating}"
    missing = _rule("GatewayTokenMeteringMissing", f"{generating} unless {gateway_tokens(spec, 'output')} > 0", "30m",
                    alert_labels(spec, "warning"),
                    f"{spec.endpoint}/{spec.slot}: vLLM generates tokens but the gateway counted none for the endpoint for 30 min "
                    "(token metering broken: cost per 1M tokens cannot be judged)")
    return [missing, _rule("VllmCostPerMillionTokensOverBudget", expr, "30m", alert_labels(spec, "warning"),
                 f"{spec.endpoint}/{spec.slot}: ${{{{ $value | printf \"%.2f\" }}}} per 1M tokens, budget ${budget_usd:g} "
                 f"(at ${cost_per_hour_usd:g}/replica-hour)")]


def alert_labels(spec: SlotSpec, severity: str) -> dict[str, str]:
    """Routing labels: Alertmanager routes on `severity` and `team` (observability/alertmanager.py)."""
    return {"severity": severity, lm.TEAM: spec.team, lm.LLM_ENDPOINT: spec.endpoint, lm.LLM_SLOT: spec.slot}


def rules(spec: SlotSpec, cost_per_hour_usd: float | None = None, budget_usd: float | None = None) -> list[dict[str, Any]]:
    out = [*slo_rules(spec), throughput_rule(spec)]
    if cost_per_hour_usd is not None and budget_usd is not None:
        out += cost_rules(spec, cost_per_hour_usd, budget_usd)
    return out


def prometheus_rule(spec: SlotSpec, cost_per_hour_usd: float | None = None, budget_usd: float | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": _meta(spec),
        "spec": {"groups": [{"name": f"vllm-{spec.name}", "rules": rules(spec, cost_per_hour_usd, budget_usd)}]},
    }
