"""Which of a pool's instance types can hold a slot (pure; used by config validation and the
Deployment's node affinity)."""

from __future__ import annotations

from components.catalog import INSTANCE_TYPES
from components.gpu_pools.models import GpuPoolConfig
from components.serving.models import SlotConfig


def eligible_instance_types(pool: GpuPoolConfig, slot: SlotConfig) -> list[str]:
    """The pool's types with at least `slot.gpus` GPUs of at least `slot.minGpuMemoryGib` each."""
    floor = slot.min_gpu_memory_gib or 0
    return [
        name for name in pool.instance_types
        if INSTANCE_TYPES[name].gpus >= slot.gpus and INSTANCE_TYPES[name].gpu_memory_gib >= floor
    ]


def instance_type_affinity(pool: GpuPoolConfig, slot: SlotConfig) -> list[str] | None:
    """Instance types to pin the pod to, or None when any of the pool's GPU types will do."""
    if slot.min_gpu_memory_gib is None:
        return None
    return eligible_instance_types(pool, slot)
