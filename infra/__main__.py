"""Composition root: validated config -> providers -> components in dependency order -> exports.

No resources are defined here directly; each concept lives in its component under components/.
"""

import pulumi

from components.admission.component import Admission, AdmissionArgs
from components.boundary.component import Boundary, BoundaryArgs
from components.cluster.component import Cluster, ClusterArgs
from components.cluster.render import SYSTEM_PLACEMENT
from components.coldstart import imagecache
from components.cost.component import CostAllocation, CostAllocationArgs
from components.cost.storage import TeamVolumes, TeamVolumesArgs
from components.cost.volumes import STORAGE_CLASS
from components.endpoint.component import Endpoint, EndpointArgs
from components.endpoint.models import SLOTS
from components.endpoint.names import namespace
from components.gateway.component import GatewayPlatform, GatewayPlatformArgs
from components.gateway.names import GATEWAY_NAMESPACE, proxy_pod_labels
from components.gateway.priorities import needs_priorities, team_classes
from components.gateway.quotas import has_quotas
from components.gpu_pools.attribution import plan_node_pools
from components.gpu_pools.component import GpuPools, GpuPoolsArgs
from components.karpenter.component import Karpenter, KarpenterArgs
from components.karpenter.iam import node_role_name
from components.model_store.component import ModelStore, ModelStoreArgs
from components.network.component import Network, NetworkArgs
from components.nvidia.component import NvidiaStack, NvidiaStackArgs
from components.observability.component import Observability, ObservabilityArgs
from components.observability.metering import served_models
from components.protection import protect_stateful
from components.ratelimit.component import RateLimitStore, RateLimitStoreArgs
from components.registry.component import Registry, RegistryArgs, resolve_image
from infra.config import ConfigError, config_from_pulumi, load_config
from infra.providers import aws_provider, cluster_name

try:
    cfg = load_config(*config_from_pulumi())
except ConfigError as exc:
    raise pulumi.RunError(str(exc)) from None
for warning in cfg.warnings():
    pulumi.log.warn(warning)

if cfg.is_prod:
    # Before any resource: every stateful resource of the stack (components/protection.py).
    pulumi.runtime.register_stack_transformation(protect_stateful)

aws = aws_provider(cfg)
aws_opts = pulumi.ResourceOptions(provider=aws)
name = cluster_name(cfg)

# --- aws core: boundary, network, cluster ---
boundary = Boundary(name, BoundaryArgs(cluster_name=name, region=cfg.region, passed_role_name=node_role_name(name)), opts=aws_opts)
network = Network(
    name,
    NetworkArgs(config=cfg.network, cluster_name=name, region=cfg.region, boundary_arn=boundary.policy_arn),
    opts=aws_opts,
)
cluster = Cluster(
    name,
    ClusterArgs(
        config=cfg.cluster, cluster_name=name, region=cfg.region, vpc_id=network.vpc_id, vpc_cidr=network.vpc_cidr,
        private_subnet_ids=network.private_subnet_ids, intra_subnet_ids=network.intra_subnet_ids,
        boundary_arn=boundary.workload_arn, controller_boundary_arn=boundary.controller_arn, stack_tags=dict(cfg.tags),
    ),
    opts=aws_opts,
)
platform_opts = pulumi.ResourceOptions(providers=[aws, cluster.k8s_provider])

pulumi.export("clusterName", name)
pulumi.export("region", cfg.region)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("clusterEndpoint", cluster.endpoint)
pulumi.export("oidcIssuer", cluster.oidc_issuer)

# --- cost ---
cost = CostAllocation(name, CostAllocationArgs(config=cfg.cost, environment=cfg.environment, teams=dict(cfg.teams)), opts=aws_opts)

TeamVolumes(
    f"{name}-volumes",
    TeamVolumesArgs(
        namespace_teams={namespace(e): ep.team for e, ep in cfg.endpoints.items()},
        namespace_owners={namespace(e): cfg.teams[ep.team].owner for e, ep in cfg.endpoints.items() if ep.team in cfg.teams and cfg.teams[ep.team].owner},
        stack_tags=dict(cfg.tags), kms_key_arn=cluster.ebs_key.arn, depends_on=[cluster.system_node_group],
    ),
    opts=platform_opts,
)

# --- gpu capacity: karpenter, gpu pools ---
karpenter = Karpenter(
    f"{name}-karpenter",
    KarpenterArgs(
        cluster_name=name, cluster_arn=cluster.arn, boundary_policy_arn=boundary.workload_arn, controller_boundary_arn=boundary.controller_arn,
        config=cfg.gpu.karpenter,
        system=SYSTEM_PLACEMENT, depends_on=[cluster.system_node_group],
    ),
    opts=platform_opts,
)
# The image cache `llmctl image cache` recorded for this stack, used only while it holds the
# serving image the stack runs (else SOCI parallel pull and a warning).
image_sources = imagecache.image_sources(
    list(cfg.gpu.pools), imagecache.load_record(pulumi.get_stack()), cfg.region, imagecache.serving_key(cfg.registry)
)
gpu_pools = GpuPools(
    f"{name}-gpu",
    GpuPoolsArgs(
        cluster_name=name, node_role_name=karpenter.node_role_name, zones=network.azs,
        node_pools=plan_node_pools(list(cfg.gpu.pools), cfg.endpoints, cfg.teams, cfg.tags), image_sources=image_sources,
        depends_on=[karpenter.release],
    ),
    opts=platform_opts,
)
pulumi.export("karpenterNodeRoleArn", karpenter.node_role_arn)
pulumi.export("karpenterInterruptionQueue", karpenter.queue_name)

# --- serving: registry + image, model store, observability (KEDA, Prometheus) ---
registry = Registry(f"{name}-registry", RegistryArgs(config=cfg.registry, repository_name=f"{name}/vllm-serving"), opts=aws_opts)
model_store = ModelStore(
    f"{name}-models",
    ModelStoreArgs(
        config=cfg.model_store, name_prefix=name, region=cfg.region, vpc_id=network.vpc_id, route_table_ids=network.private_route_table_ids,
        models=[s.model for e in cfg.endpoints.values() for s in (e.slots.blue, e.slots.green) if s.model and s.weights == "s3"],
    ),
    opts=aws_opts,
)
observability = Observability(
    f"{name}-observability",
    ObservabilityArgs(
        config=cfg.observability, cluster_name=cluster.name, boundary_arn=boundary.policy_arn,
        system=SYSTEM_PLACEMENT, storage_class=STORAGE_CLASS, depends_on=[cluster.system_node_group],
        team_receivers={team: t.alerts for team, t in cfg.teams.items() if t.alerts is not None},
        gateway_proxy_labels=proxy_pod_labels(name), gateway_namespace=GATEWAY_NAMESPACE, served_models=served_models(cfg.endpoints),
    ),
    opts=platform_opts,
)
pulumi.export("repositoryUrl", registry.repository_url)
pulumi.export("servingImage", registry.image_ref)
pulumi.export("modelBucket", model_store.bucket_name)
pulumi.export("weightCache", {model: cache.bucket for model, cache in model_store.caches.items()})  # model -> directory bucket

# --- gpu capacity: nvidia stack (its ServiceMonitor needs the Prometheus operator CRDs) ---
nvidia = NvidiaStack(
    f"{name}-nvidia", NvidiaStackArgs(pools=list(cfg.gpu.pools), depends_on=[karpenter.release, observability]), opts=platform_opts
)

# --- endpoints: the quota store (only with quotas), the inference gateway, then one blue-green Endpoint per llm-platform:endpoints entry ---
store = RateLimitStore(
    f"{name}-ratelimit",
    RateLimitStoreArgs(
        cluster_name=name, config=cfg.gateway.rate_limit_store, multi_az=cfg.is_prod, vpc_id=network.vpc_id,
        private_subnet_ids=network.private_subnet_ids, node_security_group_id=cluster.node_security_group_id,
        system=SYSTEM_PLACEMENT, depends_on=[cluster.system_node_group],
    ),
    opts=platform_opts,
) if has_quotas(cfg.endpoints) else None
team_priorities = team_classes(cfg.teams)
gateway = GatewayPlatform(
    f"{name}-gateway",
    GatewayPlatformArgs(
        cluster_name=name, region=cfg.region, vpc_id=network.vpc_id, vpc_cidr=network.vpc_cidr, boundary_arn=boundary.policy_arn,
        config=cfg.gateway, hosts={n: e.route.host for n, e in cfg.endpoints.items()},
        teams=sorted({*cfg.teams, *(e.team for e in cfg.endpoints.values())}), stack_tags=dict(cfg.tags),
        system=SYSTEM_PLACEMENT, depends_on=[cluster.system_node_group], rate_limit=store.values if store else None,
        lua=any(needs_priorities(e, team_priorities) for e in cfg.endpoints.values()),
    ),
    opts=platform_opts,
)
endpoints = {
    endpoint_name: Endpoint(
        endpoint_name,
        EndpointArgs(
            config=endpoint, gateway=cfg.gateway, cluster_name=name, environment=cfg.environment, region=cfg.region,
            vpc_cidr=network.vpc_cidr, pool=cfg.gpu.pool(endpoint.pool),
            images={s: resolve_image(getattr(endpoint.slots, s).image, registry) for s in SLOTS if not getattr(endpoint.slots, s).empty},
            boundary_arn=boundary.policy_arn, model_bucket=model_store.ref, kubernetes_version=cluster.kubernetes_version,
            system=SYSTEM_PLACEMENT, prometheus_url=observability.prometheus_url, cost=cfg.cost, gateway_ready=gateway.ready,
            key_values=gateway.key_values,
            serving_ready=list(observability.ready), team_priorities=team_priorities,
        ),
        opts=platform_opts,
    )
    for endpoint_name, endpoint in cfg.endpoints.items()
}
# --- admission: load balancers only where the stack fronts itself, routes only from its namespaces ---
admission = Admission(
    f"{name}-admission",
    AdmissionArgs(
        load_balancer_namespaces=[GATEWAY_NAMESPACE], route_namespaces=[namespace(e) for e in cfg.endpoints],
        internet_facing=cfg.gateway.scheme == "internet-facing", depends_on=[cluster.system_node_group],
    ),
    opts=platform_opts,
)
pulumi.export("gateway", {"name": gateway.gateway_name, "namespace": gateway.gateway_namespace})
pulumi.export("endpoints", {n: {"namespace": e.namespace, "route": e.route_name} for n, e in endpoints.items()})
