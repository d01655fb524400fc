"""Which of a pool's instance types can hold a slot (pure; used by config validation and the
Deployment's node affinity)."""

from __future__ import annotations

from components.catalog import INSTANCE_TYPES
from components.gpu_pools.models import GpuPoolConfig
from components.serving.models import SlotConfig

# What a node keeps for the system and daemons (kubelet/system reserved, DaemonSets), roughly:
# EKS AMIs reserve ~0.1-0.5 vCPU and a few hundred MiB plus eviction headroom; 0.5 vCPU and 10%
# of memory leave room for the DCGM exporter, CNI and Pod Identity agent as well.
RESERVED_VCPU = 0.5
ALLOCATABLE_MEMORY_FRACTION = 0.9


def fits(instance_type: str, gpus: int, cpu: float, memory_gib: float, min_gpu_memory_gib: int = 0) -> bool:
    """One replica (GPUs, CPU and memory requests, GPU memory floor) fits a node of this type."""
    itype = INSTANCE_TYPES.get(instance_type)
    return bool(itype) and (
        itype.gpus >= gpus
        and itype.gpu_memory_gib >= min_gpu_memory_gib
        and itype.vcpu - RESERVED_VCPU >= cpu
        and itype.memory_gib * ALLOCATABLE_MEMORY_FRACTION >= memory_gib
    )


def eligible_instance_types(pool: GpuPoolConfig, slot: SlotConfig) -> list[str]:
    """The pool's types one replica of the slot fits on."""
    return [
        name for name in pool.instance_types
        if fits(name, slot.gpus, slot.cpu, slot.memory_gib, slot.min_gpu_memory_gib or 0)
    ]


def instance_type_affinity(pool: GpuPoolConfig, slot: SlotConfig) -> list[str] | None:
    """Instance types to pin the pod to, or None when any of the pool's GPU types will do."""
    if slot.min_gpu_memory_gib is None:
        return None
    return eligible_instance_types(pool, slot)
