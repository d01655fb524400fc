"""GpuPools ComponentResource: applies the EC2NodeClass and NodePool of every configured pool."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.coldstart.imagecache import ImageSource
from components.gpu_pools.manifests import ec2_node_class, node_pool
from components.gpu_pools.models import GpuPoolConfig
from components.k8s import apply


@dataclass
class GpuPoolsArgs:
    cluster_name: str
    node_role_name: str
    zones: list[str]
    pools: list[GpuPoolConfig]
    tags: dict[str, str]
    # The Karpenter release: its CRDs and controller must exist before the custom resources.
    depends_on: list[pulumi.Resource] = field(default_factory=list)
    # Pool name -> components.coldstart.imagecache.ImageSource (snapshot or SOCI); plain pull when absent.
    image_sources: dict[str, ImageSource] = field(default_factory=dict)


class GpuPools(pulumi.ComponentResource):
    """Expects opts.providers (or provider) to hold the cluster's Kubernetes provider."""

    pool_names: list[str]

    def __init__(self, name: str, args: GpuPoolsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:gpu_pools:GpuPools", name, None, opts)
        self.pool_names = [p.name for p in args.pools]
        for pool in args.pools:
            source = args.image_sources.get(pool.name, ImageSource("pull"))
            if source.warning:
                pulumi.log.warn(source.warning, self)
            node_class = apply(
                f"{name}-{pool.name}-nodeclass",
                ec2_node_class(pool, args.cluster_name, args.node_role_name, args.tags, source.kind, source.snapshot_id),
                pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
            )
            apply(
                f"{name}-{pool.name}-nodepool",
                node_pool(pool, args.zones),
                pulumi.ResourceOptions(parent=self, depends_on=[node_class, *args.depends_on]),
            )
        self.register_outputs({"poolNames": self.pool_names})
