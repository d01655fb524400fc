"""Pure renderer for a slot's Grafana dashboard, shipped as a ConfigMap the Grafana sidecar of
kube-prometheus-stack loads (label grafana_dashboard: "1", searched in all namespaces)."""

from __future__ import annotations

import json
from typing import Any

from components.observability.versions import DASHBOARD_LABEL
from components.serving.alerts import cost_per_million_tokens_expr, p95, sel
from components.serving.manifests import SlotSpec, _meta

__all__ = ["cost_per_million_tokens_expr", "dashboard", "dashboard_config_map"]


def _panel(pid: int, title: str, exprs: list[tuple[str, str]], unit: str, x: int, y: int, kind: str = "timeseries") -> dict[str, Any]:
    return {
        "id": pid,
        "type": kind,
        "title": title,
        "datasource": {"type": "prometheus", "uid": "prometheus"},
        "gridPos": {"x": x, "y": y, "w": 12, "h": 8},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": chr(65 + i), "expr": expr, "legendFormat": legend} for i, (expr, legend) in enumerate(exprs)],
    }


def dashboard(spec: SlotSpec, cost_per_hour_usd: float | None) -> dict[str, Any]:
    def q(metric: str, quantile: float) -> str:
        return p95(spec, metric, quantile=quantile)

    panels = [
        _panel(1, "Time to first token", [(q("vllm:time_to_first_token_seconds", 0.5), "p50"), (q("vllm:time_to_first_token_seconds", 0.95), "p95")], "s", 0, 0),
        _panel(2, "Inter-token latency", [(q("vllm:inter_token_latency_seconds", 0.5), "p50"), (q("vllm:inter_token_latency_seconds", 0.95), "p95")], "s", 12, 0),
        _panel(3, "Tokens per second", [
            (f"sum(rate({sel(spec, 'vllm:generation_tokens_total')}[5m]))", "generated"),
            (f"sum(rate({sel(spec, 'vllm:prompt_tokens_total')}[5m]))", "prompt"),
        ], "short", 0, 8),
        _panel(4, "Requests queued and running", [
            (f"sum({sel(spec, 'vllm:num_requests_waiting')})", "waiting"),
            (f"sum({sel(spec, 'vllm:num_requests_running')})", "running"),
        ], "short", 12, 8),
        _panel(5, "KV cache usage", [(f"max by (pod) ({sel(spec, 'vllm:kv_cache_usage_perc')})", "{{pod}}")], "percentunit", 0, 16),
        _panel(6, "End-to-end latency", [(q("vllm:e2e_request_latency_seconds", 0.95), "p95")], "s", 12, 16),
    ]
    if cost_per_hour_usd is not None:
        panels.append(_panel(7, f"Cost per 1M generated tokens (at ${cost_per_hour_usd:g}/replica-hour)",
                             [(cost_per_million_tokens_expr(spec, cost_per_hour_usd), "$ / 1M tokens")], "currencyUSD", 0, 24, "stat"))
    return {
        "uid": f"vllm-{spec.environment}-{spec.name}"[:40],
        "title": f"vLLM {spec.environment} {spec.endpoint} ({spec.slot})",
        "tags": ["vllm", spec.environment, spec.team],
        "timezone": "utc",
        "schemaVersion": 39,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "panels": panels,
    }


def dashboard_config_map(spec: SlotSpec, cost_per_hour_usd: float | None) -> dict[str, Any]:
    meta = _meta(spec, f"{spec.name}-dashboard")
    meta["labels"] = {**meta["labels"], DASHBOARD_LABEL: "1"}
    body = json.dumps(dashboard(spec, cost_per_hour_usd), indent=2, sort_keys=True)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {f"{spec.name}.json": body}}
