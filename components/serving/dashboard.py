"""Pure renderer for a slot's Grafana dashboard, shipped as a ConfigMap the Grafana sidecar of
kube-prometheus-stack loads (label grafana_dashboard: "1", searched in all namespaces)."""

from __future__ import annotations

import json
from typing import Any

from components.observability import labels as lm
from components.observability.versions import DASHBOARD_LABEL
from components.serving.alerts import (
    cost_per_million_tokens_expr,
    endpoint_selector,
    gateway_tokens,
    p95,
    replica_usd_per_hour,
    sel,
    slot_share,
)
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
    panels.append(_panel(8, "Endpoint tokens per second by team (gateway)",
                         [(gateway_tokens(spec, by=f"{lm.TEAM}, {lm.TOKEN_TYPE}"), f"{{{{{lm.TEAM}}}}} {{{{{lm.TOKEN_TYPE}}}}}")], "short", 12, 24))
    if cost_per_hour_usd is not None:
        panels += cost_panels(spec, cost_per_hour_usd)
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


def cost_panels(spec: SlotSpec, cost_per_hour_usd: float) -> list[dict[str, Any]]:
    """The slot's replica-hour $ per 1M generated tokens, per request and per team: the gateway's
    counts for the endpoint, split to this slot by its share of vLLM's generated tokens; a team's
    $ is the slot's $ in proportion to the team's tokens (input + output) on the endpoint."""
    usd = replica_usd_per_hour(spec, cost_per_hour_usd)
    requests = f"sum({lm.series(lm.GATEWAY_REQUESTS, endpoint_selector(spec))})"
    per_team = f"{gateway_tokens(spec, by=lm.TEAM)} / scalar({gateway_tokens(spec)}) * scalar({usd})"
    return [
        _panel(7, f"Cost per 1M generated tokens (at ${cost_per_hour_usd:g}/replica-hour)",
               [(cost_per_million_tokens_expr(spec, cost_per_hour_usd), "$ / 1M tokens")], "currencyUSD", 0, 24, "stat"),
        _panel(9, "Cost per request", [(f"{usd} / ({requests} * {slot_share(spec)} * 3600)", "$ / request")], "currencyUSD", 0, 32, "stat"),
        _panel(10, "Cost per hour by team", [(per_team, f"{{{{{lm.TEAM}}}}}")], "currencyUSD", 12, 32),
    ]


def dashboard_config_map(spec: SlotSpec, cost_per_hour_usd: float | None) -> dict[str, Any]:
    meta = _meta(spec, f"{spec.name}-dashboard")
    meta["labels"] = {**meta["labels"], DASHBOARD_LABEL: "1"}
    body = json.dumps(dashboard(spec, cost_per_hour_usd), indent=2, sort_keys=True)
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta, "data": {f"{spec.name}.json": body}}
