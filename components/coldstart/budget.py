"""The cold-start budget of one serving replica, from node request to first token (pure).

Stages, in order: instance launch, node ready, image, weights, load, compile, warm-up. Each is a
Figure (figures.py) or a stated formula over the instance catalog (network bandwidth), the
model's size and layers (models.py) and the cache state. Nothing is tuned to a target.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from components.catalog import INSTANCE_TYPES
from components.coldstart import figures as f
from components.coldstart.models import ModelFacts

IMAGE_SOURCES = ("snapshot", "soci", "pull")
# Where the weights stream from: the model bucket (S3 Standard, one prefix per model) or the shared
# weight cache (an S3 Express One Zone directory bucket per model).
WEIGHT_STORES = {
    "bucket": ("the model bucket (S3 Standard, one prefix)", f.S3_PREFIX_GETS),
    "cache": ("the shared weight cache (S3 Express One Zone)", f.S3_EXPRESS_GETS),
}


@dataclass(frozen=True)
class Stage:
    name: str
    seconds: float
    kind: str  # measured | documented | estimate | formula
    source: str

    def to_json(self) -> dict[str, object]:
        return {"stage": self.name, "seconds": round(self.seconds, 1), "kind": self.kind, "source": self.source}


@dataclass(frozen=True)
class CacheState:
    image: str  # snapshot (data volume from the image cache) | soci (parallel pull) | pull
    compile_cache: bool  # vLLM's torch.compile cache restored from S3
    init_mibps: int = f.VOLUME_INIT_MIBPS  # the restored data volume's initialization rate (snapshot only)
    weights: str = "bucket"  # a WEIGHT_STORES key

    def __post_init__(self) -> None:
        if self.image not in IMAGE_SOURCES:
            raise ValueError(f"image source {self.image!r}: expected one of {', '.join(IMAGE_SOURCES)}")
        if self.weights not in WEIGHT_STORES:
            raise ValueError(f"weight store {self.weights!r}: expected one of {', '.join(WEIGHT_STORES)}")


@dataclass(frozen=True)
class Budget:
    instance_type: str
    cache: CacheState
    stages: tuple[Stage, ...]

    @property
    def total(self) -> float:
        return sum(s.seconds for s in self.stages)

    @property
    def container_seconds(self) -> float:
        """Container start to first token: what the startup probe has to wait for."""
        return sum(s.seconds for s in self.stages if s.name in CONTAINER_STAGES)

    def to_json(self) -> dict[str, object]:
        return {
            "instance_type": self.instance_type,
            "cache": {"image": self.cache.image, "compile": self.cache.compile_cache, "weights": self.cache.weights},
            "stages": [s.to_json() for s in self.stages],
            "total_seconds": round(self.total, 1),
        }


CONTAINER_STAGES = ("weights", "load", "compile", "warm-up")


def _fig(name: str, *figs: f.Figure) -> Stage:
    kinds = {x.kind for x in figs}
    kind = kinds.pop() if len(kinds) == 1 else "estimate"
    return Stage(name, sum(x.value for x in figs), kind, "; ".join(f"{x.value:g} s: {x.source}" for x in figs))


def s3_gbps(instance_type: str) -> float:
    """GB/s one node can pull from S3: its NIC line rate times the usable share."""
    return INSTANCE_TYPES[instance_type].network_gbps / 8 * f.S3_LINE_RATE_SHARE.value


def image_stage(instance_type: str, source: str, init_mibps: int = f.VOLUME_INIT_MIBPS) -> Stage:
    gb = f.IMAGE_COMPRESSED_GB.value
    if source == "snapshot":
        read = f.IMAGE_STARTUP_READ_GB.value * 1e9 / (init_mibps * 2**20)
        return Stage(
            "image", f.CONTAINER_CREATE.value + read, "formula",
            f"image already in the data volume restored from the cache snapshot: {f.CONTAINER_CREATE.value:g} s container create + "
            f"{f.IMAGE_STARTUP_READ_GB.value:g} GB read at start ({f.IMAGE_STARTUP_READ_GB.kind}) / {init_mibps} MiB/s volume initialization rate",
        )
    if source == "soci":
        rate = min(s3_gbps(instance_type), f.SOCI_UNPACK_GBPS.value)
        return Stage(
            "image", gb / rate, "formula",
            f"SOCI parallel pull: {gb:g} GB compressed / min({INSTANCE_TYPES[instance_type].network_gbps:g} Gbps x "
            f"{f.S3_LINE_RATE_SHARE.value:g}, {f.SOCI_UNPACK_GBPS.value:g} GB/s unpack ({f.SOCI_UNPACK_GBPS.kind}))",
        )
    return Stage("image", gb / f.PLAIN_PULL_GBPS.value, "formula",
                 f"plain pull: {gb:g} GB / {f.PLAIN_PULL_GBPS.value:.3f} GB/s ({f.PLAIN_PULL_GBPS.source})")


def weights_stage(model: ModelFacts, gpus: int, instance_type: str, store: str = "bucket", nodes: int = 1) -> Stage:
    # Each tensor-parallel rank streams the whole checkpoint and keeps its slice: vLLM's
    # runai_streamer loader streams per rank to CPU unless its extra config sets
    # `distributed` (RunaiModelStreamerLoader: _is_distributed defaults to False), and the
    # checkpoint is not pre-sharded. So the node pulls gpus x the bytes.
    # A node streams at its NIC's usable rate unless `nodes` nodes starting together exceed what
    # the store serves: its GET/s ceiling x the streamer's request size, shared among them.
    total_gb = model.weights_gb * gpus
    where, gets = WEIGHT_STORES[store]
    ceiling = gets.value * f.STREAMER_CHUNK_BYTES.value / 1e9
    nic = s3_gbps(instance_type)
    rate = min(nic, ceiling / nodes)
    limit = (f"NIC-bound ({nodes} node(s) x {nic:.1f} GB/s <= {ceiling:.0f} GB/s store ceiling)" if rate == nic else
             f"store-bound: {gets.value:g} GET/s x {f.STREAMER_CHUNK_BYTES.value / 2**20:g} MiB = {ceiling:.0f} GB/s shared by {nodes} nodes")
    return Stage(
        "weights", total_gb / rate, "formula",
        f"{model.weights_gb:g} GB x {gpus} rank(s){' (each streams all of it: vLLM runai_streamer, distributed off)' if gpus > 1 else ''}"
        f" / {rate:.2f} GB/s from {where}; per node ({INSTANCE_TYPES[instance_type].network_gbps:g} Gbps "
        f"{instance_type} / 8 x {f.S3_LINE_RATE_SHARE.value:g} usable ({f.S3_LINE_RATE_SHARE.kind})); {limit} ({gets.source}; {f.STREAMER_CHUNK_BYTES.source})",
    )


def compile_stage(model: ModelFacts, warm: bool) -> Stage:
    # torch.compile compiles the repeated decoder layer once (identical graph pieces hit
    # Inductor's cache, docs.vllm.ai design/torch_compile), so its time does not grow with
    # depth; CUDA graph capture records every layer's kernels, so it scales with layers.
    comp, capture = (f.COMPILE_WARM, f.CAPTURE_WARM) if warm else (f.COMPILE_COLD, f.CAPTURE_COLD)
    scale = model.layers / f.REFERENCE_LAYERS
    return Stage(
        "compile", comp.value + capture.value * scale, "formula",
        f"{comp.value:g} s torch.compile ({'cache hit' if warm else 'no cache'}) + {capture.value:g} s CUDA graph capture x "
        f"{model.layers}/{f.REFERENCE_LAYERS} layers ({comp.source}; {capture.source})",
    )


def slot_budget(model: ModelFacts, gpus: int, instance_type: str, cache: CacheState, nodes: int = 1) -> Budget:
    load = [f.ENGINE_INIT_OTHER, *([f.TP_INIT] if gpus > 1 else [])]
    stages = (
        _fig("instance launch", f.KARPENTER_BATCH, f.KARPENTER_LAUNCH, f.EC2_BOOT),
        _fig("node ready", f.NODE_JOIN, f.GPU_INIT),
        image_stage(instance_type, cache.image, cache.init_mibps),
        weights_stage(model, gpus, instance_type, cache.weights, nodes),
        _fig("load", *load),
        compile_stage(model, cache.compile_cache),
        _fig("warm-up", f.READINESS_PERIOD, f.ROUTE_HEALTHY, f.FIRST_TOKEN),
    )
    return Budget(instance_type, cache, stages)


def slowest(instance_types: list[str]) -> str:
    """The eligible type with the least network bandwidth (ties: catalog order): the worst case."""
    return min(instance_types, key=lambda t: INSTANCE_TYPES[t].network_gbps)


# Timeouts derived from the worst case (slowest eligible type, no caches, weights from the model
# bucket, every replica the slot may have starting at once). Twice the computed
# figure: the figures are estimates, and a probe that kills a slow-but-healthy start costs a
# whole cold start again.
SAFETY_FACTOR = 2
MIN_STARTUP_SECONDS = 300


@dataclass(frozen=True)
class Timeouts:
    startup_probe_seconds: int  # container start -> /health (startupProbe period x failureThreshold)
    rollout_seconds: int  # node request -> ready: Deployment progressDeadline, KEDA initialCooldown, pulumi await

    @classmethod
    def from_worst(cls, worst: Budget) -> Timeouts:
        startup = max(MIN_STARTUP_SECONDS, math.ceil(worst.container_seconds * SAFETY_FACTOR / 60) * 60)
        rollout = math.ceil(worst.total * SAFETY_FACTOR / 60) * 60
        return cls(startup, max(rollout, startup))


UNCACHED = CacheState("pull", False)


def worst_case(model: ModelFacts, gpus: int, instance_types: list[str], nodes: int = 1) -> Budget:
    """Also the shared cache's fallback: a cache not populated yet sends pods to the model bucket."""
    return slot_budget(model, gpus, slowest(instance_types), UNCACHED, nodes)
