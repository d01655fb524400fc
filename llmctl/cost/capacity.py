"""What a stack runs, read from its synthesized inventory (the stack config only supplies what
the inventory cannot say: slot weights, tokens/s and the estimate's assumptions)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from components.catalog import INSTANCE_TYPES, POOL_FAMILIES
from components.observability.labels import LLM_ENDPOINT, LLM_SLOT
from components.serving.placement import fits
from components.tagging import label_value
from llmctl.synth.inventory import Inventory

NAT = "aws:ec2/natGateway:NatGateway"
VPC_ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
EKS_CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
KMS_KEY = "aws:kms/key:Key"
DIRECTORY_BUCKET = "aws:s3/directoryBucket:DirectoryBucket"
REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup"
NODE_POOL = "kubernetes:karpenter.sh/v1:NodePool"
NODE_CLASS = "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass"
DEPLOYMENT = "kubernetes:apps/v1:Deployment"
SCALED_OBJECT = "kubernetes:keda.sh/v1alpha1:ScaledObject"
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
GPU = "nvidia.com/gpu"
DEFAULT_TOKENS_PER_SECOND = 800.0
DEFAULT_DATA_VOLUME_GIB = 300


@dataclass(frozen=True)
class NodeGroup:
    name: str
    instance_type: str  # managed node groups launch on-demand types in list order
    min: int
    desired: int
    max: int
    disk_gib: int


@dataclass(frozen=True)
class Reservation:
    """An ODCR or Capacity Block of a pool: paid for every reserved hour, used or not."""

    pool: str  # the shared pool definition (the `pool` label of its NodePools)
    instance_type: str
    count: int
    kind: str  # "default" (ODCR) | "capacity-block"
    hourly_usd: float | None = None  # None: the on-demand list price
    hours: float | None = None  # a Capacity Block's length; None: every hour of the month


@dataclass(frozen=True)
class Pool:
    name: str
    instance_types: tuple[str, ...]
    capacity_types: tuple[str, ...]
    volume_gib: int
    gpu_limit: int | None = None
    base: str = ""  # the shared pool definition this NodePool derives from (its `pool` label)

    @property
    def reserved(self) -> bool:
        return "reserved" in self.capacity_types

    @property
    def spot(self) -> bool:
        return "spot" in self.capacity_types

    @property
    def on_demand(self) -> bool:
        return "on-demand" in self.capacity_types


@dataclass(frozen=True)
class Slot:
    endpoint: str
    slot: str
    model: str | None
    team: str
    pool: str
    gpus: int
    cpu: float
    memory_gib: float
    min: int
    max: int
    live: bool
    tokens_per_second: float
    # Required node affinity on node.kubernetes.io/instance-type (e.g. a GPU-memory floor), if any.
    allowed_types: tuple[str, ...] | None = None

    @property
    def expected(self) -> int:
        """The live slot serves: at least one replica even when it may scale to zero; an idle
        slot keeps its floor (its standby replicas)."""
        return max(self.min, 1) if self.live and self.max > 0 else self.min


@dataclass
class Capacity:
    stack: str
    region: str
    clusters: int = 0
    nat_gateways: int = 0
    interface_endpoint_enis: int = 0
    interface_endpoints: int = 0
    nlbs: int = 0
    kms_keys: int = 0
    node_groups: list[NodeGroup] = field(default_factory=list)
    pools: dict[str, Pool] = field(default_factory=dict)
    slots: list[Slot] = field(default_factory=list)
    reservations: list[Reservation] = field(default_factory=list)
    weight_caches: list[str] = field(default_factory=list)  # the model of each shared weight cache bucket
    cache_nodes: dict[str, int] = field(default_factory=dict)  # ElastiCache node type -> nodes (the quota store)


# ---- Kubernetes quantities ------------------------------------------------------------------

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
_DECIMAL = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12, "m": 1e-3}


def quantity(value: Any) -> float:
    """A Kubernetes quantity ("4", "500m", "28Gi", "30G") as a plain number (bytes, cores)."""
    if isinstance(value, (int, float)):
        return float(value)
    match = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", str(value))
    if not match:
        raise ValueError(f"not a Kubernetes quantity: {value!r}")
    number, suffix = float(match.group(1)), match.group(2)
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    if suffix:
        raise ValueError(f"unknown quantity suffix in {value!r}")
    return number


def gib(value: Any) -> float:
    return quantity(value) / 2**30


# ---- reading the inventory ------------------------------------------------------------------

def capacity(inventory: Inventory, cfg: Any = None) -> Capacity:
    """Everything billable in `inventory`. The inventory is the truth about what exists; `cfg`
    (the stack's StackConfig, optional) only says which slot is live, each slot's tokens/s and the
    system nodes' disk size (their launch template is not linked by a resolvable id offline)."""
    region = str(inventory.outputs.get("region") or (cfg.region if cfg is not None else ""))
    cap = Capacity(stack=inventory.stack, region=region)
    cap.clusters = len(inventory.of_type(EKS_CLUSTER))
    cap.nat_gateways = len(inventory.of_type(NAT))
    cap.kms_keys = len(inventory.of_type(KMS_KEY))
    cap.weight_caches = sorted(str((r.inputs.get("tags") or {}).get("model", "")) for r in inventory.of_type(DIRECTORY_BUCKET))
    az_count = cfg.network.az_count if cfg is not None else 3
    for endpoint in inventory.of_type(VPC_ENDPOINT):
        if endpoint.inputs.get("vpcEndpointType") == "Interface":
            subnets = endpoint.inputs.get("subnetIds")
            cap.interface_endpoints += 1
            cap.interface_endpoint_enis += len(subnets) if isinstance(subnets, list) and subnets else az_count
    cap.node_groups = [_node_group(r.name, r.inputs, cfg) for r in inventory.of_type(NODE_GROUP)]
    cap.nlbs = _nlbs(inventory)
    for group in inventory.of_type(REPLICATION_GROUP):
        node_type = str(group.inputs.get("nodeType"))
        cap.cache_nodes[node_type] = cap.cache_nodes.get(node_type, 0) + int(group.inputs.get("numCacheClusters") or 1)

    volumes = {_meta(obj)["name"]: _volume_gib(obj) for obj in _objects(inventory, NODE_CLASS)}
    for obj in _objects(inventory, NODE_POOL):
        pool = _pool(obj, volumes)
        cap.pools[pool.name] = pool

    cap.slots = _slots(inventory, cfg)
    cap.reservations = _reservations(cfg)
    return cap


def _reservations(cfg: Any) -> list[Reservation]:
    """Reservations come from the stack file: a node class selects them by id or tags only."""
    if cfg is None:
        return []
    out = []
    for pool in cfg.gpu.pools:
        for r in pool.capacity_reservations:
            hours = (r.end - r.start).total_seconds() / 3600 if r.type == "capacity-block" and r.start and r.end else None
            out.append(Reservation(pool.name, r.instance_type, r.count, r.type, r.hourly_usd, hours))
    return out


def _objects(inventory: Inventory, kind: str) -> list[dict[str, Any]]:
    return [r.inputs for r in inventory.of_type(kind)]


def _meta(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("metadata") or {}


def _node_group(name: str, inputs: dict[str, Any], cfg: Any) -> NodeGroup:
    scaling = inputs.get("scalingConfig") or {}
    types = inputs.get("instanceTypes") or (list(cfg.cluster.system_nodes.instance_types) if cfg is not None else [])
    disk = inputs.get("diskSize") or (cfg.cluster.system_nodes.disk_gib if cfg is not None else 20)
    desired = int(scaling.get("desiredSize", scaling.get("minSize", 1)))
    return NodeGroup(
        name=str(inputs.get("nodeGroupName") or name),
        instance_type=types[0] if types else "",
        min=int(scaling.get("minSize", desired)),
        desired=desired,
        max=int(scaling.get("maxSize", desired)),
        disk_gib=int(disk),
    )


def _nlbs(inventory: Inventory) -> int:
    """The front door: one NLB per gateway EnvoyProxy (its LoadBalancer Service, built by the AWS
    Load Balancer Controller; components/gateway/platform.py). No ALB is created any more."""
    return len({_meta(o).get("name") for o in _objects(inventory, ENVOY_PROXY)})


def _volume_gib(node_class: dict[str, Any]) -> int:
    total = 0.0
    for mapping in (node_class.get("spec") or {}).get("blockDeviceMappings") or []:
        size = (mapping.get("ebs") or {}).get("volumeSize")
        if size:
            total += gib(size)
    return int(round(total))


def _pool(obj: dict[str, Any], volumes: dict[str, int]) -> Pool:
    spec = (obj.get("spec") or {}).get("template", {}).get("spec", {})
    reqs = {r.get("key"): r for r in spec.get("requirements") or []}

    def values(key: str) -> tuple[str, set[str]] | None:
        req = reqs.get(key)
        return (req.get("operator", "In"), set(req.get("values") or [])) if req else None

    candidates = [t for t in INSTANCE_TYPES.values() if t.gpus and t.family in POOL_FAMILIES]
    families = values("karpenter.k8s.aws/instance-family")
    if families:
        op, vals = families
        candidates = [t for t in candidates if (t.family in vals) == (op == "In")]
    sizes = values("karpenter.k8s.aws/instance-size")
    if sizes:
        op, vals = sizes
        candidates = [t for t in candidates if (t.size in vals) == (op == "In")]
    names = values("node.kubernetes.io/instance-type")
    if names:
        op, vals = names
        candidates = [t for t in candidates if (t.name in vals) == (op == "In")]
    capacity_types = values("karpenter.sh/capacity-type")
    cap_types = tuple(sorted(capacity_types[1])) if capacity_types and capacity_types[0] == "In" else ("on-demand",)
    node_class = ((spec.get("nodeClassRef") or {}).get("name")) or ""
    limits = (obj.get("spec") or {}).get("limits") or {}
    limit = limits.get(GPU)
    return Pool(
        base=(_meta(obj).get("labels") or {}).get("pool", _meta(obj).get("name", "")),
        name=_meta(obj).get("name", ""),
        instance_types=tuple(t.name for t in candidates),
        capacity_types=cap_types,
        volume_gib=volumes.get(node_class, DEFAULT_DATA_VOLUME_GIB),
        gpu_limit=int(quantity(limit)) if limit is not None else None,
    )


def _slot_config(cfg: Any, endpoint: str, slot: str) -> tuple[Any, Any]:
    if cfg is None or endpoint not in cfg.endpoints:
        return None, None
    ep = cfg.endpoints[endpoint]
    return ep, getattr(ep.slots, slot, None)


def _slots(inventory: Inventory, cfg: Any) -> list[Slot]:
    scaled = {}
    for obj in _objects(inventory, SCALED_OBJECT):
        spec = dict(obj.get("spec") or {})
        paused = (_meta(obj).get("annotations") or {}).get("autoscaling.keda.sh/paused-replicas")
        if paused is not None:  # KEDA holds a paused target at exactly this count
            spec["minReplicaCount"] = spec["maxReplicaCount"] = int(paused)
        target = (spec.get("scaleTargetRef") or {}).get("name")
        scaled[(_meta(obj).get("namespace"), target)] = spec
    slots = []
    for obj in _objects(inventory, DEPLOYMENT):
        meta = _meta(obj)
        labels = meta.get("labels") or {}
        if labels.get("app.kubernetes.io/name") != "vllm":
            continue
        pod = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
        gpus = cpu = mem = 0.0
        for container in pod.get("containers") or []:
            resources = container.get("resources") or {}
            requests = {**(resources.get("limits") or {}), **(resources.get("requests") or {})}
            gpus += quantity(requests.get(GPU, 0))
            cpu += quantity(requests.get("cpu", 0))
            mem += gib(requests.get("memory", 0))
        endpoint = labels.get(LLM_ENDPOINT, "")
        slot = labels.get(LLM_SLOT, "")
        ep, slot_cfg = _slot_config(cfg, endpoint, slot)
        if slot_cfg is not None and slot_cfg.empty:
            continue  # an empty slot serves nothing, whatever its replica bounds say
        replicas = int((obj.get("spec") or {}).get("replicas") or 0)
        keda = scaled.get((meta.get("namespace"), meta.get("name")))
        low = int(keda.get("minReplicaCount", 0)) if keda else replicas
        high = int(keda.get("maxReplicaCount", max(low, 1))) if keda else replicas
        model = slot_cfg.model if slot_cfg is not None else (labels.get("model") or None)
        live = getattr(ep.weights, slot) > 0 if ep is not None else bool(model)
        slots.append(Slot(
            endpoint=endpoint, slot=slot, model=model, team=labels.get("team", ""),
            pool=(pod.get("nodeSelector") or {}).get("karpenter.sh/nodepool", ""),
            gpus=int(gpus), cpu=cpu, memory_gib=mem, min=low, max=high, live=live,
            tokens_per_second=slot_cfg.tokens_per_second if slot_cfg is not None else DEFAULT_TOKENS_PER_SECOND,
            allowed_types=_required_instance_types(pod),
        ))
    return sorted(slots, key=lambda s: (s.endpoint, s.slot))


def model_key(model: str | None) -> str:
    """How a model id is matched across tags, labels and Prometheus series."""
    return label_value(model) if model else ""


def fitting_types(pool: Pool, slot: Slot) -> list[str]:
    """Pool types one replica fits on (the program's placement rule) and its node affinity allows."""
    return [
        name for name in pool.instance_types
        if fits(name, slot.gpus, slot.cpu, slot.memory_gib) and (slot.allowed_types is None or name in slot.allowed_types)
    ]


def _required_instance_types(pod: dict[str, Any]) -> tuple[str, ...] | None:
    """Instance types a pod's required node affinity admits (Karpenter launches only those)."""
    required = (((pod.get("affinity") or {}).get("nodeAffinity") or {}).get("requiredDuringSchedulingIgnoredDuringExecution") or {})
    allowed: set[str] | None = None
    for term in required.get("nodeSelectorTerms") or []:
        for expr in term.get("matchExpressions") or []:
            if expr.get("key") == "node.kubernetes.io/instance-type" and expr.get("operator") == "In":
                values = set(expr.get("values") or [])
                allowed = values if allowed is None else allowed | values
    return tuple(sorted(allowed)) if allowed is not None else None


__all__ = ["Capacity", "NodeGroup", "Pool", "Reservation", "Slot", "capacity", "fitting_types", "model_key", "quantity"]
