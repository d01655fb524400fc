"""Pinned Helm charts and the in-cluster names other components address (one place)."""

KEDA_CHART = "keda"
KEDA_REPO = "https://kedacore.github.io/charts"
KEDA_VERSION = "2.21.1"  # kedacore/charts release v2.21.1 (app v2.21.1)
KEDA_NAMESPACE = "keda"
KEDA_OPERATOR_SA = "keda-operator"

PROMETHEUS_CHART = "kube-prometheus-stack"
PROMETHEUS_REPO = "https://prometheus-community.github.io/helm-charts"
PROMETHEUS_VERSION = "88.2.0"  # ships prometheus-operator v0.93.0, the CRDs in schemas/crds
MONITORING_NAMESPACE = "monitoring"
PROMETHEUS_FULLNAME = "kps"  # fullnameOverride: short, stable service names
PROMETHEUS_URL = f"http://{PROMETHEUS_FULLNAME}-prometheus.{MONITORING_NAMESPACE}.svc:9090"
ALERTMANAGER_SA = f"{PROMETHEUS_FULLNAME}-alertmanager"

# Label the Grafana dashboard sidecar watches for (kube-prometheus-stack default).
DASHBOARD_LABEL = "grafana_dashboard"
