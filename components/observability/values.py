"""Pure Helm values for the cluster services."""

from __future__ import annotations

from typing import Any

from components.nvidia.values import NAMESPACE as NVIDIA_NAMESPACE
from components.observability.alertmanager import SECRET_NAME as RECEIVERS_SECRET
from components.observability.models import ObservabilityConfig
from components.observability.tenancy import grafana_sidecar_restrictions, grafana_values, keda_secret_restrictions, prometheus_tenancy
from components.observability.versions import (
    ALERTMANAGER_SA,
    DASHBOARD_LABEL,
    KEDA_NAMESPACE,
    KEDA_OPERATOR_SA,
    MONITORING_NAMESPACE,
    PROMETHEUS_FULLNAME,
)
from components.placement import SystemPlacement

# Namespaces of the platform's own exporters and rules (excluded from namespace enforcement).
PLATFORM_NAMESPACES = [MONITORING_NAMESPACE, KEDA_NAMESPACE, NVIDIA_NAMESPACE, "kube-system"]

# The system node group is tainted (components/cluster): cluster services tolerate it, GPU nodes
# stay reserved for serving.
_RESTRICTED = {
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
    "readOnlyRootFilesystem": True,
    "seccompProfile": {"type": "RuntimeDefault"},
}


def keda_values(system: SystemPlacement) -> dict[str, Any]:
    return {
        "serviceAccount": {"operator": {"create": True, "name": KEDA_OPERATOR_SA}},
        "podIdentity": {"aws": {"irsa": {"enabled": False}}},
        "nodeSelector": system.node_selector(),
        "tolerations": system.tolerations,
        "securityContext": {"operator": _RESTRICTED, "metricServer": _RESTRICTED, "webhooks": _RESTRICTED},
        "resources": {
            "operator": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}},
            "metricServer": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}},
        },
        "prometheus": {
            "operator": {"enabled": True, "serviceMonitor": {"enabled": True}},
            "metricServer": {"enabled": True, "serviceMonitor": {"enabled": True}},
        },
        "permissions": keda_secret_restrictions(),
    }


def prometheus_stack_values(cfg: ObservabilityConfig, system: SystemPlacement, storage_class: str,
                            alertmanager_config: dict[str, Any] | None = None) -> dict[str, Any]:
    everything: dict[str, Any] = {}  # an empty selector matches every object in every namespace
    return {
        "fullnameOverride": PROMETHEUS_FULLNAME,
        "prometheusOperator": {
            "nodeSelector": system.node_selector(),
            "tolerations": system.tolerations,
            "admissionWebhooks": {"patch": {"nodeSelector": system.node_selector(), "tolerations": system.tolerations}},
        },
        "prometheus": {
            "prometheusSpec": {
                "retention": f"{cfg.retention_days}d",
                # Leave 10% headroom on the volume so compaction never fills it.
                "retentionSize": f"{int(cfg.storage_gib * 0.9)}GB",
                "nodeSelector": system.node_selector(),
                "tolerations": system.tolerations,
                "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"memory": "8Gi"}},
                "storageSpec": {
                    "volumeClaimTemplate": {
                        # Named, not left to a default: the claim binds to the stack's encrypted class.
                        "spec": {"storageClassName": storage_class, "accessModes": ["ReadWriteOnce"],
                                 "resources": {"requests": {"storage": f"{cfg.storage_gib}Gi"}}}
                    }
                },
                # Scrape every ServiceMonitor/PodMonitor and load every PrometheusRule of the
                # platform's namespaces, not only this release's (the serving slots create theirs
                # per namespace).
                "serviceMonitorSelectorNilUsesHelmValues": False,
                "podMonitorSelectorNilUsesHelmValues": False,
                "ruleSelectorNilUsesHelmValues": False,
                "serviceMonitorSelector": everything,
                "podMonitorSelector": everything,
                "ruleSelector": everything,
                # Namespace label enforced, file access denied, only platform namespaces watched.
                **prometheus_tenancy(PLATFORM_NAMESPACES),
            }
        },
        "alertmanager": {
            "enabled": cfg.alertmanager,
            # Named, so its Pod Identity association (SNS publish) binds to a known ServiceAccount.
            "serviceAccount": {"create": True, "name": ALERTMANAGER_SA},
            **({"config": alertmanager_config} if alertmanager_config is not None else {}),
            "alertmanagerSpec": {
                "nodeSelector": system.node_selector(), "tolerations": system.tolerations,
                # Receiver credentials, mounted at /etc/alertmanager/secrets/<name>/ (alertmanager.py).
                **({"secrets": [RECEIVERS_SECRET]} if alertmanager_config is not None else {}),
            },
        },
        "grafana": {
            "enabled": cfg.grafana,
            # Empty: the Grafana chart generates a random admin password into its Secret instead
            # of kube-prometheus-stack's well-known default.
            "adminPassword": "",
            "nodeSelector": system.node_selector(),
            "tolerations": system.tolerations,
            "rbac": grafana_values()["rbac"],
            "sidecar": {
                "dashboards": {"enabled": True, "label": DASHBOARD_LABEL, "labelValue": "1", "searchNamespace": "ALL", "resource": "configmap"},
                "datasources": grafana_sidecar_restrictions()["datasources"],
            },
        },
        "kube-state-metrics": {"nodeSelector": system.node_selector(), "tolerations": system.tolerations},
        # Node metrics from every node, GPU nodes included (they carry the nvidia.com/gpu taint).
        "prometheus-node-exporter": {"tolerations": [{"operator": "Exists"}]},
    }
