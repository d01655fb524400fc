"""Pure renderer for the cluster-wide PrometheusRule: GPU health (DCGM exporter metrics) and the
autoscaler itself. Per-slot serving alerts live in components/serving/alerts.py."""

from __future__ import annotations

from typing import Any

from components.observability.labels import NODE
from components.observability.versions import MONITORING_NAMESPACE


def rules() -> list[dict[str, Any]]:
    return [
        {
            "alert": "GpuXidError",
            # DCGM_FI_DEV_XID_ERRORS holds the last XID code seen on the GPU (0 = none); XIDs
            # 48/63/64/74/79/94/95 mean ECC, NVLink or fallen-off-the-bus faults that need a node
            # replacement, so every non-zero value pages.
            "expr": f"max by ({NODE}, gpu, modelName) (DCGM_FI_DEV_XID_ERRORS) > 0",
            "for": "0m",
            "labels": {"severity": "critical"},
            "annotations": {"summary": "GPU {{ $labels.gpu }} on {{ $labels.node }} reported XID {{ $value }}; node repair replaces it after 10 min (AcceleratedHardwareReady)"},
        },
        {
            "alert": "GpuTooHot",
            "expr": f"max by ({NODE}, gpu) (DCGM_FI_DEV_GPU_TEMP) > 87",
            "for": "10m",
            "labels": {"severity": "warning"},
            "annotations": {"summary": "GPU {{ $labels.gpu }} on {{ $labels.node }} above 87C for 10 min (thermal throttling)"},
        },
        {
            "alert": "KedaScalerErrors",
            # A failing trigger (Prometheus unreachable, CloudWatch denied) freezes a slot at its
            # fallback size, or keeps a scaled-to-zero slot asleep.
            # The ScaledObject's own namespace label collides with the operator's target label, so
            # Prometheus keeps it as exported_namespace (honor_labels false).
            "expr": "sum by (exported_namespace, scaledObject, scaler) (rate(keda_scaler_errors_total[5m])) > 0",
            "for": "10m",
            "labels": {"severity": "warning"},
            "annotations": {"summary": "KEDA scaler {{ $labels.scaler }} of {{ $labels.exported_namespace }}/{{ $labels.scaledObject }} is failing"},
        },
    ]


def prometheus_rule(name: str) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": {"name": name, "namespace": MONITORING_NAMESPACE, "labels": {"app.kubernetes.io/part-of": "llm-platform"}},
        "spec": {"groups": [{"name": "gpu-and-autoscaling", "rules": rules()}]},
    }
