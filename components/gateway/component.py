"""GatewayPlatform: the stack's inference gateway. The AWS Load Balancer Controller (for the NLB),
Envoy Gateway (with the Gateway API CRDs), the InferencePool CRD, Envoy AI Gateway, then the
GatewayClass, its EnvoyProxy (proxies on system nodes behind the NLB) and the one Gateway with a
listener per endpoint host. Endpoints attach their routes to it (components.endpoint)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
from pulumi_kubernetes.yaml.v2 import ConfigFile

from components.gateway import access, platform, versions
from components.gateway.keystore import team_key_values
from components.gateway.lb_controller import LbController, LbControllerArgs
from components.gateway.models import GatewayConfig
from components.gateway.names import GATEWAY_NAMESPACE, gateway_name
from components.helm import helm_release
from components.k8s import apply
from components.placement import SystemPlacement


@dataclass
class GatewayPlatformArgs:
    cluster_name: str
    region: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: pulumi.Input[str]
    boundary_arn: pulumi.Input[str]
    config: GatewayConfig
    hosts: dict[str, str]  # endpoint name -> host
    teams: list[str]  # every team that may hold API keys
    stack_tags: dict[str, str]
    system: SystemPlacement  # the system nodes controllers and proxies run on (from the cluster)
    depends_on: list[pulumi.Resource] = field(default_factory=list)  # the system node group, the pod identity agent
    rate_limit: dict[str, Any] | None = None  # Envoy Gateway's global rate-limit values (components.ratelimit), with quotas only
    lua: bool = False  # admit the priorities' Lua filters (components.gateway.priorities), with priorities only


class GatewayPlatform(pulumi.ComponentResource):
    """Expects opts.providers to hold the AWS provider and the cluster's Kubernetes provider."""

    gateway_name: str
    gateway_namespace: str
    ready: list[pulumi.Resource]  # what routes, pools and gateway policies must wait for
    key_values: dict[str | None, pulumi.Output[str]]  # team (None = release tooling) -> Secrets Manager value

    def __init__(self, name: str, args: GatewayPlatformArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:gateway:GatewayPlatform", name, None, opts)
        cluster, nodes = args.cluster_name, args.system
        lb = LbController(
            f"{name}-lb",
            LbControllerArgs(cluster_name=cluster, region=args.region, vpc_id=args.vpc_id, boundary_arn=args.boundary_arn,
                             gateway=args.config, stack_tags=args.stack_tags, system=nodes, depends_on=args.depends_on),
            opts=pulumi.ResourceOptions(parent=self),
        )
        after_nodes = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        pool_crds = ConfigFile(f"{name}-inference-pool-crds", file=versions.INFERENCE_POOL_CRDS_URL, opts=after_nodes)
        objective_crd = ConfigFile(f"{name}-inference-objective-crd", file=versions.OBJECTIVE_CRD_URL, opts=after_nodes)
        envoy_gateway = helm_release(
            f"{name}-envoy-gateway", release_name="eg", chart=versions.ENVOY_GATEWAY_CHART, version=versions.ENVOY_GATEWAY_VERSION,
            namespace=GATEWAY_NAMESPACE, create_namespace=True, values=platform.envoy_gateway_values(nodes, args.rate_limit, args.lua),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[pool_crds, *args.depends_on]),
        )
        ai_crds = helm_release(
            f"{name}-ai-gateway-crds", release_name="aieg-crd", chart=versions.AI_GATEWAY_CRDS_CHART,
            version=versions.AI_GATEWAY_VERSION, namespace=versions.AI_GATEWAY_NAMESPACE, create_namespace=True, opts=after_nodes,
        )
        ai_gateway = helm_release(
            f"{name}-ai-gateway", release_name="aieg", chart=versions.AI_GATEWAY_CHART, version=versions.AI_GATEWAY_VERSION,
            namespace=versions.AI_GATEWAY_NAMESPACE, values=platform.ai_gateway_values(nodes),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[ai_crds, envoy_gateway]),
        )
        after_gateway = pulumi.ResourceOptions(parent=self, depends_on=[envoy_gateway, ai_gateway, lb.release])
        proxy = apply(f"{name}-envoy-proxy", platform.envoy_proxy(cluster, args.config, args.vpc_cidr, nodes), after_gateway)
        klass = apply(f"{name}-gateway-class", platform.gateway_class(cluster), pulumi.ResourceOptions(parent=self, depends_on=[proxy]))
        gateway = apply(f"{name}-gateway", platform.gateway(cluster, args.config, args.hosts),
                        pulumi.ResourceOptions(parent=self, depends_on=[klass]))

        apply(f"{name}-identity-headers", access.identity_headers_policy(gateway_name(cluster), GATEWAY_NAMESPACE),
              pulumi.ResourceOptions(parent=self, depends_on=[gateway]))
        # With gateway.oidc the IdP's tokens replace API keys: no key secrets to create or read.
        self.key_values = {} if args.config.oidc else team_key_values(name, cluster, args.teams, self)
        self.gateway_name = gateway_name(cluster)
        self.gateway_namespace = GATEWAY_NAMESPACE
        self.ready = [gateway, ai_gateway, pool_crds, objective_crd]
        self.register_outputs({"gateway": self.gateway_name, "namespace": self.gateway_namespace, "lbControllerRoleArn": lb.role_arn})
