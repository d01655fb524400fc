"""Observability: pinned KEDA and kube-prometheus-stack releases, KEDA's CloudWatch reader role,
cluster-wide GPU alerts."""

from __future__ import annotations

from components.cluster.render import SYSTEM_PLACEMENT
from components.observability import versions
from components.observability.component import Observability, ObservabilityArgs
from components.observability.models import ObservabilityConfig
from llmctl.synth.runner import record
from tests.support.manifests import validation_errors

BOUNDARY = "arn:aws:iam::123456789012:policy/boundary"


def _inventory(**cfg):
    return record(
        lambda: Observability("obs", ObservabilityArgs(config=ObservabilityConfig(**cfg), cluster_name="llm-platform-t", boundary_arn=BOUNDARY, storage_class="gp3-encrypted",
                                                       system=SYSTEM_PLACEMENT)),
        stack="t", config={"aws:region": "us-west-2"},
    )


def test_releases_are_pinned_and_scrape_every_platform_namespace():
    inv = _inventory(retention_days=30, storage_gib=200)
    releases = {r.inputs["chart"]: r.inputs for r in inv.of_type("kubernetes:helm.sh/v3:Release")}
    assert releases["keda"]["version"] == versions.KEDA_VERSION
    assert releases["kube-prometheus-stack"]["version"] == versions.PROMETHEUS_VERSION
    spec = releases["kube-prometheus-stack"]["values"]["prometheus"]["prometheusSpec"]
    assert spec["retention"] == "30d" and spec["storageSpec"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"] == "200Gi"
    for kind in ("serviceMonitor", "podMonitor", "rule"):
        assert spec[f"{kind}SelectorNilUsesHelmValues"] is False
        assert spec[f"{kind}NamespaceSelector"] == {"matchLabels": {"app.kubernetes.io/part-of": "llm-platform"}} and spec[f"{kind}Selector"] == {}
    grafana = releases["kube-prometheus-stack"]["values"]["grafana"]
    assert grafana["sidecar"]["dashboards"]["label"] == versions.DASHBOARD_LABEL and grafana["sidecar"]["dashboards"]["searchNamespace"] == "ALL"
    assert grafana["adminPassword"] == "", "never the chart's well-known default password"
    assert releases["kube-prometheus-stack"]["values"]["fullnameOverride"] == versions.PROMETHEUS_FULLNAME


def test_keda_has_no_aws_role_every_trigger_reads_prometheus(inventories):
    """The wake triggers count requests at the gateway (Prometheus), so KEDA needs no AWS access."""
    inv = _inventory()
    assert not inv.of_type("aws:iam/role:Role") and not inv.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    keda = next(r for r in inv.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == "keda")
    assert keda.inputs["values"]["serviceAccount"]["operator"]["name"] == versions.KEDA_OPERATOR_SA
    for stack, stack_inv in inventories.items():
        triggers = [t for _, o in stack_inv.kubernetes_objects() if o["kind"] == "ScaledObject" for t in o["spec"]["triggers"]]
        assert triggers and {t["type"] for t in triggers} == {"prometheus"}, stack
        # the address the Observability component passed down (infra/__main__.py), the one Prometheus it installs
        assert {t["metadata"]["serverAddress"] for t in triggers} == {versions.PROMETHEUS_URL}, stack
        assert not [a for a in stack_inv.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                    if a.inputs["namespace"] == versions.KEDA_NAMESPACE], stack


def test_cluster_alerts_cover_gpu_xid_errors_and_validate():
    inv = _inventory()
    rules = [obj for _, obj in inv.kubernetes_objects() if obj["kind"] == "PrometheusRule"]
    (rule,) = rules
    assert validation_errors(rule, "1.34") == []
    exprs = " ".join(r["expr"] for r in rule["spec"]["groups"][0]["rules"])
    assert "DCGM_FI_DEV_XID_ERRORS" in exprs
    for _, obj in inv.kubernetes_objects():
        assert validation_errors(obj, "1.34") == []


def test_cluster_services_run_on_the_tainted_system_nodes():
    from components.observability.values import keda_values, prometheus_stack_values

    selector = {"node-role": "system"}
    tolerations = [{"key": "CriticalAddonsOnly", "operator": "Exists", "effect": "NoSchedule"}]
    keda = keda_values(SYSTEM_PLACEMENT)
    assert keda["nodeSelector"] == selector and keda["tolerations"] == tolerations
    kps = prometheus_stack_values(ObservabilityConfig(), SYSTEM_PLACEMENT, "gp3-encrypted")
    placed = [
        kps["prometheusOperator"], kps["prometheusOperator"]["admissionWebhooks"]["patch"], kps["prometheus"]["prometheusSpec"],
        kps["alertmanager"]["alertmanagerSpec"], kps["grafana"], kps["kube-state-metrics"],
    ]
    for section in placed:
        assert section["nodeSelector"] == selector and section["tolerations"] == tolerations
    assert tolerations[0]["key"] == "CriticalAddonsOnly"
    assert kps["prometheus-node-exporter"]["tolerations"] == [{"operator": "Exists"}]


def test_prometheus_grafana_and_keda_trust_no_stranger():
    from components.observability.tenancy import GRAFANA_SIDECAR_ROLE

    inv = _inventory()
    releases = {r.inputs["chart"]: r.inputs for r in inv.of_type("kubernetes:helm.sh/v3:Release")}
    values = releases["kube-prometheus-stack"]["values"]
    spec = values["prometheus"]["prometheusSpec"]
    assert spec["enforcedNamespaceLabel"] == "namespace"
    assert spec["arbitraryFSAccessThroughSMs"] == {"deny": True}
    assert "ignoreNamespaceSelectors" not in spec  # the chart's kubelet/apiserver monitors select kube-system/default
    excluded = {(e["namespace"], e["resource"]) for e in spec["excludedFromEnforcement"]}
    assert excluded == {(ns, r) for ns in ("monitoring", "keda", "nvidia", "kube-system") for r in ("servicemonitors", "podmonitors", "prometheusrules")}
    assert not [e for e in spec["excludedFromEnforcement"] if e["namespace"].startswith("llm-")]
    grafana = values["grafana"]
    assert grafana["rbac"] == {"useExistingClusterRole": GRAFANA_SIDECAR_ROLE}
    assert grafana["sidecar"]["dashboards"]["resource"] == grafana["sidecar"]["datasources"]["resource"] == "configmap"
    [role] = [o for _, o in inv.kubernetes_objects() if o["kind"] == "ClusterRole"]
    assert role["metadata"]["name"] == GRAFANA_SIDECAR_ROLE
    assert role["rules"] == [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list", "watch"]}]
    assert validation_errors(role, "1.34") == []
    assert releases["keda"]["values"]["permissions"] == {"operator": {"restrict": {"secret": True}}, "metricServer": {"restrict": {"secret": True}}}
