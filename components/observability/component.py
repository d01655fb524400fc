"""Observability: KEDA (every trigger reads Prometheus, so it has no AWS role) and kube-prometheus-stack,
pinned Helm releases, plus the cluster-wide GPU/autoscaler alert rules.

Expects opts.providers to hold the AWS provider and the cluster's Kubernetes provider. Serving
slots pass this component in their `depends_on` so their ScaledObjects, PodMonitors and
PrometheusRules are created after the CRDs exist.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.helm import helm_release
from components.k8s import apply
from components.observability import alertmanager, alerts, metering, versions
from components.observability.models import ObservabilityConfig, ReceiverConfig
from components.observability.tenancy import grafana_sidecar_cluster_role
from components.observability.values import keda_values, prometheus_stack_values
from components.placement import SystemPlacement
from components.pod_identity import pod_identity_role
from components.tagging import resource_tags

COMPONENT = "observability"


def namespace(name: str, pod_security: str) -> dict:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "llm-platform", "pod-security.kubernetes.io/enforce": pod_security}},
    }


@dataclass
class ObservabilityArgs:
    config: ObservabilityConfig
    cluster_name: pulumi.Input[str]
    boundary_arn: pulumi.Input[str]
    storage_class: str  # the StorageClass the Prometheus claim names (the cluster's encrypted default class)
    system: SystemPlacement  # the system nodes cluster services run on (from the cluster)
    depends_on: list[pulumi.Resource] = field(default_factory=list)  # e.g. the system node group
    team_receivers: dict[str, ReceiverConfig] = field(default_factory=dict)  # llm-platform:teams.<team>.alerts
    # Token metering (components/observability/metering.py): the stack's gateway proxies, their
    # namespace, and endpoint -> (namespace, served model names).
    gateway_proxy_labels: dict[str, str] = field(default_factory=dict)
    gateway_namespace: str = ""
    served_models: dict[str, tuple[str, list[str]]] = field(default_factory=dict)


class Observability(pulumi.ComponentResource):
    prometheus_url: str
    ready: list[pulumi.Resource]  # what CRD users must wait for

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:observability:Observability", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        after_nodes = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))

        monitoring_ns = apply(
            # privileged: node-exporter reads the host's /proc and /sys with host PID and network.
            f"{name}-monitoring-ns", namespace(versions.MONITORING_NAMESPACE, "privileged"), child
        )
        keda_ns = apply(f"{name}-keda-ns", namespace(versions.KEDA_NAMESPACE, "restricted"), child)
        # Grafana's sidecars get ConfigMaps only (components/observability/tenancy.py).
        grafana_role = [apply(f"{name}-grafana-sidecar-role", grafana_sidecar_cluster_role(), child)] if cfg.grafana else []
        alerting, alerting_ready = self._alerting(name, args, monitoring_ns, after_nodes) if cfg.alertmanager else (None, [])

        prometheus = helm_release(
            f"{name}-prometheus",
            release_name="kube-prometheus-stack",
            chart=versions.PROMETHEUS_CHART,
            version=versions.PROMETHEUS_VERSION,
            repository=versions.PROMETHEUS_REPO,
            namespace=versions.MONITORING_NAMESPACE,
            cleanup_on_fail=True,
            timeout=900,
            values=prometheus_stack_values(cfg, args.system, args.storage_class, alerting),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[monitoring_ns, *grafana_role, *args.depends_on, *alerting_ready]),
        )

        keda = helm_release(
            f"{name}-keda",
            release_name="keda",
            chart=versions.KEDA_CHART,
            version=versions.KEDA_VERSION,
            repository=versions.KEDA_REPO,
            namespace=versions.KEDA_NAMESPACE,
            cleanup_on_fail=True,
            values=keda_values(args.system),
            # The ServiceMonitors in its values need the Prometheus operator's CRDs.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[keda_ns, prometheus]),
        )
        after_prometheus = pulumi.ResourceOptions(parent=self, depends_on=[prometheus])
        apply(f"{name}-cluster-alerts", alerts.prometheus_rule("llm-platform-gpu"), after_prometheus)
        if args.gateway_proxy_labels:
            apply(f"{name}-gateway-metering-monitor", metering.proxy_pod_monitor(args.gateway_proxy_labels, args.gateway_namespace), after_prometheus)
            apply(f"{name}-gateway-metering-rules", metering.prometheus_rule(args.served_models), after_prometheus)

        self.prometheus_url = versions.PROMETHEUS_URL
        self.ready = [prometheus, keda]
        self.register_outputs({"prometheusUrl": self.prometheus_url})

    def _alerting(self, name: str, args: ObservabilityArgs, monitoring_ns: pulumi.Resource,
                  after_nodes: pulumi.ResourceOptions) -> tuple[dict, list[pulumi.Resource]]:
        """Alertmanager's config, plus what it needs first: the Secret of credential files (from
        Pulumi secrets) and, for SNS receivers, a Pod Identity role that may publish to them only."""
        alerting = args.config.alerting
        ready: list[pulumi.Resource] = []
        files = alertmanager.secret_files(alerting.receiver, args.team_receivers)
        if files:
            project = pulumi.Config("llm-platform")
            values = {file: project.require_secret(key) for file, key in files.items()}
            ready.append(apply(f"{name}-alertmanager-receivers", alertmanager.receivers_secret(versions.MONITORING_NAMESPACE, values),
                               pulumi.ResourceOptions(parent=self, depends_on=[monitoring_ns])))
        topics = alertmanager.topic_arns(alerting, args.team_receivers)
        if topics:
            role, association = pod_identity_role(
                f"{name}-alertmanager", f"{name}-alertmanager", name=f"{name}-alertmanager", cluster_name=args.cluster_name, namespace=versions.MONITORING_NAMESPACE,
                service_account=versions.ALERTMANAGER_SA, boundary_arn=args.boundary_arn, tags=resource_tags(COMPONENT, f"{name}-alertmanager"),
                opts=pulumi.ResourceOptions(parent=self), association_opts=after_nodes, description="Alertmanager: publish alerts to the stack's SNS topics",
            )
            aws.iam.RolePolicy(f"{name}-alertmanager-sns", role=role.id, policy=json.dumps(alertmanager.sns_publish_policy(topics)),
                               opts=pulumi.ResourceOptions(parent=self))
            ready.append(association)
        return alertmanager.alertmanager_config(alerting, args.team_receivers), ready
