"""What the platform's monitoring trusts: the Helm values that keep one namespace's monitors,
rules and Secrets from reaching another's.

- Prometheus (kube-prometheus-stack 88.2.0, prometheus-operator v0.93 API): every series a
  ServiceMonitor/PodMonitor scrapes and every rule a PrometheusRule evaluates is pinned to the
  object's own namespace (`enforcedNamespaceLabel`), so a monitor or rule in one namespace cannot
  feed or read the series another team's slots scale on; monitors may not read files from the
  Prometheus pod (`arbitraryFSAccessThroughSMs.deny`, e.g. its service account token); monitors and
  rules are read only from the platform's namespaces. The platform's own namespaces (its exporters
  relabel series of other namespaces on purpose: kubelet, kube-state-metrics, DCGM) are excluded
  from enforcement. Namespace selectors stay honoured: the chart's kubelet and API server monitors
  live in `monitoring` and select kube-system/default, and enforcement already confines what a
  selector in a serving namespace can produce to that namespace's own label.
- Grafana's dashboard and datasource sidecars read ConfigMaps only, never Secrets.
- KEDA's operator and metrics server read Secrets only in KEDA's namespace (the slots authenticate
  with the operator's Pod Identity, not Secrets).
"""

from __future__ import annotations

from typing import Any

# Label Prometheus sets to the monitor's / rule's namespace (the name the PromQL label model uses).
ENFORCED_LABEL = "namespace"
PLATFORM_LABEL = {"app.kubernetes.io/part-of": "llm-platform"}
MONITOR_RESOURCES = ("servicemonitors", "podmonitors", "prometheusrules")


def prometheus_tenancy(platform_namespaces: list[str]) -> dict[str, Any]:
    """prometheus.prometheusSpec keys. `platform_namespaces`: the platform's own namespaces,
    trusted to label series of other namespaces (excluded from enforcement)."""
    watched = {"matchLabels": dict(PLATFORM_LABEL)}
    return {
        "enforcedNamespaceLabel": ENFORCED_LABEL,
        "excludedFromEnforcement": [
            {"group": "monitoring.coreos.com", "resource": resource, "namespace": ns}
            for ns in sorted(platform_namespaces) for resource in MONITOR_RESOURCES
        ],
        "arbitraryFSAccessThroughSMs": {"deny": True},
        "serviceMonitorNamespaceSelector": watched,
        "podMonitorNamespaceSelector": watched,
        "ruleNamespaceSelector": watched,
    }


def grafana_sidecar_restrictions() -> dict[str, Any]:
    """grafana.sidecar keys merged over the chart's: ConfigMaps only."""
    return {"dashboards": {"resource": "configmap"}, "datasources": {"resource": "configmap"}}


def keda_secret_restrictions() -> dict[str, Any]:
    """KEDA chart `permissions`: Secrets only in KEDA's own namespace."""
    return {"operator": {"restrict": {"secret": True}}, "metricServer": {"restrict": {"secret": True}}}


# Bound to Grafana by its chart (rbac.useExistingClusterRole) instead of the chart's own
# ClusterRole, which grants Secrets everywhere whenever a sidecar is on.
GRAFANA_SIDECAR_ROLE = "llm-platform-grafana-sidecar"


def grafana_sidecar_cluster_role() -> dict[str, Any]:
    return {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": GRAFANA_SIDECAR_ROLE, "labels": dict(PLATFORM_LABEL)},
        "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}],
    }


def grafana_values() -> dict[str, Any]:
    """grafana keys merged over the chart's: ConfigMaps only, through the role above."""
    return {"rbac": {"useExistingClusterRole": GRAFANA_SIDECAR_ROLE}, "sidecar": grafana_sidecar_restrictions()}
