"""NvidiaStack ComponentResource: DCGM exporter (+ ServiceMonitor) on every GPU pool, NVIDIA device
plugin on the pools whose AMI lacks it."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.gpu_pools.models import GpuPoolConfig
from components.helm import helm_release
from components.k8s import apply
from components.nvidia import versions
from components.nvidia.values import (
    DCGM_RELEASE,
    DEVICE_PLUGIN_RELEASE,
    NAMESPACE,
    dcgm_service_monitor,
    dcgm_values,
    device_plugin_values,
    nvidia_namespace,
    pools_needing_device_plugin,
)


@dataclass
class NvidiaStackArgs:
    pools: list[GpuPoolConfig]
    # Labels Prometheus selects ServiceMonitors by (e.g. {"release": "kube-prometheus-stack"}).
    monitor_labels: dict[str, str] = field(default_factory=dict)
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class NvidiaStack(pulumi.ComponentResource):
    """Expects opts.providers (or provider) to hold the cluster's Kubernetes provider."""

    def __init__(self, name: str, args: NvidiaStackArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:nvidia:NvidiaStack", name, None, opts)
        all_pools = [p.name for p in args.pools]
        plugin_pools = pools_needing_device_plugin(args.pools)
        namespace = apply(f"{name}-namespace", nvidia_namespace(), pulumi.ResourceOptions(parent=self))
        after = pulumi.ResourceOptions(parent=self, depends_on=[namespace, *args.depends_on])
        if plugin_pools:
            helm_release(
                f"{name}-device-plugin",
                release_name=DEVICE_PLUGIN_RELEASE,
                chart=versions.DEVICE_PLUGIN_CHART,
                version=versions.DEVICE_PLUGIN_VERSION,
                repository=versions.DEVICE_PLUGIN_REPOSITORY,
                namespace=NAMESPACE,
                values=device_plugin_values(plugin_pools),
                opts=after,
            )
        # No GPU node may exist yet (pools scale from zero): a DaemonSet with no pods is ready,
        # so an atomic install does not wait for GPU nodes.
        dcgm = helm_release(
            f"{name}-dcgm-exporter",
            release_name=DCGM_RELEASE,
            chart=versions.DCGM_EXPORTER_CHART,
            version=versions.DCGM_EXPORTER_VERSION,
            repository=versions.DCGM_EXPORTER_REPOSITORY,
            namespace=NAMESPACE,
            values=dcgm_values(all_pools),
            opts=after,
        )
        apply(
            f"{name}-dcgm-exporter",
            dcgm_service_monitor(NAMESPACE, args.monitor_labels),
            pulumi.ResourceOptions(parent=self, depends_on=[dcgm]),
        )
        self.register_outputs({"devicePluginPools": plugin_pools, "namespace": NAMESPACE})
