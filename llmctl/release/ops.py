"""The release operations, free of CLI concerns: each takes its collaborators (applier, gate,
watch) as arguments so tests drive them against stand-in servers and a fake Pulumi.

status / prepare / gate live here; promote and rollback in their own modules (journaled, locked).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from components.endpoint.models import SLOTS, EndpointConfig
from components.endpoint.slots import slot_plan
from llmctl.release import history as hist
from llmctl.release.apply import apply_batches
from llmctl.release.errors import ReleaseError
from llmctl.release.evals import DEFAULT_MAX_ITEMS
from llmctl.release.gate import SLOT_HEADER, EvalItem, GateReport, GateSettings, Target, load_eval_set, run_gate
from llmctl.release.lock import pid_alive
from llmctl.release.promote import plan_steps, promote
from llmctl.release.rollback import rollback
from llmctl.release.stackfile import set_slot
from llmctl.release.target import Outcome, Stack, check_slot, locked, models_of, other, weights_of

__all__ = ["Outcome", "Stack", "apply_batches", "check_slot", "gate", "plan_steps", "prepare", "promote", "rollback", "status",
           "weights_of"]


# ---- status ---------------------------------------------------------------------------------

def _unfinished(stack: Stack, entry: hist.Entry) -> dict[str, Any]:
    running = entry.pid is not None and pid_alive(entry.pid) and entry.pid != os.getpid()
    return {"release": entry.id, "action": entry.action, "outcome": entry.outcome, "from": entry.from_.as_dict(),
            "to": entry.to.as_dict(), "stepsApplied": entry.steps_applied, "pid": entry.pid, "running": running}


def endpoint_status(stack: Stack, name: str, history: hist.History) -> dict[str, Any]:
    endpoint = stack.cfg.endpoints[name]
    slots = {}
    for slot in SLOTS:
        plan = slot_plan(endpoint, slot)
        slots[slot] = {"weight": plan.weight, "model": plan.model, "replicas": {"min": plan.min_replicas, "max": plan.max_replicas}}
    unfinished = history.unfinished(name)
    entries = [e.model_dump(mode="json", by_alias=True, exclude_none=True) for e in history.for_endpoint(name)]
    return {"slots": slots, "history": entries, "unfinished": _unfinished(stack, unfinished) if unfinished else None}


def status(stack: Stack, endpoint: str | None) -> dict[str, Any]:
    history = stack.history()
    if endpoint is None and len(stack.cfg.endpoints) > 1:
        return {"stack": stack.name, "endpoints": {n: endpoint_status(stack, n, history) for n in stack.cfg.endpoints}}
    name, _ = stack.endpoint(endpoint)
    return {"stack": stack.name, "endpoint": name, **endpoint_status(stack, name, history)}


# ---- prepare --------------------------------------------------------------------------------

def prepare(stack: Stack, endpoint: str | None, slot: str, model: str, image: str | None, replicas: int | None) -> dict[str, Any]:
    with locked(stack, "prepare"):
        name, cfg = stack.endpoint(endpoint)
        check_slot(slot)
        weight = getattr(cfg.weights, slot)
        if weight > 0:
            raise ReleaseError(f"endpoint {name}: slot {slot} is live (weight {weight}); prepare the idle slot {other(slot)}")
        if replicas is not None and replicas < 1:
            raise ReleaseError(f"--replicas {replicas}: must be at least 1 (replicas the slot runs once it takes traffic)")
        old, new = set_slot(stack.path, stack.source, name, slot, model, image, replicas)
        stack.reload()
        entry = hist.append(stack.root, stack.name, endpoint=name, action="prepare", slot=slot, **{"from": weights_of(cfg)},
                            to=weights_of(cfg), models=models_of(stack.cfg.endpoints[name]), applied=False,
                            note=f"image {image}" if image else "")
    return {"stack": stack.name, "endpoint": name, "slot": slot, "model": model, "changed": old != new, "release": entry.id,
            "standbyReplicas": cfg.standby_replicas}


# ---- gate -----------------------------------------------------------------------------------

def check_url(option: str, url: str | None) -> str | None:
    """An http(s) base URL with a host, else a usage error (exit 2) naming the option."""
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ReleaseError(f"{option} {url!r}: must be an http:// or https:// URL with a host, e.g. https://chat.llm.internal")
    return url


def check_number(option: str, value: float | None, low: float, high: float) -> float | None:
    if value is not None and not (low < value <= high):
        raise ReleaseError(f"{option} {value:g}: must be above {low:g} and at most {high:g}")
    return value


@dataclass(frozen=True)
class GateRequest:
    """What to gate; checked on construction so an operator's typo is a usage error, never a
    blocked candidate."""

    slot: str
    url: str | None = None
    baseline_url: str | None = None
    eval_set: str | None = None
    model: str | None = None
    max_p95_ms: float | None = None
    timeout_seconds: float = 60.0
    max_items: int = DEFAULT_MAX_ITEMS
    progress: Callable[[int, int], None] | None = None

    def __post_init__(self) -> None:
        check_url("--url", self.url)
        check_url("--baseline-url", self.baseline_url)
        check_number("--max-p95-ms", self.max_p95_ms, 0, 3_600_000)
        check_number("--timeout", self.timeout_seconds, 0, 3600)
        if self.max_items < 1:
            raise ReleaseError(f"--max-items {self.max_items}: must be at least 1")


def route_url(stack: Stack, endpoint: EndpointConfig, name: str) -> str:
    scheme = "https" if stack.cfg.gateway.certificate_arn else "http"
    return f"{scheme}://{endpoint.route.host}"


RELEASE_KEY_ENV = "LLMCTL_RELEASE_KEY"


def release_key_headers() -> dict[str, str]:
    """The release tooling's own API key (`llmctl keys create STACK --release`), which CI passes as
    LLMCTL_RELEASE_KEY: the gateway admits it on every rule of every route, the slot header only with it."""
    key = os.environ.get(RELEASE_KEY_ENV)
    return {"Authorization": f"Bearer {key}"} if key else {}


def preview_headers(slot: str) -> dict[str, str]:
    return {SLOT_HEADER: slot, **release_key_headers()}


def _kind(endpoint: EndpointConfig, slot: str) -> str:
    return "embedding" if getattr(endpoint.slots, slot).vllm_args.get("runner") == "pooling" else "chat"


def gate_inputs(stack: Stack, name: str, request: GateRequest) -> tuple[Target, Target, list[EvalItem], GateSettings]:
    endpoint = stack.cfg.endpoints[name]
    slot = check_slot(request.slot)
    model = request.model or getattr(endpoint.slots, slot).model
    if not model:
        raise ReleaseError(f"endpoint {name}: slot {slot} has no model; run `llmctl release prepare` first")
    live = endpoint.live_slot()
    live_model = getattr(endpoint.slots, live).model or model
    candidate = Target(request.url or route_url(stack, endpoint, name), model, preview_headers(slot), _kind(endpoint, slot))
    baseline = Target(request.baseline_url or route_url(stack, endpoint, name), live_model, preview_headers(live), _kind(endpoint, live))
    eval_rel = request.eval_set or endpoint.eval_set or stack.cfg.release.default_eval_set
    eval_path = Path(eval_rel) if Path(eval_rel).is_absolute() else stack.root / eval_rel
    items = load_eval_set(eval_path, eval_rel, request.max_items)
    release = stack.cfg.release
    settings = GateSettings(release.latency_requests, request.max_p95_ms or release.max_p95_ms, release.max_accuracy_drop,
                            timeout_seconds=request.timeout_seconds, progress=request.progress)
    return candidate, baseline, items, settings


def gate(stack: Stack, endpoint: str | None, request: GateRequest) -> tuple[str, GateReport]:
    name, _ = stack.endpoint(endpoint)
    candidate, baseline, items, settings = gate_inputs(stack, name, request)
    return name, run_gate(candidate, baseline, items, settings)
