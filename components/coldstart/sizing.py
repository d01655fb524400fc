"""What a slot needs from the cold-start model, computed from its config and pool: the Run:ai
streamer's concurrency and CPU buffer, and the timeouts derived from the worst-case budget
(the startup probe, the Deployment's progress deadline, KEDA's initialCooldownPeriod, the await
of `pulumi up`, which is what a release's apply waits on)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from components.catalog import INSTANCE_TYPES
from components.coldstart import figures as f
from components.coldstart.budget import Timeouts, s3_gbps, worst_case
from components.coldstart.models import model_facts
from components.gpu_pools.models import GpuPoolConfig
from components.serving.models import SlotConfig
from components.serving.placement import eligible_instance_types

MIN_CONCURRENCY, MAX_CONCURRENCY = 4, 64
# Share of the container's memory limit the streamer's CPU buffer may take (split over the
# tensor-parallel ranks, each of which streams): the rest is vLLM's own host memory and /dev/shm.
BUFFER_SHARE = 0.25
# Without a computed budget (a model the table does not know, hub weights): the previous hand-set default.
UNKNOWN_MODEL_STARTUP_SECONDS = 40 * 60


@dataclass(frozen=True)
class SlotSizing:
    streamer: dict[str, int] | None  # --model-loader-extra-config for runai_streamer; None for hub weights
    timeouts: Timeouts
    computed: bool  # False when the model is not in the table (timeouts fall back)


def streamer_config(cfg: SlotConfig, types: list[str]) -> dict[str, int]:
    """Per rank: enough S3 connections to fill the fastest eligible node's NIC (85-90 MB/s each,
    S3 performance guidelines), shared by the ranks; a buffer of BUFFER_SHARE of the memory limit
    per rank, never below the model's largest tensor (the streamer's minimum)."""
    fastest = max(types, key=lambda t: INSTANCE_TYPES[t].network_gbps)
    per_rank = s3_gbps(fastest) / f.S3_PER_CONNECTION_GBPS.value / cfg.gpus
    concurrency = min(MAX_CONCURRENCY, max(MIN_CONCURRENCY, math.ceil(per_rank)))
    facts = model_facts(cfg.model or "")
    floor = int(facts.largest_tensor_gb * 1e9 * 1.1) if facts else 0
    buffer = int(cfg.memory_limit * 2**30 * BUFFER_SHARE / cfg.gpus)
    return {"concurrency": concurrency, "memory_limit": max(buffer, floor)}


def slot_sizing(pool: GpuPoolConfig, cfg: SlotConfig) -> SlotSizing:
    types = eligible_instance_types(pool, cfg) or list(pool.instance_types)
    streamer = streamer_config(cfg, types) if cfg.weights == "s3" else None
    # Hub downloads go through the NAT at the Hub's pace, which the model does not cover.
    facts = model_facts(cfg.model or "") if cfg.weights == "s3" else None
    if cfg.startup_minutes is not None or facts is None:
        startup = cfg.startup_minutes * 60 if cfg.startup_minutes is not None else UNKNOWN_MODEL_STARTUP_SECONDS
        rollout = Timeouts.from_worst(worst_case(facts, cfg.gpus, types, max(1, cfg.replicas.max))).rollout_seconds if facts else startup + 600
        return SlotSizing(streamer, Timeouts(startup, max(rollout, startup)), False)
    return SlotSizing(streamer, Timeouts.from_worst(worst_case(facts, cfg.gpus, types, max(1, cfg.replicas.max))), True)
