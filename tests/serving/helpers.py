"""Shared helpers for tests/serving: the vLLM reference, slot specs and recorded slots."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from components.model_store.component import ModelBucket
from components.observability.versions import PROMETHEUS_URL
from components.serving.component import ServingSlot, ServingSlotArgs
from components.serving.manifests import SlotSpec
from components.serving.models import SlotConfig
from infra.config import load_stack
from llmctl.synth.runner import record
from tests.support.paths import REFERENCE, REPO_ROOT

BUCKET = ModelBucket("models-bkt", "arn:aws:s3:::models-bkt", "arn:aws:kms:us-west-2:123456789012:key/k1")
IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/llm-platform-t/vllm-serving@sha256:" + "a" * 64


@cache
def reference() -> dict[str, Any]:
    return json.loads((REFERENCE / "vllm-0.33.0.json").read_text())


def serve_flags() -> set[str]:
    return set(reference()["serve_flags"])


def exported_metric_names() -> set[str]:
    """Every series name vLLM 0.33 exports: counters with _total, histograms with _bucket/_sum/_count."""
    names = set()
    for name, kind in reference()["prometheus_metrics"].items():
        if kind == "counter":
            names.add(f"{name}_total")
        elif kind == "histogram":
            names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"}
        else:
            names.add(name)
    return names


VLLM_METRIC = re.compile(r"vllm:[a-z0-9_:]+")


def vllm_metrics_in(text: str) -> set[str]:
    return set(VLLM_METRIC.findall(text))


def slot_args(config: SlotConfig, *, endpoint="chat", slot="blue", min_replicas=1, max_replicas=2, scale_to_zero=False,
              stack="dev", pool_name=None, region="us-west-2", **extra) -> ServingSlotArgs:
    cfg = load_stack(stack, REPO_ROOT)
    pool = cfg.gpu.pool(pool_name) if pool_name else cfg.gpu.pools[0]
    return ServingSlotArgs(
        endpoint=endpoint, slot=slot, config=config, team="applied-ai", environment=stack, namespace=f"llm-{endpoint}",
        pool=pool, image=IMAGE, min_replicas=min_replicas, max_replicas=max_replicas, scale_to_zero=scale_to_zero,
        cluster_name=f"llm-platform-{stack}", boundary_arn="arn:aws:iam::123456789012:policy/llm-platform-boundary",
        model_bucket=BUCKET, kubernetes_version=cfg.cluster.kubernetes_version, region=region, prometheus_url=PROMETHEUS_URL, **extra,
    )


def record_slot(args: ServingSlotArgs, name: str | None = None):
    return record(lambda: ServingSlot(name or f"{args.endpoint}-{args.slot}", args), stack="t", config={"aws:region": "us-west-2"})


def objects(inventory, kind: str) -> list[dict[str, Any]]:
    return [obj for _, obj in inventory.kubernetes_objects() if obj["kind"] == kind]


def spec_for(config: SlotConfig, **overrides) -> SlotSpec:
    values = dict(endpoint="chat", slot="blue", team="applied-ai", environment="dev", pool="gpu-spot", config=config,
                  min_replicas=1, max_replicas=2, scale_to_zero=False, region="us-west-2", namespace="llm-chat",
                  image=IMAGE, s3_uri="s3://models-bkt/org/model/")
    values.update(overrides)
    return SlotSpec(**values)


def stack_slots():
    """(stack, endpoint, slot, SlotConfig, pool) for every slot with a model in the three stacks."""
    for stack in ("dev", "staging", "prod"):
        cfg = load_stack(stack, REPO_ROOT)
        for name, endpoint in cfg.endpoints.items():
            for slot in ("blue", "green"):
                slot_cfg = getattr(endpoint.slots, slot)
                if not slot_cfg.empty:
                    yield stack, name, slot, slot_cfg, cfg.gpu.pool(endpoint.pool), endpoint
