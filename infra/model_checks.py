"""Warnings about the models a stack serves: models the catalog (components/catalog/models.py)
lacks, and catalogued models whose weights alone exceed what a GPU the pool may pick holds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.catalog import INSTANCE_TYPES
from components.catalog.models import model_facts
from components.endpoint.models import SLOTS
from components.serving.placement import eligible_instance_types

if TYPE_CHECKING:
    from infra.config import StackConfig


def model_warnings(cfg: StackConfig) -> list[str]:
    found = []
    for name, endpoint in cfg.endpoints.items():
        pool = cfg.gpu.pool(endpoint.pool)
        for slot in SLOTS:
            slot_cfg = getattr(endpoint.slots, slot)
            key = f"llm-platform:endpoints.{name}.slots.{slot}"
            facts = model_facts(slot_cfg.model) if slot_cfg.model else None
            if slot_cfg.model and facts is None:
                found.append(f"{key}.model: {slot_cfg.model} is not in components/catalog/models.py; "
                             f"its tensor parallel size is not checked against its attention heads")
            elif facts and pool is not None and (types := eligible_instance_types(pool, slot_cfg)):
                smallest = min(INSTANCE_TYPES[t].gpu_memory_gib for t in types)
                per_gpu = facts.weights_gb / slot_cfg.tensor_parallel_size
                if per_gpu > smallest * slot_cfg.gpu_memory_utilization:
                    found.append(f"{key}: {slot_cfg.model} needs {per_gpu:.1f} GB of weights per GPU at tensor parallel "
                                 f"{slot_cfg.tensor_parallel_size}, but pool {pool.name} may place it on {smallest} GiB GPUs; "
                                 f"raise gpus or set minGpuMemoryGib")
    return found
