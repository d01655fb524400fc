"""Per slot of a stack: the cold start from node request to first token, stage by stage, in
three cache states, plus the worst case the probes and timeouts are derived from (pure over the
validated stack config and the recorded image cache; no synth needed).

- before: what the platform did without this work (plain image pull, no compile cache);
- first start: this stack as configured now (its image source: snapshot or SOCI; the compile
  cache is still empty until a pod of this model/vLLM/GPU has started once);
- cached: image cache snapshot in step and the compile cache warm: the steady state, one node;
- burst: the cached state with every replica the slot may have (replicas.max) starting at once,
  which is where the weight store's request ceiling can bind (the shared weight cache's case).
The node type is the cheapest eligible one (what Karpenter buys on-demand, and what the cost
estimate prices); the worst case uses the slowest eligible one.
"""

from __future__ import annotations

import math
from typing import Any

from components.coldstart.budget import CacheState, Timeouts, slot_budget, worst_case
from components.coldstart.imagecache import CacheRecord, image_sources, serving_key
from components.coldstart.models import model_facts
from components.cost.prices import pinned
from components.endpoint.slots import slot_plans
from components.model_store.weight_cache import is_cached
from components.serving.placement import eligible_instance_types

TARGET_SECONDS = 180  # the goal for every dev and staging slot
LARGE_MODEL_GB = 100  # prod's 70B chat (141 GB): the goal there is 240 s
LARGE_TARGET_SECONDS = 240


def target(weights_gb: float) -> int:
    return LARGE_TARGET_SECONDS if weights_gb >= LARGE_MODEL_GB else TARGET_SECONDS


def _cheapest(types: list[str], region: str) -> str:
    prices = pinned(region)
    return min(types, key=lambda t: (prices.on_demand(t) or math.inf, t))


def slot_rows(cfg: Any, record: CacheRecord | None) -> list[dict[str, Any]]:
    sources = image_sources(list(cfg.gpu.pools), record, cfg.region, serving_key(cfg.registry))
    rows = []
    for name, endpoint in cfg.endpoints.items():
        pool = cfg.gpu.pool(endpoint.pool)
        for plan in slot_plans(endpoint):
            if not plan.deployed:
                continue
            slot = getattr(endpoint.slots, plan.slot)
            row: dict[str, Any] = {"endpoint": name, "slot": plan.slot, "model": slot.model, "gpus": slot.gpus, "pool": pool.name,
                                   "live": plan.live, "replicas": {"min": plan.min_replicas, "max": plan.max_replicas}}
            facts = model_facts(slot.model)
            if facts is None or slot.weights != "s3":
                why = "weights from the Hugging Face Hub are not modelled (S3 streaming only)" if facts else \
                    f"{slot.model} is not in components/coldstart/models.py; add its size and layers"
                rows.append({**row, "error": why})
                continue
            types = eligible_instance_types(pool, slot)
            itype = _cheapest(types, cfg.region)
            rate = pool.image_cache.volume_initialization_rate
            store = "cache" if is_cached(cfg.model_store.shared_cache, slot.model) else "bucket"
            now = CacheState(sources[pool.name].kind, False, rate, store)
            cached = CacheState("snapshot", slot.compile_cache, rate, store)
            burst = max(1, slot.replicas.max)
            scenarios = {
                "before": slot_budget(facts, slot.gpus, itype, CacheState("pull", False)),
                "first_start": slot_budget(facts, slot.gpus, itype, now),
                "cached": slot_budget(facts, slot.gpus, itype, cached),
                "burst": slot_budget(facts, slot.gpus, itype, cached, burst),
                "burst_from_bucket": slot_budget(facts, slot.gpus, itype, CacheState("snapshot", slot.compile_cache, rate), burst),
            }
            worst = worst_case(facts, slot.gpus, types, burst)
            timeouts = Timeouts.from_worst(worst)
            goal = target(facts.weights_gb)
            rows.append({
                **row, "instance_type": itype, "weights_gb": facts.weights_gb, "image_source": now.image, "weight_store": store,
                "burst_nodes": burst,
                "image_cache_warning": sources[pool.name].warning,
                "scenarios": {k: b.to_json() for k, b in scenarios.items()},
                "worst_case": {"instance_type": worst.instance_type, "total_seconds": round(worst.total, 1),
                               "container_seconds": round(worst.container_seconds, 1)},
                "derived": {"startup_probe_seconds": timeouts.startup_probe_seconds, "progress_deadline_seconds": timeouts.rollout_seconds,
                            "keda_initial_cooldown_seconds": timeouts.rollout_seconds, "pulumi_await_seconds": timeouts.rollout_seconds},
                "target_seconds": goal,
                "meets_target": scenarios["cached"].total < goal,
            })
    return rows


def stack_report(stack: str, cfg: Any, record: CacheRecord | None) -> dict[str, Any]:
    return {"stack": stack, "region": cfg.region, "image_cache": record.snapshot_id if record else None, "slots": slot_rows(cfg, record)}
