"""RateLimitStore: the Redis-compatible store Envoy Gateway's rate-limit service keeps the token
quota counters in. ElastiCache for Valkey (staging, prod) or one Valkey pod (dev); see
docs/quotas.md for the choice. Created only when some endpoint has quotas (infra/__main__.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.k8s import apply
from components.placement import SystemPlacement
from components.ratelimit import render
from components.ratelimit.models import RateLimitStoreConfig
from components.tagging import resource_tags

COMPONENT = "ratelimit-store"


@dataclass
class RateLimitStoreArgs:
    cluster_name: str
    config: RateLimitStoreConfig
    multi_az: bool  # prod: a replica in a second zone with automatic failover
    vpc_id: pulumi.Input[str]
    private_subnet_ids: list[pulumi.Input[str]]
    node_security_group_id: pulumi.Input[str]  # the only source admitted on the store's port
    system: SystemPlacement
    depends_on: list[pulumi.Resource] = field(default_factory=list)  # the system node group (in-cluster store)


class RateLimitStore(pulumi.ComponentResource):
    """Expects opts.providers to hold the AWS provider and the cluster's Kubernetes provider."""

    url: pulumi.Input[str]  # host:port for Envoy Gateway's rateLimit.backend.redis.url
    tls: bool
    values: dict[str, Any]  # the gateway-helm `config.envoyGateway` keys for global rate limiting

    def __init__(self, name: str, args: RateLimitStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:ratelimit:RateLimitStore", name, None, opts)
        if args.config.kind == "in-cluster":
            after_nodes = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
            previous: list[pulumi.Resource] = []
            for obj in render.valkey_objects(args.system):
                previous = [apply(f"{name}-{obj['kind'].lower()}", obj, pulumi.ResourceOptions.merge(after_nodes, pulumi.ResourceOptions(depends_on=previous)))]
            self.url, self.tls = render.in_cluster_url(), False
        else:
            self.url, self.tls = self._elasticache(name, args), True
        self.values = render.rate_limit_values(self.url, self.tls, args.system)
        self.register_outputs({"url": self.url, "tls": self.tls})

    def _elasticache(self, name: str, args: RateLimitStoreArgs) -> pulumi.Output[str]:
        child = pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(f"{name}-key", description=f"{args.cluster_name} gateway quota counters (ElastiCache at rest)",
                          enable_key_rotation=True, deletion_window_in_days=30, tags=resource_tags(COMPONENT, f"{name}-key"), opts=child)
        aws.kms.Alias(f"{name}-key-alias", name=f"alias/{args.cluster_name}-ratelimit", target_key_id=key.key_id, opts=child)
        subnets = aws.elasticache.SubnetGroup(
            f"{name}-subnets", name=f"{args.cluster_name}-ratelimit", description="private subnets of the cluster",
            subnet_ids=args.private_subnet_ids, tags=resource_tags(COMPONENT, f"{name}-subnets"), opts=child,
        )
        sg = aws.ec2.SecurityGroup(
            f"{name}-sg", vpc_id=args.vpc_id, description="ElastiCache quota store: the cluster nodes only, port 6379",
            tags=resource_tags(COMPONENT, f"{name}-sg"), opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-from-nodes", security_group_id=sg.id, referenced_security_group_id=args.node_security_group_id,
            ip_protocol="tcp", from_port=render.PORT, to_port=render.PORT,
            description="Envoy Gateway rate-limit pods (on the cluster nodes)", opts=child,
        )
        group = aws.elasticache.ReplicationGroup(
            f"{name}-valkey", **render.replication_group_args(args.cluster_name, args.config.node_type, args.multi_az),
            kms_key_id=key.arn, subnet_group_name=subnets.name, security_group_ids=[sg.id],
            tags=resource_tags(COMPONENT, f"{name}-valkey"), opts=child,
        )
        return pulumi.Output.concat(group.primary_endpoint_address, f":{render.PORT}")
