"""The release operations, free of CLI concerns: each takes its collaborators (applier, gate,
watch) as arguments so tests drive them against stand-in servers and a fake Pulumi."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from components.endpoint.models import SLOTS, EndpointConfig
from components.endpoint.names import ingress_urn, slot_target
from components.endpoint.slots import slot_plan
from infra.config import ConfigError, StackConfig, load_stack, stack_file
from llmctl.release import history as hist
from llmctl.release.apply import Applier, ApplyError
from llmctl.release.errors import ReleaseError
from llmctl.release.gate import SLOT_HEADER, EvalItem, GateReport, GateSettings, Target, load_eval_set, run_gate
from llmctl.release.stackfile import set_slot, set_weights, write_atomic
from llmctl.release.watch import WatchResult


@dataclass
class Stack:
    root: Path
    name: str
    cfg: StackConfig

    @classmethod
    def load(cls, root: Path, name: str) -> Stack:
        try:
            return cls(root, name, load_stack(name, root))
        except ConfigError as exc:
            raise ReleaseError(str(exc)) from None

    @property
    def path(self) -> Path:
        return stack_file(self.name, self.root)

    @property
    def source(self) -> str:
        return str(self.path.relative_to(self.root))

    def endpoint(self, name: str | None) -> tuple[str, EndpointConfig]:
        names = list(self.cfg.endpoints)
        if name is None:
            if len(names) == 1:
                return names[0], self.cfg.endpoints[names[0]]
            raise ReleaseError(f"stack {self.name} has {len(names)} endpoints; pass --endpoint with one of: {', '.join(names)}")
        if name not in self.cfg.endpoints:
            raise ReleaseError(f"stack {self.name} has no endpoint {name!r}; endpoints: {', '.join(names)}")
        return name, self.cfg.endpoints[name]

    def reload(self) -> None:
        self.cfg = Stack.load(self.root, self.name).cfg


def weights_of(endpoint: EndpointConfig) -> dict[str, int]:
    return {slot: getattr(endpoint.weights, slot) for slot in SLOTS}


def other(slot: str) -> str:
    return "green" if slot == "blue" else "blue"


def check_slot(slot: str) -> str:
    if slot not in SLOTS:
        raise ReleaseError(f"--slot/--to {slot!r}: must be one of {', '.join(SLOTS)}")
    return slot


# ---- status ---------------------------------------------------------------------------------

def endpoint_status(stack: Stack, name: str) -> dict[str, Any]:
    endpoint = stack.cfg.endpoints[name]
    slots = {}
    for slot in SLOTS:
        plan = slot_plan(endpoint, slot)
        slots[slot] = {"weight": plan.weight, "model": plan.model, "replicas": {"min": plan.min_replicas, "max": plan.max_replicas}}
    history = hist.load_history(stack.root, stack.name).for_endpoint(name)
    return {"slots": slots, "history": [e.model_dump(mode="json", by_alias=True, exclude_none=True) for e in history]}


def status(stack: Stack, endpoint: str | None) -> dict[str, Any]:
    if endpoint is None and len(stack.cfg.endpoints) > 1:
        return {"stack": stack.name, "endpoints": {n: endpoint_status(stack, n) for n in stack.cfg.endpoints}}
    name, _ = stack.endpoint(endpoint)
    return {"stack": stack.name, "endpoint": name, **endpoint_status(stack, name)}


# ---- prepare --------------------------------------------------------------------------------

def prepare(stack: Stack, endpoint: str | None, slot: str, model: str, image: str | None, replicas: int | None) -> dict[str, Any]:
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
                        to=weights_of(cfg), models=_models(stack.cfg.endpoints[name]), applied=False,
                        note=f"image {image}" if image else "")
    return {"stack": stack.name, "endpoint": name, "slot": slot, "model": model, "changed": old != new, "release": entry.id,
            "standbyReplicas": cfg.standby_replicas}


def _models(endpoint: EndpointConfig) -> dict[str, str | None]:
    return {slot: getattr(endpoint.slots, slot).model for slot in SLOTS}


# ---- gate -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class GateRequest:
    slot: str
    url: str | None = None
    baseline_url: str | None = None
    eval_set: str | None = None
    model: str | None = None
    max_p95_ms: float | None = None
    timeout_seconds: float = 60.0


def route_url(stack: Stack, endpoint: EndpointConfig, name: str) -> str:
    if not endpoint.route.host:
        raise ReleaseError(f"endpoint {name} is routed by path only; pass --url (and --baseline-url) with the ALB's DNS name")
    scheme = "https" if stack.cfg.ingress.certificate_arn else "http"
    return f"{scheme}://{endpoint.route.host}{(endpoint.route.path or '').rstrip('/')}"


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
    candidate = Target(request.url or route_url(stack, endpoint, name), model, {SLOT_HEADER: slot}, _kind(endpoint, slot))
    baseline = Target(request.baseline_url or route_url(stack, endpoint, name), live_model, {SLOT_HEADER: live}, _kind(endpoint, live))
    eval_rel = request.eval_set or endpoint.eval_set or stack.cfg.release.default_eval_set
    eval_path = Path(eval_rel) if Path(eval_rel).is_absolute() else stack.root / eval_rel
    items = load_eval_set(eval_path, eval_rel)
    release = stack.cfg.release
    settings = GateSettings(release.latency_requests, request.max_p95_ms or release.max_p95_ms, release.max_accuracy_drop,
                            timeout_seconds=request.timeout_seconds)
    return candidate, baseline, items, settings


def gate(stack: Stack, endpoint: str | None, request: GateRequest) -> tuple[str, GateReport]:
    name, _ = stack.endpoint(endpoint)
    candidate, baseline, items, settings = gate_inputs(stack, name, request)
    return name, run_gate(candidate, baseline, items, settings)


# ---- promote / rollback ---------------------------------------------------------------------

@dataclass
class Outcome:
    """What promote/rollback did; `code` is the exit code (0 ok, 1 blocked/rolled back/failed, 130 interrupted)."""

    code: int
    doc: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (CI cancel, pod shutdown) takes the same clean-up path as Ctrl-C."""

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def apply_batches(stack: str, endpoint: str, before: dict[str, int], after: dict[str, int], urgent: bool = False) -> list[list[str]]:
    """Targeted updates for a weight change, in order. Promote: a slot that starts taking traffic is
    scaled to its live replicas first (Pulumi waits for its Deployment, so the canary never lands
    on missing capacity), then the Ingress moves traffic. Rollback (urgent): the Ingress first, so
    traffic is back on the warm standby pods in seconds, then the slot scales to its live replicas.
    Last, a slot that no longer takes traffic drops to standbyReplicas."""
    growing = [slot_target(stack, endpoint, s) for s in SLOTS if before[s] == 0 < after[s]]
    shrinking = [slot_target(stack, endpoint, s) for s in SLOTS if before[s] > 0 == after[s]]
    ingress = [ingress_urn(stack, endpoint)]
    order = (ingress, growing, shrinking) if urgent else (growing, ingress, shrinking)
    return [batch for batch in order if batch]


def _apply(applier: Applier | None, stack: str, endpoint: str, before: dict[str, int], after: dict[str, int], urgent: bool = False,
           before_traffic: Callable[[], object] | None = None) -> None:
    if applier is not None:
        for targets in apply_batches(stack, endpoint, before, after, urgent):
            if before_traffic is not None and targets == [ingress_urn(stack, endpoint)]:
                before_traffic()  # e.g. capacity.CapacityWait: raises ApplyError before any weight moves
            applier(stack, targets)


def plan_steps(current: int, steps: list[int]) -> list[int]:
    """The target slot's weights to walk through: strictly increasing, ending at 100, above `current`."""
    if not steps or steps[-1] != 100 or steps != sorted(set(steps)) or steps[0] <= 0:
        raise ReleaseError(f"--steps {','.join(map(str, steps))}: must increase strictly from > 0 to 100, e.g. 10,50,100")
    return [s for s in steps if s > current]


def promote(
    stack: Stack,
    endpoint: str | None,
    to: str,
    steps: list[int] | None,
    applier: Applier | None,
    gate_run: Callable[[str], GateReport] | None,
    watch_run: Callable[[], WatchResult] | None,
    before_traffic: Callable[[], object] | None = None,
) -> Outcome:
    """Gate, then shift weights to `to` step by step (applied and watched unless applier is None)."""
    name, cfg = stack.endpoint(endpoint)
    check_slot(to)
    start = weights_of(cfg)
    if start[to] == 100:
        return Outcome(0, {"stack": stack.name, "endpoint": name, "weights": start, "changed": False},
                       [f"{name}: {to} already takes 100% of traffic; nothing to promote"])
    walk = plan_steps(start[to], steps or stack.cfg.release.canary_steps)
    if applier is None:
        walk = [100]  # nothing is deployed between steps, so there is nothing to watch
    original = stack.path.read_text()
    # Validate every intermediate stack file before any traffic moves (e.g. the slot's replicas).
    for weight in walk:
        _validate_weights(stack, name, {to: weight, other(to): 100 - weight})

    doc: dict[str, Any] = {"stack": stack.name, "endpoint": name, "to": to, "from": start, "steps": walk}
    lines: list[str] = []
    gate_doc = None
    if gate_run is not None:
        report = gate_run(name)
        gate_doc = {"passed": report.passed, "seconds": round(report.seconds, 3)}
        doc["gate"] = report.as_json()
        lines.append(report.table())
        if not report.passed:
            lines.append(f"{name}: gate failed; stack file unchanged")
            return Outcome(1, doc, lines)

    def record(outcome: str, to_weights: dict[str, int], applied: bool, note: str = "") -> None:
        entry = hist.append(stack.root, stack.name, endpoint=name, action="promote", outcome=outcome, slot=to,
                            **{"from": start}, to=to_weights, models=_models(cfg), steps=walk, applied=applied,
                            gate=gate_doc, note=note)
        doc["release"] = entry.id
        doc["outcome"] = outcome

    applied_any = False
    current = start  # the weights the cluster may have (last write whose apply started)
    began = time.perf_counter()
    with sigterm_as_interrupt():
        try:
            for index, weight in enumerate(walk):
                weights = {to: weight, other(to): 100 - weight}
                set_weights(stack.path, stack.source, name, weights)
                previous, current = current, weights
                if applier is not None:
                    applied_any = True
                    _apply(applier, stack.name, name, previous, weights, before_traffic=before_traffic if previous[to] == 0 else None)
                lines.append(f"{name}: {_fmt(weights)}{' applied' if applier else ' written (not applied)'}")
                if watch_run is not None and applier is not None and index < len(walk) - 1:
                    result = watch_run()
                    lines.append(f"{name}: watch at {weight}%: {result.summary()}")
                    if result.breached:
                        _restore(stack, original, applier, name, current, start)
                        record("rolled-back", start, applied=True, note=f"breach at {weight}%: {result.summary()}")
                        lines.append(f"{name}: canary breached at {weight}%; rolled back to {_fmt(start)}")
                        doc["seconds"] = round(time.perf_counter() - began, 3)
                        return Outcome(1, doc, lines)
        except ApplyError as exc:
            note = _restore(stack, original, applier if applied_any else None, name, current, start)
            record("failed", start, applied=applied_any, note=f"{exc}{note}")
            lines.append(f"{name}: {exc}; stack file restored to {_fmt(start)}{note}")
            return Outcome(1, doc, lines)
        except KeyboardInterrupt:
            write_atomic(stack.path, original)
            record("interrupted", start, applied=False, note="interrupted; stack file restored")
            lines.append(f"{name}: interrupted; stack file restored to {_fmt(start)}"
                         + ("; traffic may be mid-shift: run `pulumi up` to re-converge" if applied_any else ""))
            return Outcome(130, doc, lines)
    final = {to: walk[-1], other(to): 100 - walk[-1]}
    record("completed", final, applied=applier is not None)
    doc["weights"] = final
    doc["seconds"] = round(time.perf_counter() - began, 3)
    lines.append(f"{name}: promoted {to} to {walk[-1]}% (release #{doc['release']}); `llmctl release rollback {stack.name}"
                 f"{'' if len(stack.cfg.endpoints) == 1 else f' --endpoint {name}'}` restores {_fmt(start)}")
    return Outcome(0, doc, lines)


def _validate_weights(stack: Stack, name: str, weights: dict[str, int]) -> None:
    endpoint = stack.cfg.endpoints[name]
    try:
        type(endpoint).model_validate({**endpoint.model_dump(), "weights": weights})
    except ValidationError as exc:
        detail = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise ReleaseError(f"{stack.source}: llm-platform:endpoints.{name}: cannot set weights {_fmt(weights)}: {detail}") from None


def _restore(stack: Stack, original: str, applier: Applier | None, endpoint: str, current: dict[str, int], start: dict[str, int]) -> str:
    write_atomic(stack.path, original)
    if applier is None:
        return ""
    try:
        _apply(applier, stack.name, endpoint, current, start, urgent=True)
    except ApplyError as exc:
        return f"; re-applying the restored weights failed too ({exc}): run `pulumi up -s {stack.name}`"
    return "; restored weights applied"


def _fmt(weights: dict[str, int]) -> str:
    return f"blue {weights['blue']} / green {weights['green']}"


def rollback(stack: Stack, endpoint: str | None, applier: Applier | None) -> Outcome:
    """Restore the weights from before the endpoint's last completed promote; a no-op when that
    promote was already rolled back."""
    name, cfg = stack.endpoint(endpoint)
    began = time.perf_counter()
    history = hist.load_history(stack.root, stack.name)
    entry = history.last_undoable(name)
    current = weights_of(cfg)
    doc: dict[str, Any] = {"stack": stack.name, "endpoint": name, "weights": current, "changed": False}
    if entry is None:
        return Outcome(0, doc, [f"{name}: nothing to roll back (no completed promote since the last rollback); weights {_fmt(current)}"])
    if current != entry.to.as_dict():
        raise ReleaseError(f"{stack.source}: endpoint {name} has weights {_fmt(current)}, not the {_fmt(entry.to.as_dict())} "
                           f"release #{entry.id} set; the file was changed by hand: fix the weights or promote explicitly")
    restored = entry.from_.as_dict()
    original = stack.path.read_text()
    with sigterm_as_interrupt():
        try:
            set_weights(stack.path, stack.source, name, restored)
            _apply(applier, stack.name, name, current, restored, urgent=True)
        except ApplyError as exc:
            write_atomic(stack.path, original)
            return Outcome(1, doc, [f"{name}: {exc}; stack file left at {_fmt(current)}"])
        except KeyboardInterrupt:
            write_atomic(stack.path, original)
            return Outcome(130, doc, [f"{name}: interrupted; stack file left at {_fmt(current)}"])
    record = hist.append(stack.root, stack.name, endpoint=name, action="rollback", slot=stack_live(restored), **{"from": current},
                         to=restored, models=_models(cfg), applied=applier is not None, undoes=entry.id)
    seconds = time.perf_counter() - began
    doc.update({"weights": restored, "changed": True, "release": record.id, "undoes": entry.id, "seconds": round(seconds, 3)})
    return Outcome(0, doc, [f"{name}: rolled back release #{entry.id}: {_fmt(current)} -> {_fmt(restored)} "
                            f"({'applied' if applier else 'written, not applied'}) in {seconds:.2f}s"])


def stack_live(weights: dict[str, int]) -> str:
    return max(SLOTS, key=lambda s: weights[s])
