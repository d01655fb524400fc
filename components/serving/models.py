"""One vLLM serving slot: which model, which image, how much GPU and how it scales."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from components.config_base import ConfigModel, Int32
from components.registry.images import PinnedImage
from components.serving.vllm_flags import check_extra_flag

VllmArgValue = str | int | float | bool


class ReplicasConfig(ConfigModel):
    min: Int32 = Field(default=1, ge=0, description="Floor; 0 lets the slot scale to zero when the endpoint allows it.")
    max: Int32 = Field(default=2, ge=0, description="Ceiling KEDA may scale to.")

    @model_validator(mode="after")
    def _order(self) -> ReplicasConfig:
        if self.min > self.max:
            raise ValueError(f"min ({self.min}) must not exceed max ({self.max})")
        return self


class ScalingConfig(ConfigModel):
    """KEDA targets: scale on vLLM's own queue, not on CPU or GPU utilisation."""

    queue_target: int = Field(
        default=4, ge=1, le=1000,
        description="Target `vllm:num_requests_waiting` per replica; more waiting requests add replicas.",
    )
    kv_cache_target: float | None = Field(
        default=0.85, gt=0, le=1,
        description="Also scale out when `vllm:kv_cache_usage_perc` averages above this fraction; null disables the trigger.",
    )
    polling_seconds: int = Field(default=15, ge=5, le=300, description="KEDA polling interval.")
    cooldown_seconds: int = Field(default=900, ge=60, le=86400, description="Idle time before KEDA scales to zero (only when scale to zero is allowed).")
    scale_down_stabilization_seconds: int = Field(
        default=600, ge=0, le=3600, description="HPA scale-down stabilisation: a GPU replica costs minutes to bring back, so shrink slowly."
    )
    wake_requests: Int32 = Field(
        default=1, ge=1, description="Requests counted at the gateway within 2 minutes that wake a slot scaled to zero (KEDA activation threshold)."
    )


class SloConfig(ConfigModel):
    """Alert thresholds for the slot's PrometheusRule."""

    ttft_p95_seconds: float = Field(default=2.0, gt=0, description="p95 time to first token above this for 10 min fires an alert.")
    e2e_p95_seconds: float = Field(default=60.0, gt=0, description="p95 end-to-end request latency above this for 10 min fires an alert.")
    error_rate_pct: float = Field(default=2.0, gt=0, le=100, description="HTTP 5xx share of requests above this for 5 min fires an alert.")
    queue_waiting: Int32 = Field(default=20, ge=1, description="Waiting requests per replica sustained for 15 min (scaling is stuck) fires an alert.")
    kv_cache_full_pct: float = Field(default=95, gt=0, le=100, description="KV cache usage above this for 15 min fires an alert.")
    throughput_drop_pct: float = Field(
        default=50, gt=0, lt=100, description="Tokens/s (prompt + generated) down more than this % against an hour earlier, for 10 min, fires an alert."
    )
    throughput_floor_tokens_per_second: float = Field(
        default=5, ge=0, description="The throughput-drop alert only judges a slot that served more than this many tokens/s an hour earlier."
    )


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
    revision: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{40}$",
        description="Full commit of the model repository the weights (and any remote code) come from; vLLM --revision. Required for hub weights in staging and prod (policy vllm-pinned-model).",
    )
    trust_remote_code: bool = Field(
        default=False,
        description="Run Python shipped in the model repository (vLLM --trust-remote-code); only with `revision` pinned, so the code that runs is the code reviewed.",
    )
    image: PinnedImage | None = Field(
        default=None, description="Pinned serving image (by digest or immutable tag); the stack's built image when omitted."
    )
    gpus: int = Field(
        default=1, ge=1, le=8,
        description="GPUs per replica: tensor parallel size x vllmArgs.pipeline-parallel-size (1 unless set).",
    )
    min_gpu_memory_gib: int | None = Field(
        default=None, ge=1, le=200,
        description="Schedule only on the pool's instance types whose GPUs have at least this much memory each (e.g. 48 keeps a 70B model off 24 GiB GPUs).",
    )
    cpu: float = Field(default=4, gt=0, description="vCPU request per replica.")
    memory_gib: Int32 = Field(default=32, gt=0, description="Memory request per replica.")
    memory_limit_gib: Int32 | None = Field(default=None, gt=0, description="Memory limit; equals the request when omitted.")
    replicas: ReplicasConfig = Field(default_factory=ReplicasConfig)
    max_model_len: Int32 | None = Field(default=None, ge=256, description="vLLM --max-model-len.")
    gpu_memory_utilization: float = Field(default=0.90, gt=0.1, le=0.98, description="vLLM --gpu-memory-utilization.")
    vllm_args: dict[str, VllmArgValue] = Field(
        default={}, description="Extra `vllm serve` flags without the leading dashes, e.g. {enable-prefix-caching: true}."
    )
    tokens_per_second: float = Field(
        default=800, gt=0, description="Sustained output tokens/s one replica serves, for $/1M-token estimates."
    )
    hub_token_secret: str | None = Field(
        default=None, pattern=r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$",
        description="With weights: hub, a Secret in the endpoint namespace whose HF_TOKEN key reads gated models.",
    )
    shm_gib: int = Field(default=16, ge=1, le=512, description="/dev/shm size (memory-backed; NCCL and the API server use it); counts against the memory limit.")
    model_cache_gib: int = Field(default=200, ge=10, le=8000, description="Model cache volume size limit on the node data volume.")
    startup_minutes: int | None = Field(
        default=None, ge=5, le=180,
        description="Override of the startup probe's budget (container start to /health OK); computed from the cold-start model (`llmctl coldstart`) when omitted.",
    )
    compile_cache: bool = Field(
        default=True,
        description="Keep vLLM's torch.compile cache in the model bucket (compile-cache/<model>/vllm-<version>/<gpu>/): restored at start, uploaded after the first successful start.",
    )
    pre_stop_seconds: int = Field(
        default=20, ge=0, le=300, description="Sleep before SIGTERM so the endpoint picker and Envoy stop sending the terminating pod new requests before vLLM stops taking them."
    )
    shutdown_timeout_seconds: int = Field(
        default=120, ge=0, le=3600, description="vLLM --shutdown-timeout: in-flight requests get this long to finish after SIGTERM."
    )
    scaling: ScalingConfig = Field(default_factory=ScalingConfig, description="KEDA autoscaling targets.")
    slo: SloConfig = Field(default_factory=SloConfig, description="Alert thresholds.")

    @field_validator("vllm_args")
    @classmethod
    def _vllm_args(cls, args: dict[str, VllmArgValue]) -> dict[str, VllmArgValue]:
        for flag in args:
            problem = check_extra_flag(flag)
            if problem:
                raise ValueError(problem)
        return args

    @model_validator(mode="after")
    def _parallelism(self) -> SlotConfig:
        pp = self.vllm_args.get("pipeline-parallel-size", 1)
        if isinstance(pp, bool) or not isinstance(pp, int) or pp < 1:
            raise ValueError(f"vllmArgs.pipeline-parallel-size must be a positive integer, got {pp!r}")
        if self.gpus % pp:
            # vLLM runs tp x pp workers, one per GPU; the platform derives tp = gpus / pp.
            raise ValueError(f"tensor-parallel-size x pipeline-parallel-size must equal gpus ({self.gpus}): "
                             f"pipeline-parallel-size {pp} does not divide {self.gpus}")
        return self

    @property
    def pipeline_parallel_size(self) -> int:
        return int(self.vllm_args.get("pipeline-parallel-size", 1))

    @property
    def tensor_parallel_size(self) -> int:
        return self.gpus // self.pipeline_parallel_size

    @field_validator("memory_limit_gib")
    @classmethod
    def _memory_limit(cls, limit: int | None, info: ValidationInfo) -> int | None:
        request = info.data.get("memory_gib")
        if limit is not None and request is not None and limit < request:
            raise ValueError(f"memoryLimitGib ({limit}) is below memoryGib ({request})")
        return limit

    @field_validator("shm_gib")
    @classmethod
    def _shm(cls, shm: int, info: ValidationInfo) -> int:
        limit = info.data.get("memory_limit_gib") or info.data.get("memory_gib")
        if limit is not None and shm >= limit:
            raise ValueError(f"shmGib ({shm}) must be below the memory limit ({limit} GiB): /dev/shm is memory")
        return shm

    @model_validator(mode="after")
    def _remote_code(self) -> SlotConfig:
        if self.trust_remote_code and self.revision is None:
            raise ValueError(
                "trustRemoteCode runs the model repository's Python in the serving pod: pin revision to a full 40-hex commit"
            )
        return self

    @property
    def empty(self) -> bool:
        return self.model is None

    @property
    def memory_limit(self) -> int:
        return self.memory_limit_gib if self.memory_limit_gib is not None else self.memory_gib
