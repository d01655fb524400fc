"""Pure renderers for a slot's autoscaling: the KEDA ScaledObject (vLLM queue + KV cache from
Prometheus) and, for slots allowed to scale to zero, the wake-up trigger on the ALB's request
count in CloudWatch with its TriggerAuthentication."""

from __future__ import annotations

import re
from typing import Any

from components.observability.labels import series
from components.observability.versions import PROMETHEUS_URL
from components.serving.manifests import SlotSpec, _meta

WAITING = "vllm:num_requests_waiting"
KV_CACHE = "vllm:kv_cache_usage_perc"
WAKE_TARGET_PER_MINUTE = 600  # ALB requests/min one replica absorbs; only matters before Prometheus has data


def queue_query(spec: SlotSpec) -> str:
    # AverageValue: KEDA divides the sum by the current replicas, so the target is per replica.
    return f"sum({series(WAITING, spec.metrics_selector)})"


def kv_cache_query(spec: SlotSpec) -> str:
    return f"sum({series(KV_CACHE, spec.metrics_selector)})"


def target_group_prefix(namespace: str, service: str) -> str:
    """The name prefix the AWS Load Balancer Controller gives the target group of (namespace,
    service): `k8s-<namespace[:8]>-<service[:8]>-<hash>` with non-alphanumerics removed
    (aws-load-balancer-controller pkg/deploy/elbv2 model builder, buildTargetGroupName)."""
    clean = re.compile(r"[^A-Za-z0-9]")
    return f"k8s-{clean.sub('', namespace)[:8]}-{clean.sub('', service)[:8]}"


def wake_expression(alb_name: str, namespace: str, service: str) -> str:
    """CloudWatch metric math for requests reaching this slot's target group in the last period.

    The ALB is shared by every endpoint (IngressGroup, named after the cluster through the
    `alb.ingress.kubernetes.io/load-balancer-name` annotation), and the controller names target
    groups with a hash we cannot know before it runs. So: SEARCH the ApplicationELB
    RequestCount series by (LoadBalancer, TargetGroup) with unquoted terms, which CloudWatch
    matches token by token against the dimension values (ALB name tokens pick this cluster's ALB,
    the target-group prefix picks this namespace + Service), and SUM them into one series. At zero
    replicas the target group has no registered targets and the ALB answers 503; the wake-up relies
    on that request being counted in the target group's RequestCount (verify on a staging ALB
    before relying on scale to zero in prod: a client retry within the cooldown is the fallback).
    """
    terms = f'MetricName="RequestCount" LoadBalancer={alb_name} TargetGroup={target_group_prefix(namespace, service)}'
    return f"SUM(SEARCH('{{AWS/ApplicationELB,LoadBalancer,TargetGroup}} {terms}', 'Sum', 60))"


def trigger_authentication(spec: SlotSpec) -> dict[str, Any]:
    # KEDA's operator identity (its Pod Identity role, components/observability) reads CloudWatch;
    # serving pods get no CloudWatch permissions.
    return {
        "apiVersion": "keda.sh/v1alpha1",
        "kind": "TriggerAuthentication",
        "metadata": _meta(spec, f"{spec.name}-aws"),
        "spec": {"podIdentity": {"provider": "aws"}},
    }


def wakes_from_zero(spec: SlotSpec) -> bool:
    return spec.scale_to_zero and spec.min_replicas == 0 and spec.max_replicas > 0


def _prometheus_triggers(spec: SlotSpec) -> list[dict[str, Any]]:
    scaling = spec.config.scaling
    triggers: list[dict[str, Any]] = [{
        "type": "prometheus",
        "name": "queue",
        "metricType": "AverageValue",
        "metadata": {
            "serverAddress": PROMETHEUS_URL,
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
                "serverAddress": PROMETHEUS_URL,
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


def scaled_object(spec: SlotSpec, wake_query: Any = None) -> dict[str, Any]:
    """`wake_query` (from wake_expression, possibly an Output) is required when the slot can
    scale to zero: vLLM's metrics vanish with the last pod, so Prometheus alone never wakes it."""
    cfg = spec.config
    scaling = cfg.scaling
    triggers = _prometheus_triggers(spec)
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
            "type": "aws-cloudwatch",
            "name": "wake",
            "metricType": "AverageValue",
            "authenticationRef": {"name": f"{spec.name}-aws"},
            "metadata": {
                "awsRegion": spec.region,
                "expression": wake_query,
                "metricStatPeriod": "60",
                "metricCollectionTime": "300",
                # ALB metrics land in CloudWatch about a minute late.
                "metricEndTimeOffset": "60",
                "targetMetricValue": str(WAKE_TARGET_PER_MINUTE),
                "activationTargetMetricValue": str(scaling.wake_requests - 1),
                "minMetricValue": "0",
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
