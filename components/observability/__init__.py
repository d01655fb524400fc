"""Cluster services every serving slot relies on: KEDA (autoscaling on Prometheus queries, the
gateway's request counters included) and kube-prometheus-stack (metrics, alerts, dashboards). The DCGM exporter is installed by
components/nvidia; its metrics feed the GPU alerts here."""
