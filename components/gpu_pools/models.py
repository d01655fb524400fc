"""GPU capacity section of a stack: the Karpenter pools GPU nodes come from."""

from __future__ import annotations

import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.catalog import pool_family_error, types_in_families
from components.config_base import ConfigModel
from components.karpenter.models import KarpenterConfig
from components.names import PoolName

CapacityType = Literal["spot", "on-demand"]
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


class GpuPoolConfig(ConfigModel):
    name: PoolName = Field(description="NodePool name; also the `pool` tag on its instances.")
    families: list[str] = Field(min_length=1, description="GPU instance families, e.g. [g6e, g6, g5].")
    sizes: list[str] = Field(default=[], description="Restrict to these sizes (e.g. [xlarge, 2xlarge]); all sizes when empty.")
    capacity_types: list[CapacityType] = Field(
        default=["spot", "on-demand"],
        min_length=1,
        description="Both types: Karpenter prefers spot and falls back to on-demand when spot is short.",
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
    data_volume_gib: int = Field(default=300, ge=100, le=16000, description="Data volume for container images and the model cache.")
    data_volume_iops: int = Field(default=6000, ge=3000, le=16000, description="gp3 IOPS of the data volume (image pulls and model loads).")
    data_volume_throughput: int = Field(default=500, ge=125, le=1000, description="gp3 throughput of the data volume in MiB/s (at most IOPS / 4).")
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
            if error := pool_family_error(family):
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
    def _depth_and_sizes(self) -> GpuPoolConfig:
        if self.ami_version is not None and not re.match(AMI_VERSION_PATTERNS[self.ami], self.ami_version):
            example = "v1.63.0" if self.ami == "bottlerocket" else "v20260512"
            raise ValueError(f"amiVersion {self.ami_version!r} is not a {self.ami} release; use the form {example}")
        if self.data_volume_throughput * 4 > self.data_volume_iops:
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
