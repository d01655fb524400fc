"""Endpoint: one blue-green model endpoint owned by a team.

Its namespace (`llm-<endpoint>`, Pod Security `restricted`), two ServingSlots (blue, green; what
each runs comes from components.endpoint.slots) and one Ingress on the shared ALB that splits
traffic by the configured weights and routes `X-LLM-Slot: <slot>` to one slot. `llmctl release`
changes only the weights in the stack file and updates only this endpoint's slots and Ingress
(names.slot_target, names.ingress_urn).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.cost.models import CostConfig
from components.cost.prices import replica_hour_usd, spot_fraction
from components.endpoint import manifests
from components.endpoint.models import SLOTS, EndpointConfig, IngressConfig
from components.endpoint.names import ENDPOINT_TYPE, ingress_resource_name, namespace
from components.endpoint.network_policy import apply_network_policies
from components.endpoint.slots import slot_plan
from components.gpu_pools.models import GpuPoolConfig
from components.k8s import apply
from components.model_store.component import ModelBucket
from components.serving.component import ServingSlot, ServingSlotArgs
from components.serving.models import SlotConfig
from components.serving.placement import eligible_instance_types


@dataclass
class EndpointArgs:
    config: EndpointConfig
    ingress: IngressConfig
    cluster_name: str
    environment: str
    region: str
    vpc_cidr: str
    pool: GpuPoolConfig
    images: dict[str, pulumi.Input[str]]  # per slot, resolved (components.registry.resolve_image)
    boundary_arn: pulumi.Input[str]
    model_bucket: ModelBucket
    kubernetes_version: str
    cost: CostConfig = field(default_factory=CostConfig)  # spot assumptions for the dashboards' $/1M tokens
    ingress_class: str = manifests.INGRESS_CLASS
    # The ALB controller (Ingresses) and the cluster services the slots' custom resources need (KEDA, Prometheus CRDs).
    controller_ready: list[pulumi.Resource] = field(default_factory=list)
    serving_ready: list[pulumi.Resource] = field(default_factory=list)


class Endpoint(pulumi.ComponentResource):
    """`name` is the endpoint's name (a key of llm-platform:endpoints). Expects opts.providers to hold
    the AWS provider and the cluster's Kubernetes provider."""

    namespace: str
    slots: dict[str, ServingSlot]
    ingress_name: str

    def __init__(self, name: str, args: EndpointArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(ENDPOINT_TYPE, name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        ns = apply(f"{name}-namespace", manifests.namespace_manifest(name, cfg.team, args.environment, args.kubernetes_version), child)
        apply_network_policies(self, name, cfg, args.cluster_name, args.vpc_cidr, args.region, ns)
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
                    kubernetes_version=args.kubernetes_version, alb_name=args.cluster_name, region=args.region,
                    cost_per_hour_usd=_replica_hour_usd(args, getattr(cfg.slots, slot)),
                    budget_usd_per_million_tokens=cfg.budget_usd_per_million_tokens,
                    depends_on=list(args.serving_ready),
                ),
                opts=child,
            )

        apply(
            ingress_resource_name(name),
            manifests.ingress(name, cfg, args.cluster_name, args.ingress, args.vpc_cidr, args.environment, args.ingress_class),
            pulumi.ResourceOptions(parent=self, depends_on=[ns, *self.slots.values(), *args.controller_ready]),
        )
        self.ingress_name = name
        self.register_outputs({"namespace": self.namespace, "ingress": self.ingress_name,
                               "services": {s: slot.service_name for s, slot in self.slots.items()}})


def _replica_hour_usd(args: EndpointArgs, slot: SlotConfig) -> float | None:
    if slot.empty:
        return None
    return replica_hour_usd(
        args.region, eligible_instance_types(args.pool, slot),
        spot_fraction(args.pool.capacity_types, args.cost.spot_share_pct), args.cost.spot_discount_pct,
    )
