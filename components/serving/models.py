"""One vLLM serving slot: which model, which image, how much GPU and how it scales."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from components.config_base import ConfigModel

VllmArgValue = str | int | float | bool


class ReplicasConfig(ConfigModel):
    min: int = Field(default=1, ge=0, description="Floor; 0 lets the slot scale to zero when the endpoint allows it.")
    max: int = Field(default=2, ge=0, description="Ceiling KEDA may scale to.")

    @model_validator(mode="after")
    def _order(self) -> "ReplicasConfig":
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class SlotConfig(ConfigModel):
    model: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*(/[A-Za-z0-9._-]+)?$",
        description="Model id served (Hugging Face style `org/name`); an empty slot when omitted.",
    )
    weights: Literal["s3", "hub"] = Field(
        default="s3",
        description="`s3`: stream weights from the stack's model bucket (prefix = model id) over the S3 gateway endpoint; `hub`: download from the Hugging Face Hub through the NAT.",
    )
    image: str | None = Field(
        default=None, description="Pinned serving image (by digest or immutable tag); the stack's built image when omitted."
    )
    gpus: int = Field(default=1, ge=1, le=8, description="GPUs per replica (tensor parallel size).")
    cpu: float = Field(default=4, gt=0, description="vCPU request per replica.")
    memory_gib: int = Field(default=32, gt=0, description="Memory request per replica.")
    memory_limit_gib: int | None = Field(default=None, gt=0, description="Memory limit; equals the request when omitted.")
    replicas: ReplicasConfig = Field(default_factory=ReplicasConfig)
    max_model_len: int | None = Field(default=None, ge=256, description="vLLM --max-model-len.")
    gpu_memory_utilization: float = Field(default=0.90, gt=0.1, le=0.98, description="vLLM --gpu-memory-utilization.")
    vllm_args: dict[str, VllmArgValue] = Field(
        default={}, description="Extra `vllm serve` flags without the leading dashes, e.g. {enable-prefix-caching: true}."
    )
    tokens_per_second: float = Field(
        default=800, gt=0, description="Sustained output tokens/s one replica serves, for $/1M-token estimates."
    )

    @model_validator(mode="after")
    def _memory(self) -> "SlotConfig":
        if self.memory_limit_gib is not None and self.memory_limit_gib < self.memory_gib:
            raise ValueError(f"memoryLimitGib ({self.memory_limit_gib}) is below memoryGib ({self.memory_gib})")
        return self

    @property
    def empty(self) -> bool:
        return self.model is None
