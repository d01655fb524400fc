"""Pure renderer of a slot's autoscaling: the KEDA ScaledObject (vLLM queue + KV cache from
Prometheus) and, for slots allowed to scale to zero, the wake-up trigger on requests counted at
the gateway (the slot's endpoint picker, components.gateway.inference.wake_query), which exist
with no vLLM pod running."""

from __future__ import annotations

from typing import Any

from components.observability.labels import series
from components.serving.manifests import SlotSpec, _meta

WAITING = "vllm:num_requests_waiting"
KV_CACHE = "vllm:kv_cache_usage_perc"
WAKE_TARGET_PER_2_MINUTES = 1200  # gateway requests one replica absorbs; only matters before vLLM reports a queue


def queue_query(spec: SlotSpec) -> str:
    # AverageValue: KEDA divides the sum by the current replicas, so the target is per replica.
    return f"sum({series(WAITING, spec.metrics_selector)})"


def kv_cache_query(spec: SlotSpec) -> str:
    return f"sum({series(KV_CACHE, spec.metrics_selector)})"


def wakes_from_zero(spec: SlotSpec) -> bool:
    return spec.scale_to_zero and spec.min_replicas == 0 and spec.max_replicas > 0


def _prometheus_triggers(spec: SlotSpec, prometheus_url: str) -> list[dict[str, Any]]:
    scaling = spec.config.scaling
    triggers: list[dict[str, Any]] = [{
        "type": "prometheus",
        "name": "queue",
        "metricType": "AverageValue",
        "metadata": {
            "serverAddress": prometheus_url,
            "query": queue_query(spec),
            "threshold": str(scaling.queue_target),
            "activationThreshold": "0",
            "ignoreNullValues": "true",
        },
    }]
    if scaling.kv_cache_target is not None:
        triggers.append({
            "type": "prometheus",
            "name": "kv-cache",
            "metricType": "AverageValue",
            "metadata": {
                "serverAddress": prometheus_url,
                "query": kv_cache_query(spec),
                "threshold": f"{scaling.kv_cache_target:g}",
                # KV usage alone never wakes a slot (it is 0 without pods); the queue does.
                "activationThreshold": "1",
                "ignoreNullValues": "true",
            },
        })
    return triggers


def _hpa_behavior(scaling: Any) -> dict[str, Any]:
    return {
        # A GPU replica takes minutes to come up: add up to 2 at once, immediately.
        "scaleUp": {"stabilizationWindowSeconds": 0, "selectPolicy": "Max", "policies": [{"type": "Pods", "value": 2, "periodSeconds": 60}]},
        # ...and give them back slowly, one per 5 minutes, after a long stabilisation.
        "scaleDown": {
            "stabilizationWindowSeconds": scaling.scale_down_stabilization_seconds,
            "selectPolicy": "Min",
            "policies": [{"type": "Pods", "value": 1, "periodSeconds": 300}],
        },
    }


def scaled_object(spec: SlotSpec, prometheus_url: str, wake_query: Any = None) -> dict[str, Any]:
    """`wake_query` (PromQL over the gateway's request counters) is required when the slot can
    scale to zero: vLLM's metrics vanish with the last pod, so they alone never wake it."""
    cfg = spec.config
    scaling = cfg.scaling
    triggers = _prometheus_triggers(spec, prometheus_url)
    annotations: dict[str, str] = {}
    minimum, maximum = spec.min_replicas, spec.max_replicas
    if maximum == 0:
        # An idle slot with no standby replicas: keep the ScaledObject but pin it at 0 (an HPA
        # cannot have maxReplicas 0). Giving the slot replicas again unpauses it.
        annotations["autoscaling.keda.sh/paused-replicas"] = "0"
        minimum, maximum = 0, 1
    elif wakes_from_zero(spec):
        if wake_query is None:
            raise ValueError(f"slot {spec.name} scales to zero and needs a wake query")
        triggers.append({
            "type": "prometheus",
            "name": "wake",
            "metricType": "AverageValue",
            "metadata": {
                "serverAddress": prometheus_url,
                "query": wake_query,
                "threshold": str(WAKE_TARGET_PER_2_MINUTES),
                "activationThreshold": str(scaling.wake_requests - 1),
                "ignoreNullValues": "true",
            },
        })
    fallback_replicas = max(1, minimum) if spec.max_replicas > 0 else 0
    spec_body: dict[str, Any] = {
        "scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": spec.name},
        "minReplicaCount": minimum,
        "maxReplicaCount": maximum,
        "pollingInterval": scaling.polling_seconds,
        "cooldownPeriod": scaling.cooldown_seconds,
        # A new replica reports no queue for its first minutes (node launch, weights loading); don't
        # let KEDA scale a freshly woken slot back to zero before it ever served: the whole
        # computed cold start (twice the worst case, components/coldstart).
        "initialCooldownPeriod": spec.rollout_seconds,
        # Prometheus down or the query failing: hold a safe floor instead of freezing or dropping.
        "fallback": {"failureThreshold": 3, "replicas": min(fallback_replicas, spec.max_replicas)},
        "advanced": {"horizontalPodAutoscalerConfig": {"behavior": _hpa_behavior(scaling)}},
        "triggers": triggers,
    }
    metadata = _meta(spec)
    if annotations:
        metadata["annotations"] = annotations
    return {"apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": metadata, "spec": spec_body}
