"""Helm values and the ServiceMonitor of the NVIDIA stack, rendered purely.

Device plugin: the EKS Bottlerocket NVIDIA variants ship NVIDIA's device plugin as a host service;
the EKS AL2023 NVIDIA AMI ships driver and container toolkit but not the plugin
(docs.aws.amazon.com/eks/latest/userguide/ml-eks-k8s-device-plugin.html). So the plugin
DaemonSet is deployed only when a pool uses al2023, and only onto those pools' nodes: on a
Bottlerocket node a second plugin would register nvidia.com/gpu twice.
"""

from __future__ import annotations

from typing import Any

from components.gpu_pools.manifests import POOL_LABEL
from components.gpu_pools.models import GpuPoolConfig

NAMESPACE = "nvidia"
DCGM_RELEASE = "dcgm-exporter"
DEVICE_PLUGIN_RELEASE = "nvidia-device-plugin"
METRICS_PORT = "metrics"  # the dcgm-exporter chart's Service port name (9400)

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def nvidia_namespace() -> dict[str, Any]:
    # privileged is the one deviation from restricted here: the device plugin mounts the kubelet's
    # device-plugin socket directory (hostPath) and the DCGM exporter needs SYS_ADMIN for profiling
    # metrics. Nothing else runs in this namespace.
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": NAMESPACE,
            "labels": {
                "app.kubernetes.io/part-of": "llm-platform",
                "pod-security.kubernetes.io/enforce": "privileged",
                "pod-security.kubernetes.io/warn": "baseline",
            },
        },
    }


def pools_needing_device_plugin(pools: list[GpuPoolConfig]) -> list[str]:
    return [p.name for p in pools if p.ami == "al2023"]


def _on_pools(pool_names: list[str]) -> dict[str, Any]:
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    # The shared pool's label, not karpenter.sh/nodepool: each pool renders one NodePool per slot.
                    {"matchExpressions": [{"key": POOL_LABEL, "operator": "In", "values": list(pool_names)}]}
                ]
            }
        }
    }


def device_plugin_values(pool_names: list[str]) -> dict[str, Any]:
    return {
        # Replaces the chart's default affinity on NFD/GFD labels, which these nodes do not carry.
        "affinity": _on_pools(pool_names),
        "tolerations": [dict(GPU_TOLERATION)],
        "priorityClassName": "system-node-critical",
        "gfd": {"enabled": False},
        "nfd": {"enabled": False},
    }


def dcgm_values(pool_names: list[str]) -> dict[str, Any]:
    return {
        "affinity": _on_pools(pool_names),
        "tolerations": [dict(GPU_TOLERATION)],
        "priorityClassName": "system-node-critical",
        # The exporter watches every GPU of its node without claiming any nvidia.com/gpu.
        "extraEnv": [{"name": "NVIDIA_VISIBLE_DEVICES", "value": "all"}],
        # Scraped through our own ServiceMonitor (validated against the CRD in tests).
        "serviceMonitor": {"enabled": False},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "512Mi"}},
    }


def dcgm_service_monitor(namespace: str = NAMESPACE, labels: dict[str, str] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "ServiceMonitor",
        "metadata": {
            "name": DCGM_RELEASE,
            "namespace": namespace,
            "labels": {"app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/part-of": "llm-platform", **(labels or {})},
        },
        "spec": {
            "selector": {"matchLabels": {"app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/instance": DCGM_RELEASE}},
            "namespaceSelector": {"matchNames": [namespace]},
            "endpoints": [
                {
                    "port": METRICS_PORT,
                    "path": "/metrics",
                    "interval": "15s",
                    # Keep the exporter's own pod/namespace/container labels (the GPU's consumer).
                    "honorLabels": True,
                    "relabelings": [
                        {"sourceLabels": ["__meta_kubernetes_pod_node_name"], "targetLabel": "node", "action": "replace"}
                    ],
                }
            ],
        },
    }
