"""Helm values of the Karpenter chart (oci://public.ecr.aws/karpenter/karpenter), rendered purely."""

from __future__ import annotations

from typing import Any

from components.karpenter.iam import SERVICE_ACCOUNT
from components.karpenter.models import KarpenterConfig
from components.placement import SystemPlacement


def karpenter_values(cluster_name: str, queue_name: str, cfg: KarpenterConfig, system: SystemPlacement) -> dict[str, Any]:
    resources = {"cpu": cfg.cpu, "memory": f"{cfg.memory_mib}Mi"}
    return {
        "replicas": cfg.replicas,
        "logLevel": cfg.log_level,
        # The service account is bound to the controller role by an EKS Pod Identity association,
        # so it carries no eks.amazonaws.com/role-arn annotation.
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        # reservedCapacity: ODCR / Capacity Block support (capacity type `reserved`); beta and on by
        # default since 1.6, pinned on here so a chart default change cannot strand reserved pools
        # (charts/karpenter/values.yaml settings.featureGates, v1.14.1).
        # nodeRepair (alpha, off by default in the chart's settings.featureGates): replace a node
        # whose AcceleratedHardwareReady (eks-node-monitoring-agent) is False for 10 min, or
        # whose Ready is False/Unknown for 30 min. Forceful: no PDB or do-not-disrupt waits
        # (karpenter.sh/docs/concepts/disruption, Node Auto Repair; README "GPU node repair").
        "settings": {"clusterName": cluster_name, "interruptionQueue": queue_name, "featureGates": {"reservedCapacity": True, "nodeRepair": True}},
        "priorityClassName": "system-cluster-critical",
        # Karpenter must never run on nodes it manages (it would disrupt itself): system nodes only,
        # which carry the CriticalAddonsOnly taint.
        "nodeSelector": system.node_selector(**{"kubernetes.io/os": "linux"}),
        "tolerations": system.tolerations,
        "affinity": {
            "nodeAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": {
                    "nodeSelectorTerms": [{"matchExpressions": [{"key": "karpenter.sh/nodepool", "operator": "DoesNotExist"}]}]
                }
            },
            "podAntiAffinity": {
                "requiredDuringSchedulingIgnoredDuringExecution": [
                    {"topologyKey": "kubernetes.io/hostname", "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "karpenter"}}}
                ]
            },
        },
        "topologySpreadConstraints": [
            {"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway"}
        ],
        "podDisruptionBudget": {"name": "karpenter", "maxUnavailable": 1},
        # Requests == limits: the controller is Guaranteed QoS and is never the first evicted.
        "controller": {"resources": {"requests": resources, "limits": resources}},
    }
