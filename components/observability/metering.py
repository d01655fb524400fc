"""Pure renderers of the gateway's token metering: the PodMonitor that scrapes the Envoy AI Gateway
ext_proc sidecar of the stack's proxy pods, and the recording rules that turn its per-request
token histogram into tokens and requests per endpoint and team (docs/metering.md).

What the gateway knows per request (Envoy AI Gateway v1.1.0):
- the team: the client id Envoy Gateway's apiKeyAuth forwards (`<team>.<key id>`), mapped to the
  metric attribute `llm.client` by the controller's metricsRequestHeaderAttributes; the upstream
  ext_proc records token usage with the request headers it sees after authentication
  (internal/extproc/processor_impl.go RecordTokenUsage(u.requestHeaders));
- the model the client asked for (`gen_ai_request_model`); the endpoint is the one whose slots
  serve that name (the model id or the endpoint's own name, components/serving/vllm.py served_names),
  mapped by a constant recording rule. A name two endpoints of the stack serve cannot be told
  apart by the gateway's series, so it maps to neither and its tokens show as unattributed;
- not the slot: an InferencePool backend gets no header mutation (the controller applies
  headerMutation to AIServiceBackend refs only, internal/controller/gateway.go @v1.1.0) and the
  provider attribute is the schema's name ("openai"). Per-slot figures split the endpoint's
  gateway tokens by vLLM's own per-slot generation counters (components/serving/alerts.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from components.observability import labels as lm
from components.observability.tenancy import PLATFORM_LABEL
from components.observability.versions import MONITORING_NAMESPACE

# The ext_proc container's admin port (serves /metrics) and its name, as the AI Gateway controller
# injects it into every proxy pod (internal/controller/extproc_builder.go extProcAdminPort,
# Ports "aigw-admin" @v1.1.0). It runs as a native sidecar (an init container); Prometheus' pod
# discovery lists init containers' ports too (discovery/kubernetes/pod.go, __meta_kubernetes_pod_container_init).
ADMIN_PORT_NAME = "aigw-admin"
METRICS_PATH = "/metrics"
# Metric attribute of the client id header; the exporter turns "llm.client" into `llm_client`.
CLIENT_ATTRIBUTE = "llm.client"
# Counted token types: what the upstream usage calls prompt and completion tokens. cached_input is
# part of input and reasoning part of output (OpenAI usage semantics), so they are not added again.
TOKEN_TYPES = ("input", "output")
MONITOR_NAME = "gateway-token-usage"
RULE_NAME = "llm-platform-metering"
WINDOW = "5m"


def request_header_attributes(client_id_header: str) -> str:
    """controller.metricsRequestHeaderAttributes of the AI Gateway chart ("header:attribute,...")."""
    return f"{client_id_header}:{CLIENT_ATTRIBUTE}"


def proxy_pod_monitor(proxy_labels: Mapping[str, str], gateway_namespace: str) -> dict[str, Any]:
    """Lives in the monitoring namespace (excluded from namespace enforcement, so its series keep
    the proxies' namespace) and selects exactly the stack's Gateway proxies. Buckets are dropped:
    tokens and requests need only _sum and _count. `team` is the client id up to its first dot
    (team names are DNS labels, without dots; components/teams)."""
    relabel = [
        {"sourceLabels": ["__name__"], "regex": f"{lm.GEN_AI_TOKEN_USAGE}_bucket", "action": "drop"},
        {"sourceLabels": [lm.LLM_CLIENT], "regex": r"([^.]+)(\..+)?", "targetLabel": lm.TEAM, "replacement": "$1", "action": "replace"},
    ]
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor",
        "metadata": {"name": MONITOR_NAME, "namespace": MONITORING_NAMESPACE, "labels": dict(PLATFORM_LABEL)},
        "spec": {
            "namespaceSelector": {"matchNames": [gateway_namespace]},
            "selector": {"matchLabels": dict(proxy_labels)},
            "podMetricsEndpoints": [{"port": ADMIN_PORT_NAME, "path": METRICS_PATH, "interval": "30s", "scheme": "http",
                                     "metricRelabelings": relabel}],
        },
    }


def served_models(endpoints: Mapping[str, Any]) -> dict[str, tuple[str, list[str]]]:
    """endpoint -> (its namespace, the names its deployed slots serve: model ids and the endpoint's
    own name, as components/serving/vllm.py served_names gives vLLM)."""
    from components.endpoint.names import namespace
    from components.endpoint.slots import slot_plans

    return {name: (namespace(name), sorted({p.model for p in slot_plans(cfg) if p.model} | {name}))
            for name, cfg in sorted(endpoints.items())}


def model_endpoints(served: Mapping[str, tuple[str, list[str]]]) -> tuple[dict[str, tuple[str, str]], list[str]]:
    """`served`: endpoint -> (its namespace, the names its slots serve). Returns name -> (endpoint,
    namespace) for the names exactly one endpoint serves, and the names several serve."""
    owners: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for endpoint, (namespace, names) in served.items():
        for name in names:
            owners[name].add((endpoint, namespace))
    unique = {name: next(iter(o)) for name, o in owners.items() if len(o) == 1}
    return dict(sorted(unique.items())), sorted(n for n, o in owners.items() if len(o) > 1)


def _join(metric: str, token_types: str) -> str:
    """`metric`'s rate per request model, given the endpoint (and its namespace) of that model."""
    source = f'{metric}{{{lm.TOKEN_TYPE}=~"{token_types}"}}'
    return (f"rate({source}[{WINDOW}]) * on ({lm.REQUEST_MODEL}) group_left ({lm.LLM_ENDPOINT}, namespace) "
            f"{lm.GATEWAY_MODEL_INFO}")


def recording_rules(served: Mapping[str, tuple[str, list[str]]]) -> list[dict[str, Any]]:
    """One constant series per served name (the model -> endpoint table, namespace = the endpoint's,
    so each endpoint's own rules may read the results), then tokens/s per endpoint, team and token
    type, requests/s (one input-token record per request that reported usage), and the tokens/s of
    names that map to no endpoint."""
    mapping, _ = model_endpoints(served)
    table = [{"record": lm.GATEWAY_MODEL_INFO, "expr": "vector(1)",
              "labels": {lm.REQUEST_MODEL: name, lm.LLM_ENDPOINT: endpoint, "namespace": namespace}}
             for name, (endpoint, namespace) in mapping.items()]
    by = f"namespace, {lm.LLM_ENDPOINT}, {lm.TEAM}"
    types = "|".join(TOKEN_TYPES)
    return table + [
        {"record": lm.GATEWAY_TOKENS,
         "expr": f"sum by ({by}, {lm.TOKEN_TYPE}) ({_join(lm.GEN_AI_TOKEN_USAGE + '_sum', types)})"},
        {"record": lm.GATEWAY_REQUESTS, "expr": f"sum by ({by}) ({_join(lm.GEN_AI_TOKEN_USAGE + '_count', 'input')})"},
        # Tokens of names no single endpoint serves: visible, never silently dropped.
        {"record": lm.GATEWAY_UNATTRIBUTED,
         "expr": (f"sum by ({lm.TEAM}, {lm.REQUEST_MODEL}, {lm.TOKEN_TYPE}) (rate({lm.GEN_AI_TOKEN_USAGE}_sum{{{lm.TOKEN_TYPE}=~\"{types}\"}}[{WINDOW}]) "
                  f"unless on ({lm.REQUEST_MODEL}) {lm.GATEWAY_MODEL_INFO})")},
    ]


def prometheus_rule(served: Mapping[str, tuple[str, list[str]]]) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PrometheusRule",
        "metadata": {"name": RULE_NAME, "namespace": MONITORING_NAMESPACE, "labels": dict(PLATFORM_LABEL)},
        "spec": {"groups": [{"name": "gateway-metering", "interval": "1m", "rules": recording_rules(served)}]},
    }
