"""Observability section: in-cluster Prometheus (kube-prometheus-stack), Grafana and KEDA."""

from __future__ import annotations

from pydantic import Field

from components.config_base import ConfigModel


class ObservabilityConfig(ConfigModel):
    retention_days: int = Field(default=15, ge=1, le=365, description="Prometheus TSDB retention.")
    storage_gib: int = Field(default=100, ge=10, le=16000, description="Prometheus persistent volume (gp3, encrypted by the cluster's StorageClass).")
    grafana: bool = Field(default=True, description="Install Grafana (dashboards load from ConfigMaps labelled grafana_dashboard: \"1\").")
    alertmanager: bool = Field(default=True, description="Install Alertmanager (routes are configured per organisation, outside this stack).")
