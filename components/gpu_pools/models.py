"""GPU capacity section of a stack: the Karpenter pools GPU nodes come from."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.catalog import GPU_FAMILY_CATALOG, INSTANCE_TYPES, pool_family_error, types_in_families
from components.config_base import ConfigModel
from components.karpenter.models import KarpenterConfig
from components.names import PoolName

# `reserved`: On-Demand Capacity Reservations and Capacity Blocks selected by the node class
# (Karpenter >= 1.3 ODCRs, >= 1.6 Capacity Blocks; feature gate ReservedCapacity, beta and on by
# default since 1.6: karpenter.sh/docs/tasks/odcrs/, reference/settings feature gates, v1.14.1).
CapacityType = Literal["spot", "reserved", "on-demand"]
DURATION = r"^(\d+(s|m|h))+$|^Never$"
# Karpenter budget durations accept minutes and hours only (cron has no seconds).
BUDGET_DURATION = r"^(\d+h|\d+m|\d+h\d+m)$"
# Pinned AMI release formats: Bottlerocket vMAJOR.MINOR.PATCH, EKS AL2023 vYYYYMMDD.
AMI_VERSION_PATTERNS = {"bottlerocket": r"^v\d+\.\d+\.\d+$", "al2023": r"^v\d{8}$"}


class ImageCacheConfig(ConfigModel):
    """How a pool's nodes get the serving image: a data volume restored from the image cache
    snapshot when one is in step with the stack, else SOCI parallel pull."""

    snapshot_id: str | None = Field(
        default=None, pattern=r"^snap-[0-9a-f]{8,17}$",
        description="Boot data volumes from this snapshot instead of the one `llmctl image cache` recorded in stacks/image-cache/<stack>.json (it must hold the stack's serving image).",
    )
    soci_parallel_pull: bool = Field(
        default=True, description="Without an in-step snapshot, pull with Bottlerocket's SOCI snapshotter in parallel-pull-unpack mode (Bottlerocket >= 1.44.0)."
    )
    volume_initialization_rate: int = Field(
        default=300, ge=100, le=300,
        description="EBS Provisioned Rate for Volume Initialization (MiB/s) of a data volume restored from the snapshot: blocks arrive at this rate, not lazily on first read.",
    )

class CapacityReservationConfig(ConfigModel):
    """One ODCR or Capacity Block the pool launches into (EC2NodeClass capacityReservationSelectorTerms)."""

    id: str | None = Field(default=None, pattern=r"^cr-[0-9a-z]+$", description="Capacity reservation id (cr-...); give this or tags.")
    tags: dict[str, str] | None = Field(default=None, description="Select reservations carrying all these tags instead of an id.")
    owner_id: str | None = Field(default=None, pattern=r"^[0-9]{12}$", description="Account owning tag-selected reservations (shared reservations).")
    type: Literal["default", "capacity-block"] = Field(default="default", description="`default` for an ODCR, `capacity-block` for a Capacity Block for ML.")
    instance_type: str = Field(description="Instance type the reservation holds (estimate and preflight check).")
    count: int = Field(gt=0, description="Instances reserved (paid whether used or not).")
    start: datetime | None = Field(default=None, description="Capacity Block start (UTC); preflight checks the window.")
    end: datetime | None = Field(default=None, description="Reservation end (UTC); required for a Capacity Block.")
    hourly_usd: float | None = Field(
        default=None, gt=0,
        description="Price per instance-hour; the on-demand list price when omitted (required for Capacity Blocks, priced at purchase).",
    )

    @model_validator(mode="after")
    def _selector(self) -> CapacityReservationConfig:
        if (self.id is None) == (self.tags is None):
            raise ValueError("give exactly one of id (cr-...) or tags to select the reservation")
        if self.id is not None and self.owner_id is not None:
            raise ValueError("ownerId applies to tag-selected reservations only (Karpenter: id is exclusive with other fields)")
        if self.instance_type not in INSTANCE_TYPES or not INSTANCE_TYPES[self.instance_type].gpus:
            raise ValueError(f"instanceType {self.instance_type!r} is not a known GPU instance type")
        if self.type == "capacity-block" and (self.end is None or self.hourly_usd is None):
            raise ValueError("a capacity-block reservation needs end (its window closes then) and hourlyUsd (the price paid for the block)")
        if self.start is not None and self.end is not None and self.start >= self.end:
            raise ValueError(f"start {self.start.isoformat()} is not before end {self.end.isoformat()}")
        return self

    def selector_term(self) -> dict[str, object]:
        if self.id is not None:
            return {"id": self.id}
        term: dict[str, object] = {"tags": dict(sorted((self.tags or {}).items()))}
        if self.owner_id is not None:
            term["ownerID"] = self.owner_id
        return term


class GpuPoolConfig(ConfigModel):
    name: PoolName = Field(description="NodePool name; also the `pool` tag on its instances.")
    families: list[str] = Field(min_length=1, description="GPU instance families, e.g. [g6e, g6, g5].")
    sizes: list[str] = Field(default=[], description="Restrict to these sizes (e.g. [xlarge, 2xlarge]); all sizes when empty.")
    capacity_types: list[CapacityType] = Field(
        default=["spot", "on-demand"],
        min_length=1,
        description="Capacity types the pool may launch. Karpenter's order is fixed: reserved first (prepaid, modelled as free), "
        "then spot, then on-demand when spot is short. `reserved` needs capacityReservations.",
    )
    capacity_reservations: list[CapacityReservationConfig] = Field(
        default=[], description="ODCRs / Capacity Blocks this pool launches into (with capacity type reserved)."
    )
    shared_nodes: bool = Field(
        default=False,
        description="Render this pool once for every endpoint naming it (nodes bill to the stack's team, not the slot's). "
        "Default false: one NodePool + EC2NodeClass per slot, tagged with its team, model and endpoint.",
    )
    weight: int = Field(default=50, ge=1, le=100, description="Karpenter NodePool weight: higher pools are tried first.")
    ami: Literal["bottlerocket", "al2023"] = Field(
        default="bottlerocket",
        description="EKS-optimized AMI family; Karpenter picks its NVIDIA variant on GPU types. al2023 also deploys the NVIDIA device plugin.",
    )
    ami_version: str | None = Field(
        default=None,
        description="Pin this pool to another AMI release (bottlerocket v1.2.3, al2023 v20260512) to stage an upgrade; the platform pin when omitted.",
    )
    gpu_limit: int = Field(gt=0, description="Most GPUs this pool may run at once (NodePool limits.nvidia.com/gpu).")
    cpu_limit: int | None = Field(default=None, gt=0, description="vCPU limit; derived from the GPU limit when omitted.")
    memory_limit_gib: int | None = Field(default=None, gt=0, description="Memory limit; derived from the GPU limit when omitted.")
    data_volume_gib: int | None = Field(
        default=None, ge=20, le=16000,
        description="EBS data volume (Bottlerocket /dev/xvdb, AL2023 root). Default: 20 GiB when the NVMe RAID0 array holds containerd "
        "and kubelet (every type of the pool has instance store), else 300 GiB for images and the model cache.",
    )
    data_volume_iops: int | None = Field(
        default=None, ge=3000, le=16000, description="gp3 IOPS of the data volume; gp3's baseline 3000 (no extra charge) when omitted."
    )
    data_volume_throughput: int | None = Field(
        default=None, ge=125, le=1000,
        description="gp3 throughput in MiB/s (at most IOPS / 4); gp3's baseline 125 (no extra charge) when omitted.",
    )
    consolidation_policy: Literal["WhenEmpty", "WhenEmptyOrUnderutilized"] = Field(
        default="WhenEmpty",
        description="WhenEmpty never moves a running model; WhenEmptyOrUnderutilized also repacks half-used GPU nodes (a cold model load per move).",
    )
    consolidate_after: str = Field(default="10m", pattern=DURATION, description="How long a node stays empty before Karpenter removes it.")
    expire_after: str = Field(default="720h", pattern=DURATION, description="Node lifetime before replacement (picks up AMI and security fixes).")
    termination_grace_period: str = Field(
        default="1h",
        pattern=r"^(\d+(s|m|h))+$",
        description="Longest a draining node waits for its pods (in-flight streams, do-not-disrupt loads) before it is terminated.",
    )
    business_hours_schedule: str | None = Field(
        default="0 7 * * mon-fri",
        description="Cron (UTC) at which voluntary Drifted/Underutilized disruption is paused; null disables the pause.",
    )
    business_hours_duration: str = Field(default="12h", pattern=BUDGET_DURATION, description="How long the pause lasts from each schedule hit.")
    image_cache: ImageCacheConfig = Field(default_factory=ImageCacheConfig, description="Image cache snapshot or SOCI parallel pull for the serving image.")
    allow_shallow_spot: bool = Field(
        default=False,
        description="Allow a spot pool with fewer than 2 families / 3 instance types (less spot depth, more interruptions).",
    )

    @field_validator("families")
    @classmethod
    def _families(cls, families: list[str]) -> list[str]:
        for family in families:
            # Capacity-blocks-only families are checked with the reservations (_reservations).
            if error := pool_family_error(family, reserved=True):
                raise ValueError(error)
        if len(set(families)) != len(families):
            raise ValueError("lists a family twice")
        return families

    @field_validator("business_hours_schedule")
    @classmethod
    def _cron(cls, schedule: str | None) -> str | None:
        if schedule is not None and len(schedule.split()) != 5:
            raise ValueError("a 5-field cron expression (minute hour day-of-month month day-of-week, UTC), e.g. '0 7 * * mon-fri'")
        return schedule

    @property
    def instance_types(self) -> list[str]:
        return [t.name for t in types_in_families(self.families) if not self.sizes or t.size in self.sizes]

    @property
    def max_gpus_per_node(self) -> int:
        return max((t.gpus for t in types_in_families(self.families) if t.name in self.instance_types), default=0)

    @model_validator(mode="after")
    def _reservations(self) -> GpuPoolConfig:
        reservation_only = sorted(f for f in self.families if GPU_FAMILY_CATALOG[f].capacity_blocks_only)
        for family in reservation_only:
            if error := pool_family_error(family, reserved=bool(self.capacity_reservations)):
                raise ValueError(f"{error}; or add capacityReservations with capacity type reserved")
        if reservation_only and set(self.capacity_types) - {"reserved"}:
            raise ValueError(f"families {reservation_only} launch only into reservations: set capacityTypes: [reserved]")
        if ("reserved" in self.capacity_types) != bool(self.capacity_reservations):
            raise ValueError("capacity type reserved and capacityReservations go together: give both or neither")
        for i, reservation in enumerate(self.capacity_reservations):
            if reservation.instance_type not in self.instance_types:
                raise ValueError(
                    f"capacityReservations[{i}].instanceType {reservation.instance_type} is not one of the pool's instance types "
                    f"({', '.join(self.instance_types)})"
                )
        return self

    @property
    def reserved_instances(self) -> int:
        return sum(r.count for r in self.capacity_reservations)

    @model_validator(mode="after")
    def _depth_and_sizes(self) -> GpuPoolConfig:
        if self.ami_version is not None and not re.match(AMI_VERSION_PATTERNS[self.ami], self.ami_version):
            example = "v1.63.0" if self.ami == "bottlerocket" else "v20260512"
            raise ValueError(f"amiVersion {self.ami_version!r} is not a {self.ami} release; use the form {example}")
        if self.data_volume_throughput is not None and self.data_volume_throughput * 4 > (self.data_volume_iops or 3000):
            raise ValueError(
                f"gp3 allows at most 0.25 MiB/s per IOPS: dataVolumeThroughput {self.data_volume_throughput} needs dataVolumeIops >= {self.data_volume_throughput * 4}"
            )
        offered = {t.size for t in types_in_families(self.families)}
        unknown = [size for size in self.sizes if size not in offered]
        if unknown:
            raise ValueError(f"sizes {unknown} exist in none of {self.families}; sizes offered: {', '.join(sorted(offered))}")
        if self.instance_types and self.gpu_limit < min(t.gpus for t in types_in_families(self.families) if t.name in self.instance_types):
            raise ValueError(f"gpuLimit {self.gpu_limit} is below the GPUs of the smallest node in {self.name!r}; no node could launch")
        if not self.instance_types:
            raise ValueError(f"sizes {self.sizes} match no instance type of families {self.families}")
        shallow = len(self.families) < 2 and len(self.instance_types) < 3
        if "spot" in self.capacity_types and not self.allow_shallow_spot and shallow:
            raise ValueError(
                f"spot pool {self.name!r} has {len(self.instance_types)} instance type(s) in 1 family; "
                "spot needs depth: use >= 2 families or >= 3 types, or set allowShallowSpot: true"
            )
        return self


class GpuCapacityConfig(ConfigModel):
    spot_required: bool = Field(
        default=True, description="Every pool must allow spot (dev/staging cost guard). Set false in prod to allow on-demand-only pools."
    )
    pools: list[GpuPoolConfig] = Field(min_length=1, description="One Karpenter EC2NodeClass + NodePool each; endpoints pick one by name.")
    karpenter: KarpenterConfig = Field(default_factory=KarpenterConfig, description="The Karpenter controller that launches the pools' nodes.")

    @model_validator(mode="after")
    def _pools(self) -> GpuCapacityConfig:
        names = [p.name for p in self.pools]
        if len(set(names)) != len(names):
            raise ValueError(f"pool names must be unique, got {names}")
        if self.spot_required:
            for index, pool in enumerate(self.pools):
                if "spot" not in pool.capacity_types:
                    raise ValueError(
                        f"pools[{index}] ({pool.name}) is on-demand only but this stack sets spotRequired: true; "
                        "add spot to capacityTypes or set spotRequired: false"
                    )
        return self

    def pool(self, name: str) -> GpuPoolConfig | None:
        return next((p for p in self.pools if p.name == name), None)


# Without the NVMe RAID0 array (instance store absent, or dropped so a restored image cache stays
# on EBS) the data volume holds images (a vLLM image is ~10 GB) and the model cache.
EBS_ONLY_DATA_VOLUME_GIB = 300


def cached_data_volume_gib(pool: GpuPoolConfig) -> int:
    """Data volume size when it is restored from an image cache snapshot: RAID0 is off then, so
    containerd and kubelet live on it."""
    return pool.data_volume_gib or EBS_ONLY_DATA_VOLUME_GIB
