"""ServingSlot: one vLLM slot (blue or green) of an endpoint.

Creates the slot's ServiceAccount + Pod Identity role (reads only s3://<bucket>/<model>/*), the
vLLM Deployment, its Service, PodDisruptionBudget, KEDA ScaledObject (+ TriggerAuthentication when
it can scale to zero), PodMonitor, PrometheusRule and Grafana dashboard ConfigMap. Everything is
rendered by the pure functions beside this file; this class only applies them.

An empty slot (no model) gets only its Service, so routes to it resolve and answer 503 until a
model is set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.coldstart.sizing import slot_sizing
from components.gateway.inference import wake_query as gateway_wake_query
from components.gpu_pools.attribution import slot_node_pool
from components.gpu_pools.models import GpuPoolConfig
from components.k8s import apply
from components.model_store import weight_cache
from components.model_store.component import ModelBucket
from components.pod_identity import pod_identity_role
from components.serving import alerts, dashboard, iam, manifests, placement, scaling
from components.serving.models import SlotConfig
from components.serving.vllm import PORT, compile_cache_uri, model_s3_uri
from components.tagging import resource_tags
from components.trust import role_name

COMPONENT = "serving"


@dataclass
class ServingSlotArgs:
    endpoint: str
    slot: str  # "blue" | "green"
    config: SlotConfig
    team: str
    environment: str
    namespace: pulumi.Input[str]  # llm-<endpoint>, created by the endpoint
    pool: GpuPoolConfig
    image: pulumi.Input[str]  # resolved reference, by digest (components.registry.resolve_image)
    min_replicas: int  # the endpoint passes standby values for an idle slot
    max_replicas: int
    scale_to_zero: bool
    cluster_name: pulumi.Input[str]
    boundary_arn: pulumi.Input[str]
    model_bucket: ModelBucket
    kubernetes_version: str
    region: str  # the stack's region, passed down from infra/__main__.py (never read from global config)
    prometheus_url: str  # the Prometheus KEDA's triggers query (the Observability component's)
    cost_per_hour_usd: float | None = None  # $/hour of one replica, for the dashboard's $/1M tokens
    budget_usd_per_million_tokens: float | None = None  # the endpoint's budget: alert above it
    # Cluster services the custom resources need first (the Observability component: KEDA and
    # the Prometheus operator CRDs).
    depends_on: Sequence[pulumi.Resource] = field(default_factory=list)


class ServingSlot(pulumi.ComponentResource):
    service_name: pulumi.Output[str]
    service_port: int
    deployment_name: pulumi.Output[str]
    pod_selector: dict[str, str]  # the slot's pod selector, for the gateway's InferencePool

    def __init__(self, name: str, args: ServingSlotArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:serving:ServingSlot", name, None, opts)
        if args.slot not in ("blue", "green"):
            raise ValueError(f"slot must be blue or green, got {args.slot!r}")
        region = args.region
        spec = _slot_spec(args, region)
        cfg = args.config
        self.pod_selector = dict(spec.selector)
        child = pulumi.ResourceOptions(parent=self)
        crd_opts = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))

        svc = apply(f"{name}-service", manifests.service(spec), child)
        self.service_name = svc.metadata.apply(lambda m: m["name"])
        self.service_port = PORT
        self.deployment_name = pulumi.Output.from_input(spec.name)
        if cfg.empty:
            self.register_outputs({"serviceName": self.service_name, "servicePort": PORT, "deploymentName": self.deployment_name})
            return

        sa = apply(f"{name}-sa", manifests.service_account(spec), child)
        ready: list[pulumi.Resource] = [sa]
        if cfg.weights == "s3":
            ready.append(self._role(name, args, spec, region))

        # The pod gets its AWS credentials at creation time: the association must exist first.
        # KEDA owns the replica count once the Deployment exists: `replicas` only sets the starting
        # size, and `pulumi up` must not reset a slot that scaled out under load.
        apply(
            f"{name}-deployment", manifests.deployment(spec),
            # `pulumi up` (and so a release's apply) waits for the rollout as long as a cold start
            # may take, not the provider's 10-minute default.
            pulumi.ResourceOptions(
                parent=self, depends_on=ready, ignore_changes=["spec.replicas"],
                custom_timeouts=pulumi.CustomTimeouts(create=f"{spec.rollout_seconds}s", update=f"{spec.rollout_seconds}s"),
            ),
        )
        apply(f"{name}-pdb", manifests.pod_disruption_budget(spec), child)

        wake = None
        if scaling.wakes_from_zero(spec):
            wake = gateway_wake_query(args.endpoint, args.slot)
        apply(f"{name}-scaler", scaling.scaled_object(spec, args.prometheus_url, wake), crd_opts)
        apply(f"{name}-podmonitor", manifests.pod_monitor(spec), crd_opts)
        apply(f"{name}-alerts", alerts.prometheus_rule(spec, args.cost_per_hour_usd, args.budget_usd_per_million_tokens), crd_opts)
        apply(f"{name}-dashboard", dashboard.dashboard_config_map(spec, args.cost_per_hour_usd), child)

        self.register_outputs({"serviceName": self.service_name, "servicePort": PORT, "deploymentName": self.deployment_name})

    def _role(self, name: str, args: ServingSlotArgs, spec: manifests.SlotSpec, region: str) -> pulumi.Resource:
        """The slot's Pod Identity role: read its model's weights (and its compile cache); returns
        the association the Deployment must wait for."""
        model = args.config.model
        child = pulumi.ResourceOptions(parent=self)
        role, association = pod_identity_role(
            f"{name}-role",
            f"{name}-pod-identity",
            name=pulumi.Output.from_input(args.cluster_name).apply(lambda c: role_name(c, args.endpoint, args.slot)),
            cluster_name=args.cluster_name,
            namespace=args.namespace,
            service_account=spec.service_account,
            boundary_arn=args.boundary_arn,
            tags=resource_tags(COMPONENT, f"{name}-vllm", team=args.team, model=model),
            opts=child,
            description=f"vLLM {args.environment}/{args.endpoint}/{args.slot}: read {model} weights",
            max_session_duration=3600,
        )
        bucket = args.model_bucket
        documents = {"read-weights": iam.model_read_policy}
        if args.config.compile_cache:
            documents["compile-cache"] = iam.compile_cache_policy
        for suffix, render in documents.items():
            aws.iam.RolePolicy(
                f"{name}-{suffix}",
                role=role.id,
                policy=pulumi.Output.json_dumps(
                    pulumi.Output.all(bucket.arn, bucket.kms_key_arn).apply(lambda v, render=render: render(v[0], v[1], model, region))
                ),
                opts=child,
            )
        if (shared := bucket.caches.get(model)) is not None:
            aws.iam.RolePolicy(
                f"{name}-read-weight-cache", role=role.id,
                policy=pulumi.Output.json_dumps(pulumi.Output.all(shared.arn, bucket.kms_key_arn).apply(lambda v: weight_cache.cache_read_policy(*v))),
                opts=child,
            )
        return association


def _slot_spec(args: ServingSlotArgs, region: str) -> manifests.SlotSpec:
    """The renderers' view of the slot, with the cold-start sizing (probe and rollout timeouts,
    streamer settings) and the S3 locations of its weights and compile cache."""
    cfg, model = args.config, args.config.model
    s3_uri = cache_uri = fallback_uri = None
    if model and cfg.weights == "s3":  # the bucket and the slot's role exist only with s3 weights
        s3_uri = pulumi.Output.from_input(args.model_bucket.bucket).apply(lambda bucket: model_s3_uri(bucket, model))
        if (shared := args.model_bucket.caches.get(model)) is not None:
            # Stream from the shared weight cache; the model bucket stays the fallback.
            fallback_uri, s3_uri = s3_uri, pulumi.Output.from_input(shared.bucket).apply(lambda bucket: weight_cache.cache_uri(bucket, model))
        if cfg.compile_cache:
            cache_uri = pulumi.Output.from_input(args.model_bucket.bucket).apply(lambda bucket: compile_cache_uri(bucket, model))
    affinity_types = placement.instance_type_affinity(args.pool, cfg)
    sizing = slot_sizing(args.pool, cfg) if model else None
    return manifests.SlotSpec(
        endpoint=args.endpoint, slot=args.slot, team=args.team, environment=args.environment,
        pool=slot_node_pool(args.pool, args.endpoint, args.slot),
        config=cfg, min_replicas=args.min_replicas, max_replicas=args.max_replicas, scale_to_zero=args.scale_to_zero,
        region=region, namespace=args.namespace, image=args.image, s3_uri=s3_uri, kubernetes_version=args.kubernetes_version,
        instance_types=tuple(affinity_types) if affinity_types is not None else None,
        timeouts=sizing.timeouts if sizing else None, streamer=sizing.streamer if sizing else None, compile_cache_uri=cache_uri,
        s3_fallback_uri=fallback_uri,
    )
