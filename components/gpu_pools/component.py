"""GpuPools ComponentResource: applies the EC2NodeClass and NodePool of every configured pool."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.coldstart.imagecache import ImageSource
from components.gpu_pools.attribution import NodePoolPlan
from components.gpu_pools.manifests import ec2_node_class, node_pool
from components.k8s import apply


@dataclass
class GpuPoolsArgs:
    cluster_name: str
    node_role_name: str
    zones: list[str]
    # attribution.plan_node_pools: one per slot (tagged with its team/model/endpoint) or per shared pool.
    node_pools: list[NodePoolPlan]
    # The Karpenter release: its CRDs and controller must exist before the custom resources.
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    # Pool name -> components.coldstart.imagecache.ImageSource (snapshot or SOCI); plain pull when absent.
    image_sources: dict[str, ImageSource] = field(default_factory=dict)


class GpuPools(pulumi.ComponentResource):
    """Expects opts.providers (or provider) to hold the cluster's Kubernetes provider."""

    pool_names: list[str]

    def __init__(self, name: str, args: GpuPoolsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:gpu_pools:GpuPools", name, None, opts)
        self.pool_names = [p.name for p in args.node_pools]
        for plan in args.node_pools:
            source = args.image_sources.get(plan.pool.name, ImageSource("pull"))
            if source.warning:
                pulumi.log.warn(source.warning, self)
            node_class = apply(
                f"{name}-{plan.name}-nodeclass",
                ec2_node_class(plan, args.cluster_name, args.node_role_name, source.kind, source.snapshot_id),
                pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
            )
            apply(
                f"{name}-{plan.name}-nodepool",
                node_pool(plan, args.zones),
                pulumi.ResourceOptions(parent=self, depends_on=[node_class, *args.depends_on]),
            )
        self.register_outputs({"poolNames": self.pool_names})
