"""One typed StackConfig from a stack's Pulumi config; bad input becomes one clear message.

Stack files hold one key per section under the project namespace, e.g.
`llm-platform:network: {cidr: 10.40.0.0/16, natGateways: single}`. Every default lives in the
section models (components/*/models.py), nowhere else.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator, model_validator

from components.catalog import INSTANCE_TYPES, REGIONS
from components.catalog.models import model_facts
from components.cluster.models import ClusterConfig, public_endpoint_error
from components.config_base import ConfigModel
from components.cost.models import CostConfig, Tags, validate_tags
from components.endpoint.models import SLOTS, EndpointConfig, ReleaseConfig
from components.gateway.models import GatewayConfig
from components.gateway.names import RELEASE_CLIENT
from components.gateway.quotas import quota_problems
from components.gpu_pools.attribution import problems as node_pool_problems
from components.gpu_pools.models import GpuCapacityConfig
from components.model_store.models import ModelStoreConfig, shared_cache_problem
from components.names import ENDPOINT_NAME, ENDPOINT_NAME_MAX, TeamName
from components.network.models import NetworkConfig
from components.observability.models import ObservabilityConfig
from components.registry.models import RegistryConfig
from components.serving.placement import eligible_instance_types
from components.teams.models import TeamConfig
from infra.config_errors import _KeyError, one_message
from infra.stack_yaml import NAMESPACES, PROJECT, REGION_KEY, ConfigError, check_namespace, parse_stack_text, read_stack_file

__all__ = ["NAMESPACES", "PROJECT", "REGION_KEY", "ConfigError", "StackConfig", "load_config", "load_stack", "parse_stack_text",
           "read_stack_file", "stack_file"]


class StackConfig(ConfigModel):
    region: str = Field(description="AWS region (the `aws:region` key).")
    tags: Tags
    network: NetworkConfig = Field(description="VPC, subnets, NAT and VPC endpoints.")
    cluster: ClusterConfig = Field(default_factory=ClusterConfig, description="EKS control plane, access and the system node group.")
    gpu: GpuCapacityConfig = Field(description="Karpenter GPU node pools (spot first, on-demand fallback).")
    registry: RegistryConfig = Field(default_factory=RegistryConfig, description="ECR repository and the vLLM serving image.")
    model_store: ModelStoreConfig = Field(default_factory=ModelStoreConfig, description="S3 bucket serving slots stream model weights from.")
    observability: ObservabilityConfig = Field(default_factory=ObservabilityConfig, description="In-cluster Prometheus, Grafana, KEDA and the DCGM exporter.")
    gateway: GatewayConfig = Field(default_factory=GatewayConfig, description="The inference gateway (Envoy behind an NLB) in front of every endpoint.")
    endpoints: dict[str, EndpointConfig] = Field(min_length=1, description="Named blue-green endpoints, one model each.")
    release: ReleaseConfig = Field(default_factory=ReleaseConfig, description="Release gates and canary steps for `llmctl release`.")
    cost: CostConfig = Field(default_factory=CostConfig, description="Cost-allocation tag activation, budget and estimate assumptions.")
    teams: dict[TeamName, TeamConfig] = Field(
        default_factory=dict, description="The teams that own endpoints (keyed by name); when given, every endpoint's team must be listed here."
    )

    @property
    def environment(self) -> str:
        return self.tags["environment"]

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"

    @field_validator("region")
    @classmethod
    def _region(cls, region: str) -> str:
        if region not in REGIONS:
            raise ValueError(f"unknown or unsupported region; supported: {', '.join(REGIONS)}")
        return region

    @field_validator("tags")
    @classmethod
    def _tags(cls, tags: dict[str, str]) -> dict[str, str]:
        return validate_tags(tags)

    @field_validator("endpoints")
    @classmethod
    def _endpoint_names(cls, endpoints: dict[str, EndpointConfig]) -> dict[str, EndpointConfig]:
        import re

        for name in endpoints:
            if not re.match(ENDPOINT_NAME, name):
                raise ValueError(f"endpoint name {name!r} must be a DNS label of at most {ENDPOINT_NAME_MAX} characters (it prefixes Kubernetes names)")
        return endpoints

    @model_validator(mode="after")
    def _alerts_reach_someone(self) -> StackConfig:
        if self.environment in ("staging", "prod") and (not self.observability.alertmanager or self.observability.alerting.receiver is None):
            raise _KeyError(("observability", "alerting", "receiver"), None,
                            f"{self.environment} needs Alertmanager with a receiver so alerts reach someone; set snsTopicArn, slackWebhookSecret or pagerdutyKeySecret")
        return self

    @model_validator(mode="after")
    def _cross_section(self) -> StackConfig:
        zones = REGIONS[self.region]
        if self.network.az_count > len(zones):
            raise _KeyError(("network", "azCount"), self.network.az_count, f"{self.region} has {len(zones)} availability zones ({', '.join(zones)})")
        for name, other in [("cluster.serviceCidr", self.cluster.service_cidr), *[(f"network.reservedCidrs[{i}]", c) for i, c in enumerate(self.network.reserved_cidrs)]]:
            if self.network.cidr.overlaps(other):
                raise _KeyError(("network", "cidr"), str(self.network.cidr), f"overlaps {name} {other}; choose disjoint ranges")
        for i, reserved in enumerate(self.network.reserved_cidrs):
            if self.cluster.service_cidr.overlaps(reserved):
                raise _KeyError(("cluster", "serviceCidr"), str(self.cluster.service_cidr), f"overlaps network.reservedCidrs[{i}] {reserved}; choose disjoint ranges")
        if (bad := public_endpoint_error(self.cluster, self.is_prod)) is not None:
            raise _KeyError(("cluster", *bad[0]), *bad[1:])
        for i, itype in enumerate(self.cluster.system_nodes.instance_types):
            if itype not in INSTANCE_TYPES or INSTANCE_TYPES[itype].gpus:
                known = sorted(t for t, v in INSTANCE_TYPES.items() if not v.gpus)
                raise _KeyError(("cluster", "systemNodes", "instanceTypes", i), itype, f"unknown or GPU instance type; allowed: {', '.join(known)}")
        for i, gpu_pool in enumerate(self.gpu.pools):
            if self.is_prod and not {"on-demand", "reserved"} & set(gpu_pool.capacity_types):
                raise _KeyError(
                    ("gpu", "pools", i, "capacityTypes"), gpu_pool.capacity_types,
                    "a prod pool must include on-demand (or reserved) so its endpoints survive a spot shortage; use [spot, on-demand]",
                )
            floor = sum(
                s.gpus * s.replicas.min
                for e in self.endpoints.values() if e.pool == gpu_pool.name
                for s in (e.slots.blue, e.slots.green) if not s.empty
            )
            if floor > gpu_pool.gpu_limit:
                raise _KeyError(
                    ("gpu", "pools", i, "gpuLimit"), gpu_pool.gpu_limit,
                    f"the endpoints on {gpu_pool.name} need {floor} GPU(s) while a release runs both slots (gpus x replicas.min of every slot with a model); raise gpuLimit to >= {floor}",
                )
        for name, endpoint in self.endpoints.items():
            if self.teams and endpoint.team not in self.teams:
                raise _KeyError(("endpoints", name, "team"), endpoint.team, f"not a team of llm-platform:teams; teams: {', '.join(sorted(self.teams))}")
            pool = self.gpu.pool(endpoint.pool)
            if pool is None:
                raise _KeyError(("endpoints", name, "pool"), endpoint.pool, f"no such GPU pool; pools: {', '.join(p.name for p in self.gpu.pools)}")
            for slot in SLOTS:
                cfg = getattr(endpoint.slots, slot)
                if cfg.gpus > pool.max_gpus_per_node:
                    raise _KeyError(
                        ("endpoints", name, "slots", slot, "gpus"), cfg.gpus,
                        f"pool {pool.name} offers at most {pool.max_gpus_per_node} GPU(s) per node ({', '.join(pool.instance_types)})",
                    )
                if cfg.min_gpu_memory_gib is not None and not eligible_instance_types(pool, cfg):
                    raise _KeyError(
                        ("endpoints", name, "slots", slot, "minGpuMemoryGib"), cfg.min_gpu_memory_gib,
                        f"no instance type of pool {pool.name} has {cfg.gpus} GPU(s) with that much memory each "
                        f"and room for {cfg.cpu:g} vCPU / {cfg.memory_gib} GiB ({', '.join(pool.instance_types)})",
                    )
                if not cfg.empty and not eligible_instance_types(pool, cfg):
                    raise _KeyError(
                        ("endpoints", name, "slots", slot, "memoryGib"), cfg.memory_gib,
                        f"no instance type of pool {pool.name} fits {cfg.gpus} GPU(s), {cfg.cpu:g} vCPU and {cfg.memory_gib} GiB "
                        f"(a node keeps 0.5 vCPU and 10% of memory for itself); lower cpu/memoryGib or add larger sizes to the pool",
                    )
                if not cfg.empty and cfg.image is None and not self.registry.builds and self.registry.image is None and not self.registry.promote_from:
                    raise _KeyError(
                        ("registry", "buildImage"), self.registry.build_image,
                        f"endpoints.{name}.slots.{slot} serves {cfg.model} but no image is built or given; set buildImage: true, registry.image, registry.promoteFrom or the slot's image",
                    )
        self._node_pools()
        self._gateway_checks()
        return self

    def _gateway_checks(self) -> None:
        """Per-endpoint gateway settings: distinct hosts (one listener each), access to declared teams
        only, and an NLB name AWS accepts."""
        if RELEASE_CLIENT in self.teams:  # the client id / team claim of the release tooling's own key or token
            raise _KeyError(("teams", RELEASE_CLIENT), RELEASE_CLIENT, "reserved for the release tooling's identity on the gateway; name the team otherwise")
        for name, endpoint in self.endpoints.items():
            for i, team in enumerate(endpoint.access):
                if team not in self.teams:
                    raise _KeyError(("endpoints", name, "access", i), team,
                                    f"not a team of llm-platform:teams; teams: {', '.join(sorted(self.teams)) or '(none declared)'}")
        for problem in quota_problems(self.endpoints, self.gateway.rate_limit_store.kind, self.is_prod):
            raise _KeyError(*problem)
        hosts: dict[str, str] = {}
        for name, endpoint in self.endpoints.items():
            # One Gateway listener per endpoint host: two endpoints on one host would share a listener.
            if endpoint.route.host in hosts:
                raise _KeyError(("endpoints", name, "route", "host"), endpoint.route.host,
                                f"endpoint {hosts[endpoint.route.host]} already uses this host; give each endpoint its own host")
            hosts[endpoint.route.host] = name
        lb_name = f"{self.tags['project']}-{self.environment}"  # the gateway's NLB is named after the cluster
        if len(lb_name) > 32 or not re.match(r"^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?$", lb_name):
            raise _KeyError(("tags", "project"), self.tags["project"],
                            f"the NLB is named <project>-<environment> ({lb_name!r}): at most 32 letters, digits and inner hyphens")

    def _node_pools(self) -> None:
        """Per-slot NodePools: team GPU limits and names (components/gpu_pools/attribution.py)."""
        problems = node_pool_problems(list(self.gpu.pools), self.endpoints, self.teams)
        if problems:
            raise _KeyError(*problems[0])


    @model_validator(mode="after")
    def _runtime_limits(self) -> StackConfig:
        """What AWS or vLLM would refuse at deploy or start time, checked now."""
        self._prod_nat()
        self._tensor_parallel()
        cache = self.model_store.shared_cache
        if cache is not None and (why := shared_cache_problem(cache, self.region)):
            raise _KeyError(("model_store", "sharedCache", "availabilityZoneId"), cache.availability_zone_id, why)
        return self

    def _prod_nat(self) -> None:
        # A config error rather than a policy: the stack file is the only place this is set, and
        # one NAT gateway is one AZ's failure taking every private subnet's egress (Hub downloads,
        # AWS APIs without an endpoint) with it; there is no prod case for accepting that.
        if self.is_prod and self.network.nat_gateways == "single":
            raise _KeyError(("network", "natGateways"), self.network.nat_gateways,
                            "a prod stack needs perAz: with a single NAT gateway one availability zone's outage cuts every subnet's egress")

    def _tensor_parallel(self) -> None:
        for name, endpoint in self.endpoints.items():
            for slot in SLOTS:
                cfg = getattr(endpoint.slots, slot)
                facts = model_facts(cfg.model) if cfg.model else None
                problem = facts.tp_problem(cfg.tensor_parallel_size) if facts else None
                if facts and problem:
                    fits = ", ".join(str(tp * cfg.pipeline_parallel_size) for tp in facts.valid_tp())
                    raise _KeyError(("endpoints", name, "slots", slot, "gpus"), cfg.gpus,
                                    f"tensor parallel size {cfg.tensor_parallel_size} {problem} ({cfg.model}); "
                                    f"vLLM refuses it: use gpus {fits}")

    def warnings(self) -> list[str]:
        """Not errors, but worth a line (infra/model_checks.py)."""
        from infra.model_checks import model_warnings

        return model_warnings(self)


# ---- reading --------------------------------------------------------------------------------

SECTION_KEYS = {name: field.alias or name for name, field in StackConfig.model_fields.items() if name != "region"}


def stack_file(stack: str, root: Path | None = None) -> Path:
    return (root or Path.cwd()) / "stacks" / f"Pulumi.{stack}.yaml"


def config_from_pulumi() -> tuple[dict[str, Any], str]:
    """The stack's config as `pulumi up` (or the mocks) hands it to the program: `ns:key` -> value,
    objects parsed from the JSON strings the engine passes."""
    import pulumi

    from infra.pulumi_internals import engine_config

    raw: dict[str, Any] = engine_config()
    parsed = {k: (_maybe_json(v) if k.startswith(f"{PROJECT}:") else v) for k, v in raw.items()}
    return parsed, f"stacks/Pulumi.{pulumi.get_stack()}.yaml"


def _maybe_json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def load_config(raw: dict[str, Any], source: str) -> StackConfig:
    """Validate a stack's config keys (`ns:key` -> value) into a StackConfig or raise ConfigError."""
    data: dict[str, Any] = {}
    allowed = sorted([REGION_KEY, *(f"{PROJECT}:{k}" for k in SECTION_KEYS.values())])
    for key, value in raw.items():
        namespace, _, name = str(key).partition(":")
        check_namespace(str(key), source)
        if key == REGION_KEY:
            data["region"] = value
        elif namespace == PROJECT:
            if name not in SECTION_KEYS.values():
                raise ConfigError(f"{source}: {key}: unknown key; allowed keys: {', '.join(allowed)}")
            data[name] = value
    if "region" not in data:
        raise ConfigError(f"{source}: {REGION_KEY}: missing; set the AWS region, e.g. `aws:region: us-west-2`")
    try:
        return StackConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(one_message(exc, source, StackConfig)) from None


def load_stack(stack: str, root: Path | None = None) -> StackConfig:
    """Read and validate stacks/Pulumi.<stack>.yaml (for llmctl; the program uses config_from_pulumi)."""
    base = root or Path.cwd()
    path = stack_file(stack, base)
    source = str(path.relative_to(base))
    return load_config(read_stack_file(path, source), source)


def json_schema() -> dict[str, Any]:
    """JSON schema of a stack file's `config:` mapping, for editors (stacks/stack.schema.json)."""
    sections = StackConfig.model_json_schema(by_alias=True)
    properties = {REGION_KEY: sections["properties"].pop("region")}
    for key in SECTION_KEYS.values():
        properties[f"{PROJECT}:{key}"] = sections["properties"].pop(key)
    required = [REGION_KEY] + [f"{PROJECT}:{k}" for k in sections.get("required", []) if k != "region"]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "llm-platform stack file",
        "type": "object",
        "properties": {
            "config": {
                "type": "object",
                "properties": properties,
                "required": required,
                "patternProperties": {f"^({'|'.join(n for n in NAMESPACES if n != PROJECT)}):": {}},
                "additionalProperties": False,
            },
            "encryptionsalt": {"type": "string"},
            "secretsprovider": {"type": "string"},
            "encryptedkey": {"type": "string"},
        },
        "required": ["config"],
        "$defs": sections.get("$defs", {}),
    }
