"""Pure renderer for a slot's PrometheusRule: SLO and health alerts on vLLM's own metrics.

Metric names are vLLM 0.33's (counters carry `_total`, histograms `_bucket`); tests/serving
checks every `vllm:` name against the release's metric list. GPU hardware alerts (DCGM XID) are
node-level and live in components/observability/alerts.py.
"""

from __future__ import annotations

from typing import Any

from components.serving.manifests import SlotSpec, _meta


def _sel(spec: SlotSpec) -> str:
    return f'endpoint="{spec.endpoint}",slot="{spec.slot}"'


def _p95(metric: str, spec: SlotSpec) -> str:
    return f"histogram_quantile(0.95, sum by (le) (rate({metric}_bucket{{{_sel(spec)}}}[5m])))"


def rules(spec: SlotSpec) -> list[dict[str, Any]]:
    slo = spec.config.slo
    sel = _sel(spec)
    labels = {"severity": "warning", "team": spec.team, "endpoint": spec.endpoint, "slot": spec.slot}
    page = {**labels, "severity": "critical"}
    where = f"{spec.endpoint}/{spec.slot}"

    def rule(alert: str, expr: str, duration: str, lbls: dict[str, str], summary: str) -> dict[str, Any]:
        return {"alert": alert, "expr": expr, "for": duration, "labels": lbls, "annotations": {"summary": summary}}

    return [
        rule(
            "VllmHighErrorRate",
            # vLLM's API server exports prometheus-fastapi-instrumentator's http_requests_total
            # with status grouped as 2xx/4xx/5xx.
            f'100 * sum(rate(http_requests_total{{{sel},status="5xx"}}[5m])) / sum(rate(http_requests_total{{{sel}}}[5m])) > {slo.error_rate_pct:g}',
            "5m", page, f"{where}: more than {slo.error_rate_pct:g}% of requests fail with 5xx",
        ),
        rule(
            "VllmSlowTimeToFirstToken",
            f"{_p95('vllm:time_to_first_token_seconds', spec)} > {slo.ttft_p95_seconds:g}",
            "10m", labels, f"{where}: p95 time to first token above {slo.ttft_p95_seconds:g}s",
        ),
        rule(
            "VllmSlowRequests",
            f"{_p95('vllm:e2e_request_latency_seconds', spec)} > {slo.e2e_p95_seconds:g}",
            "10m", labels, f"{where}: p95 end-to-end latency above {slo.e2e_p95_seconds:g}s",
        ),
        rule(
            "VllmQueueBuildingUp",
            f"avg(vllm:num_requests_waiting{{{sel}}}) > {slo.queue_waiting}",
            "15m", labels, f"{where}: more than {slo.queue_waiting} requests waiting per replica for 15 min (scale-out stuck or at max)",
        ),
        rule(
            "VllmKvCacheNearlyFull",
            f"max(vllm:kv_cache_usage_perc{{{sel}}}) * 100 > {slo.kv_cache_full_pct:g}",
            "15m", labels, f"{where}: KV cache above {slo.kv_cache_full_pct:g}% (preemptions and latency follow)",
        ),
        rule(
            "VllmStalled",
            # Prompt tokens count too, so pooling (embedding) models, which generate none, are covered.
            f"(sum(rate(vllm:generation_tokens_total{{{sel}}}[5m])) + sum(rate(vllm:prompt_tokens_total{{{sel}}}[5m]))) == 0"
            f" and sum(vllm:num_requests_waiting{{{sel}}}) > 0",
            "5m", page, f"{where}: requests are waiting but no tokens were processed or generated for 5 min (engine hung)",
        ),
        rule(
            "VllmPreempting",
            f"sum(rate(vllm:num_preemptions_total{{{sel}}}[10m])) > 0.1",
            "15m", labels, f"{where}: sequences are preempted (KV cache too small for the load; lower max-num-seqs or add replicas)",
        ),
    ]


def prometheus_rule(spec: SlotSpec) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": _meta(spec),
        "spec": {"groups": [{"name": f"vllm-{spec.name}", "rules": rules(spec)}]},
    }
