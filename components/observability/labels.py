"""The label model: which labels every platform series carries after scraping, and the only way
PromQL selectors are written (KEDA triggers, PrometheusRules, dashboards, release watch, cost report).

A series' labels come from three places:
1. the exporter itself (vLLM: `model_name`, `engine`; the HTTP instrumentator: `handler`,
   `method`, `status`; DCGM: `gpu`, `UUID`, `device`, `modelName`);
2. the monitor: a PodMonitor's `podTargetLabels` copies the named pod labels, a relabeling adds
   what it writes (`node` on the DCGM ServiceMonitor);
3. Prometheus and prometheus-operator on every target: `job` and `instance` (Prometheus), then
   `namespace`, `pod`, `container`, `endpoint` (the scrape port's name) and, for ServiceMonitors,
   `service` (pkg/prometheus/promcfg.go sets them after `podTargetLabels`, so a pod label with one
   of these names is overwritten). Hence the slot labels are `llm_endpoint` and `llm_slot`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

# Set by Prometheus on every target (prometheus.io/docs/concepts/jobs_instances).
PROMETHEUS_TARGET_LABELS = ("job", "instance")
# Set by prometheus-operator on PodMonitor and ServiceMonitor targets (pkg/prometheus/promcfg.go).
OPERATOR_TARGET_LABELS = ("namespace", "pod", "container", "endpoint", "service")
RESERVED = frozenset(PROMETHEUS_TARGET_LABELS + OPERATOR_TARGET_LABELS)

# The serving slots' pod labels that reach their series (SlotSpec.labels; PodMonitor podTargetLabels).
LLM_ENDPOINT = "llm_endpoint"
LLM_SLOT = "llm_slot"
TEAM = "team"
MODEL = "model"
ENVIRONMENT = "environment"
SLOT_TARGET_LABELS = (LLM_ENDPOINT, LLM_SLOT, TEAM, MODEL, ENVIRONMENT)

# vLLM 0.33 labels every `vllm:` series with these (vllm/v1/metrics/loggers.py, labelnames).
VLLM_LABELS = ("model_name", "engine")
# vLLM's API server exports prometheus-fastapi-instrumentator's http_requests_total with these.
HTTP_LABELS = ("handler", "method", "status")
# The label the DCGM ServiceMonitor writes from the target's node (components/nvidia/values.py):
# alerts group by it rather than by the exporter's host label, whose case changed across releases.
NODE = "node"
# DCGM exporter 4.x per-GPU labels, plus NODE.
DCGM_LABELS = ("gpu", "UUID", "device", "modelName", NODE)
# KEDA operator's scaler metrics (keda_scaler_errors_total): the ScaledObject they concern.
KEDA_LABELS = ("scaledObject", "scaler", "scalerIndex", "metric", "type", "exported_namespace")
# The gateway's endpoint pickers (GIE v1.5.0 pkg/epp/metrics): the pool label their PodMonitor copies
# (components.gateway.inference.POOL_LABEL, sanitised) and the picker's own labels.
INFERENCE_POOL = "inference_pool"
EPP_LABELS = (INFERENCE_POOL, "model_name", "target_model_name", "priority", "error_code")

# Envoy AI Gateway v1.1.0's ext_proc (sidecar `ai-gateway-extproc` of the proxy pods) exports the
# OpenTelemetry GenAI metrics through the OTel Prometheus exporter, attribute dots turned to
# underscores (internal/metrics/genai.go, metrics_impl.go buildBaseAttributes; label set asserted
# in tests/data-plane/vcr/prometheus_metrics_test.go @v1.1.0). `gen_ai.client.token.usage` is a
# histogram of unit "token" with no unit suffix: `gen_ai_client_token_usage_{bucket,sum,count}`.
# otel_scope_schema_url and otel_scope_version are exported empty, which Prometheus drops.
GEN_AI_TOKEN_USAGE = "gen_ai_client_token_usage"
GEN_AI_LABELS = ("gen_ai_operation_name", "gen_ai_provider_name", "gen_ai_original_model", "gen_ai_request_model",
                 "gen_ai_response_model", "gen_ai_token_type", "otel_scope_name")
# The client id header the gateway forwards once a key is verified becomes the metric attribute
# `llm.client` (controller.metricsRequestHeaderAttributes), exported as `llm_client` ("<team>.<key id>");
# the proxies' PodMonitor writes `team` from it (components/observability/metering.py).
LLM_CLIENT = "llm_client"
TOKEN_TYPE = "gen_ai_token_type"
REQUEST_MODEL = "gen_ai_request_model"
# Recording rules over the gateway's series (components/observability/metering.py).
GATEWAY_MODEL_INFO = "llm_platform:gateway_model_endpoint:info"
GATEWAY_TOKENS = "llm_endpoint_team:gateway_tokens:rate5m"
GATEWAY_REQUESTS = "llm_endpoint_team:gateway_requests:rate5m"
GATEWAY_UNATTRIBUTED = "llm_platform:gateway_unattributed_tokens:rate5m"
_RECORDED = {
    GATEWAY_MODEL_INFO: frozenset(("namespace", LLM_ENDPOINT, REQUEST_MODEL)),
    GATEWAY_TOKENS: frozenset(("namespace", LLM_ENDPOINT, TEAM, TOKEN_TYPE)),
    GATEWAY_REQUESTS: frozenset(("namespace", LLM_ENDPOINT, TEAM)),
    GATEWAY_UNATTRIBUTED: frozenset((TEAM, REQUEST_MODEL, TOKEN_TYPE)),
}

_POD_TARGET = frozenset(("job", "instance", "namespace", "pod", "container", "endpoint"))
_SERVICE_TARGET = _POD_TARGET | {"service"}
_SLOT_SERIES = _POD_TARGET | frozenset(SLOT_TARGET_LABELS)
_HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def series_labels(metric: str) -> frozenset[str]:
    """Every label a platform series of `metric` carries in Prometheus (empty: not a platform series)."""
    base = metric
    for suffix in _HISTOGRAM_SUFFIXES:
        if metric.endswith(suffix):
            base = metric.removesuffix(suffix)
    le = {"le"} if metric.endswith("_bucket") else set()
    if metric.startswith("vllm:"):
        return _SLOT_SERIES | frozenset(VLLM_LABELS) | le
    if base == "http_requests_total":
        return _SLOT_SERIES | frozenset(HTTP_LABELS)
    if metric.startswith("DCGM_"):
        # honorLabels keeps the exporter's pod/namespace/container (the GPU's consumer).
        return _SERVICE_TARGET | frozenset(DCGM_LABELS)
    if metric.startswith("keda_"):
        return _SERVICE_TARGET | frozenset(KEDA_LABELS)
    if metric.startswith("inference_objective_"):
        return _POD_TARGET | frozenset(EPP_LABELS)
    if base == GEN_AI_TOKEN_USAGE:
        return _POD_TARGET | frozenset(GEN_AI_LABELS) | {LLM_CLIENT, TEAM} | le
    if metric in _RECORDED:
        return _RECORDED[metric]
    return frozenset()


def slot_selector(namespace: str, endpoint: str, slot: str) -> dict[str, str]:
    """One slot's series: its namespace first, so no other namespace can feed a query about it."""
    return {"namespace": namespace, LLM_ENDPOINT: endpoint, LLM_SLOT: slot}


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def series(metric: str, selector: Mapping[str, str], **extra: str) -> str:
    """`metric{k="v",...}`; refuses any label the model says `metric` does not carry after scraping."""
    matchers = {**selector, **extra}
    allowed = series_labels(metric)
    unknown = sorted(set(matchers) - allowed)
    if unknown:
        raise ValueError(f"{metric} carries no label {', '.join(unknown)} after scraping (components/observability/labels.py)")
    return metric + "{" + ",".join(f"{k}={_quote(v)}" for k, v in matchers.items()) + "}"


_SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)\{([^}]*)\}")
_MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*,?')


def selectors(expr: str) -> list[tuple[str, dict[str, str]]]:
    """(metric, {label: value}) for every `metric{...}` selector of a PromQL expression."""
    found = []
    for metric, body in _SELECTOR.findall(expr):
        found.append((metric, {m.group(1): m.group(3) for m in _MATCHER.finditer(body)}))
    return found


_GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")


def unknown_labels(expr: str) -> list[str]:
    """Selector labels the model says do not exist on the selected metric ("metric: label"), and
    grouping labels (`by (...)`) no platform metric of the expression carries ("by: label")."""
    problems = []
    for metric, matchers in selectors(expr):
        allowed = series_labels(metric)
        problems += [f"{metric}: {label}" for label in matchers if label not in allowed]
    carried = frozenset().union(*(series_labels(name) for name in _NAME.findall(expr)))
    for group in _GROUPING.findall(expr):
        problems += [f"by: {label}" for label in (g.strip() for g in group.split(",")) if label and label not in carried]
    return problems


def reserved_in(names: Iterable[str]) -> list[str]:
    """Which of `names` Prometheus or the operator would overwrite on a scraped series."""
    return sorted(set(names) & RESERVED)
