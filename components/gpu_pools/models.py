"""GPU capacity section of a stack: the Karpenter pools GPU nodes come from."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.catalog import GPU_FAMILIES, KNOWN_FAMILIES, UNLAUNCHABLE_FAMILIES, types_in_families
from components.config_base import ConfigModel

CapacityType = Literal["spot", "on-demand"]
DNS_LABEL = r"^[a-z]([a-z0-9-]{0,40}[a-z0-9])?$"


class GpuPoolConfig(ConfigModel):
    name: str = Field(pattern=DNS_LABEL, description="NodePool name; also the `pool` tag on its instances.")
    families: list[str] = Field(min_length=1, description="GPU instance families, e.g. [g6e, g6, g5].")
    sizes: list[str] = Field(default=[], description="Restrict to these sizes (e.g. [xlarge, 2xlarge]); all sizes when empty.")
    capacity_types: list[CapacityType] = Field(
        default=["spot", "on-demand"],
        min_length=1,
        description="Both types: Karpenter prefers spot and falls back to on-demand when spot is short.",
    )
    weight: int = Field(default=50, ge=1, le=100, description="Karpenter NodePool weight: higher pools are tried first.")
    ami: Literal["bottlerocket", "al2023"] = Field(default="bottlerocket", description="NVIDIA AMI variant.")
    gpu_limit: int = Field(gt=0, description="Most GPUs this pool may run at once (NodePool limits.nvidia.com/gpu).")
    cpu_limit: int | None = Field(default=None, gt=0, description="vCPU limit; derived from the GPU limit when omitted.")
    memory_limit_gib: int | None = Field(default=None, gt=0, description="Memory limit; derived from the GPU limit when omitted.")
    data_volume_gib: int = Field(default=300, ge=100, le=16000, description="Data volume for container images and the model cache.")
    consolidate_after: str = Field(default="10m", pattern=r"^(\d+(s|m|h))+$|^Never$")
    expire_after: str = Field(default="720h", pattern=r"^(\d+(s|m|h))+$|^Never$")
    allow_shallow_spot: bool = Field(
        default=False,
        description="Allow a spot pool with fewer than 2 families / 3 instance types (less spot depth, more interruptions).",
    )

    @field_validator("families")
    @classmethod
    def _families(cls, families: list[str]) -> list[str]:
        for family in families:
            if family not in KNOWN_FAMILIES:
                raise ValueError(f"unknown instance family {family!r}; GPU families: {', '.join(sorted(GPU_FAMILIES))}")
            if family in UNLAUNCHABLE_FAMILIES:
                raise ValueError(
                    f"instance family {family!r} cannot be launched by a Karpenter NodePool (dedicated hosts or capacity blocks only); "
                    f"use one of {', '.join(sorted(GPU_FAMILIES - UNLAUNCHABLE_FAMILIES))}"
                )
            if family not in GPU_FAMILIES:
                raise ValueError(f"{family!r} is not a GPU family; GPU families: {', '.join(sorted(GPU_FAMILIES - UNLAUNCHABLE_FAMILIES))}")
        if len(set(families)) != len(families):
            raise ValueError("lists a family twice")
        return families

    @property
    def instance_types(self) -> list[str]:
        return [t.name for t in types_in_families(self.families) if not self.sizes or t.size in self.sizes]

    @property
    def max_gpus_per_node(self) -> int:
        return max((t.gpus for t in types_in_families(self.families) if t.name in self.instance_types), default=0)

    @model_validator(mode="after")
    def _depth_and_sizes(self) -> "GpuPoolConfig":
        if not self.instance_types:
            raise ValueError(f"sizes {self.sizes} match no instance type of families {self.families}")
        if "spot" in self.capacity_types and not self.allow_shallow_spot:
            if len(self.families) < 2 and len(self.instance_types) < 3:
                raise ValueError(
                    f"spot pool {self.name!r} has {len(self.instance_types)} instance type(s) in 1 family; "
                    "spot needs depth: use >= 2 families or >= 3 types, or set allowShallowSpot: true"
                )
        return self


class GpuCapacityConfig(ConfigModel):
    spot_required: bool = Field(
        default=True, description="Every pool must allow spot (dev/staging cost guard). Set false in prod to allow on-demand-only pools."
    )
    pools: list[GpuPoolConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _pools(self) -> "GpuCapacityConfig":
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
