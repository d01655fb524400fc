"""Endpoint: one blue-green model endpoint owned by a team.

Its namespace (`llm-<endpoint>`, Pod Security `restricted`, allowed to attach routes to the
stack's Gateway), two ServingSlots (blue, green; what each runs comes from
components.endpoint.slots), per deployed slot an InferencePool with its endpoint picker and a
Backend pair for canaries, and one AIGatewayRoute on the Gateway (components.gateway.routes).
`llmctl release` changes only the weights in the stack file and updates only this endpoint's
slots and route (names.slot_target, names.route_urn).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.cost.models import CostConfig
from components.cost.prices import replica_hour_usd, spot_fraction
from components.endpoint import manifests
from components.endpoint.models import SLOTS, EndpointConfig
from components.endpoint.names import ENDPOINT_TYPE, namespace, route_resource_name
from components.endpoint.network_policy import apply_network_policies
from components.endpoint.slots import slot_plan
from components.gateway import access, inference, priorities, quotas, routes, wake
from components.gateway.models import GatewayConfig
from components.gpu_pools.models import GpuPoolConfig
from components.k8s import apply
from components.model_store.component import ModelBucket
from components.placement import SystemPlacement
from components.serving.component import ServingSlot, ServingSlotArgs
from components.serving.models import SlotConfig
from components.serving.placement import eligible_instance_types


@dataclass
class EndpointArgs:
    config: EndpointConfig
    gateway: GatewayConfig
    cluster_name: str
    environment: str
    region: str
    vpc_cidr: str
    pool: GpuPoolConfig
    images: dict[str, pulumi.Input[str]]  # per slot, resolved (components.registry.resolve_image)
    boundary_arn: pulumi.Input[str]
    model_bucket: ModelBucket
    kubernetes_version: str
    system: SystemPlacement  # where the endpoint pickers run (the cluster's system nodes)
    prometheus_url: str  # what the slots' autoscalers query (components.observability)
    cost: CostConfig = field(default_factory=CostConfig)  # spot assumptions for the dashboards' $/1M tokens
    # The gateway platform (Gateway, CRDs, AI Gateway) and the cluster services the slots' custom
    # resources need (KEDA, Prometheus CRDs).
    gateway_ready: list[pulumi.Resource] = field(default_factory=list)
    # team (None = release tooling) -> its API keys as stored in Secrets Manager (components.gateway.keystore)
    key_values: dict[str | None, pulumi.Input[str]] = field(default_factory=dict)
    serving_ready: list[pulumi.Resource] = field(default_factory=list)
    team_priorities: dict[str, str] = field(default_factory=dict)  # team -> interactive | batch (llm-platform:teams)


class Endpoint(pulumi.ComponentResource):
    """`name` is the endpoint's name (a key of llm-platform:endpoints). Expects opts.providers to hold
    the AWS provider and the cluster's Kubernetes provider."""

    namespace: str
    slots: dict[str, ServingSlot]
    route_name: str

    def __init__(self, name: str, args: EndpointArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(ENDPOINT_TYPE, name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        ns = apply(f"{name}-namespace", manifests.namespace_manifest(name, cfg.team, args.environment, args.kubernetes_version), child)
        cached = any(getattr(cfg.slots, s).model in args.model_bucket.caches for s in SLOTS)
        apply_network_policies(self, name, cfg, args.cluster_name, args.vpc_cidr, args.region, ns, weight_cache=cached)
        self.namespace = namespace(name)
        # The slots take the namespace as an output of the Namespace, so their objects wait for it.
        ns_name = ns.metadata.apply(lambda meta: meta["name"])

        self.slots = {}
        for slot in SLOTS:
            plan = slot_plan(cfg, slot)
            self.slots[slot] = ServingSlot(
                f"{name}-{slot}",
                ServingSlotArgs(
                    endpoint=name, slot=slot, config=getattr(cfg.slots, slot), team=cfg.team, environment=args.environment,
                    namespace=ns_name, pool=args.pool, image=args.images.get(slot) or "",
                    min_replicas=plan.min_replicas, max_replicas=plan.max_replicas, scale_to_zero=plan.scale_to_zero,
                    cluster_name=args.cluster_name, boundary_arn=args.boundary_arn, model_bucket=args.model_bucket,
                    kubernetes_version=args.kubernetes_version, region=args.region, prometheus_url=args.prometheus_url,
                    cost_per_hour_usd=_replica_hour_usd(args, getattr(cfg.slots, slot)),
                    budget_usd_per_million_tokens=cfg.budget_usd_per_million_tokens,
                    depends_on=list(args.serving_ready),
                ),
                opts=child,
            )

        self._gateway_objects(name, args, ns)
        self.route_name = name
        self.register_outputs({"namespace": self.namespace, "route": self.route_name,
                               "services": {s: slot.service_name for s, slot in self.slots.items()}})

    def _gateway_objects(self, name: str, args: EndpointArgs, ns: pulumi.Resource) -> None:
        """Per deployed slot its pool, picker and canary backends; then the route over them."""
        cfg, ns_name = args.config, namespace(name)
        after = pulumi.ResourceOptions(parent=self, depends_on=[ns, *args.gateway_ready])
        attached: list[pulumi.Resource] = []
        for slot, serving in self.slots.items():
            if getattr(cfg.slots, slot).empty:
                continue
            objects = [*inference.slot_objects(name, slot, ns_name, serving.pod_selector, args.system),
                       *routes.slot_backends(name, slot, ns_name, manifests.service_name(name, slot))]
            for obj in objects:
                attached.append(apply(f"{name}-gw-{slot}-{obj['kind'].lower()}", obj, after))
        labels = {**manifests.PART_OF, "team": cfg.team, "environment": args.environment, **quotas.route_labels(cfg)}
        route = routes.ai_gateway_route(name, cfg, args.cluster_name, ns_name, labels, args.gateway.request_timeout_seconds)
        # Access first: the route never exists without its authentication.
        policies = self._access(name, args, ns_name, [r["name"] for r in route["spec"]["rules"] if r["name"] != routes.LIVE_RULE], after)
        # Quotas and priorities before the route too: no team is ever served unmetered or unclassed.
        policies += self._traffic(name, args, ns_name, labels, after)
        apply(route_resource_name(name), route,
              pulumi.ResourceOptions(parent=self, depends_on=[ns, *self.slots.values(), *attached, *policies, *args.gateway_ready]))

    def _traffic(self, name: str, args: EndpointArgs, ns_name: str, labels: dict[str, str],
                 opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """Token quotas (components.gateway.quotas) and, when a batch team may use the endpoint, the
        objectives of each deployed slot and the Lua filter that picks one per team (components.gateway.priorities)."""
        cfg, out = args.config, []
        classed = priorities.priority_policy(name, cfg, ns_name, args.team_priorities)
        if classed is not None:
            for slot in (s for s in SLOTS if not getattr(cfg.slots, s).empty):
                for obj in priorities.objectives(name, slot, ns_name):
                    out.append(apply(f"{name}-gw-{obj['metadata']['name']}-objective", obj, opts))
            out.append(apply(f"{name}-priorities", classed, opts))
        shed = priorities.shed_override(name) if classed is not None else None
        if (traffic := quotas.traffic_policy(name, cfg, ns_name, labels, shed, wake.waking_override(name, cfg))) is not None:
            out.append(apply(f"{name}-traffic", traffic, opts))
        return out

    def _access(self, name: str, args: EndpointArgs, ns_name: str, preview_rules: list[str],
                opts: pulumi.ResourceOptions) -> list[pulumi.Resource]:
        """A key Secret per granted team (and the release tooling), the route's and the preview rules'
        policies; with gateway.oidc, the two policies alone (they check the IdP's tokens)."""
        teams, oidc = args.config.granted_teams(), args.gateway.oidc
        out = []
        for team in [] if oidc else [None, *teams]:
            raw = pulumi.Output.from_input(args.key_values.get(team, "{}"))
            data = pulumi.Output.secret(raw.apply(lambda value, t=team: access.key_data(t, value)))
            out.append(apply(f"{name}-keys-{team or 'release'}", access.key_secret(team, ns_name, data), opts))
        out.append(apply(f"{name}-api-keys", access.route_policy(name, ns_name, teams, oidc), opts))
        if preview_rules:
            out.append(apply(f"{name}-preview-keys", access.preview_policy(name, ns_name, preview_rules, oidc), opts))
        return out


def _replica_hour_usd(args: EndpointArgs, slot: SlotConfig) -> float | None:
    if slot.empty:
        return None
    return replica_hour_usd(
        args.region, eligible_instance_types(args.pool, slot),
        spot_fraction(args.pool.capacity_types, args.cost.spot_share_pct), args.cost.spot_discount_pct,
    )
