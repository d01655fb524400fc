"""`promote`: gate, then shift an endpoint's weights to one slot step by step, journaled.

Order of every step: the history entry says what is about to happen, then the stack file's two
weight lines change, then the cluster is updated, then the entry records the applied step. A
process killed at any point leaves an unfinished entry that `status` shows and `rollback` undoes.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from llmctl.release import history as hist
from llmctl.release.apply import Applier, ApplyError, apply_weights, classed
from llmctl.release.errors import ReleaseError
from llmctl.release.gate import GateReport
from llmctl.release.stackfile import locate_weights, set_weights
from llmctl.release.target import Outcome, Stack, check_slot, fmt, locked, models_of, sigterm_as_interrupt, split, weights_of
from llmctl.release.watch import WatchResult


def plan_steps(current: int, steps: list[int]) -> list[int]:
    """The target slot's weights to walk through: strictly increasing, ending at 100, above `current`."""
    if not steps or steps[-1] != 100 or steps != sorted(set(steps)) or steps[0] <= 0:
        raise ReleaseError(f"--steps {','.join(map(str, steps))}: must increase strictly from > 0 to 100, e.g. 10,50,100")
    return [s for s in steps if s > current]


def refuse_unfinished(stack: Stack, history: hist.History, endpoint: str) -> None:
    entry = history.unfinished(endpoint)
    if entry is not None:
        raise ReleaseError(f"endpoint {endpoint}: release #{entry.id} ({entry.action}, {entry.outcome}) never finished; "
                           f"run `llmctl release rollback {stack.name} --endpoint {endpoint}` first")


def validate_weights(stack: Stack, name: str, weights: dict[str, int]) -> None:
    endpoint = stack.cfg.endpoints[name]
    try:
        type(endpoint).model_validate({**endpoint.model_dump(), "weights": weights})
    except ValidationError as exc:
        detail = exc.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
        raise ReleaseError(f"{stack.source}: llm-platform:endpoints.{name}: cannot set weights {fmt(weights)}: {detail}") from None


@dataclass
class Promotion:
    """One promote run after its checks: the walk, the journal entry and what has been applied."""

    stack: Stack
    name: str
    to: str
    walk: list[int]
    applier: Applier | None
    watch_run: Callable[[], WatchResult] | None
    start: dict[str, int]
    before_traffic: Callable[[], object] | None = None  # capacity wait before traffic first moves to `to`
    doc: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    gate: dict[str, object] | None = None
    entry: hist.Entry | None = None
    written: dict[str, int] = field(default_factory=dict)  # what the stack file holds, as this run left it
    cluster: dict[str, int] = field(default_factory=dict)  # the furthest weights whose apply started
    applied: list[int] = field(default_factory=list)  # steps whose apply finished
    touched: bool = False  # an apply started: the cluster may differ from `start`, even if it failed
    began: float = field(default_factory=time.perf_counter)

    def __post_init__(self) -> None:
        self.written, self.cluster = dict(self.start), dict(self.start)
        self.doc.update({"stack": self.stack.name, "endpoint": self.name, "to": self.to, "from": self.start, "steps": self.walk})

    def run_gate(self, gate_run: Callable[[str], GateReport]) -> Outcome | None:
        """None when the gate passed, else the blocked outcome (nothing written)."""
        report = gate_run(self.name)
        self.gate = {"passed": report.passed, "seconds": round(report.seconds, 3)}
        self.doc["gate"] = report.as_json()
        self.lines.append(report.table())
        if report.passed:
            return None
        self.lines.append(f"{self.name}: gate failed; stack file unchanged")
        return Outcome(1, self.doc, self.lines)

    def open_journal(self) -> None:
        self.entry = hist.append(self.stack.root, self.stack.name, endpoint=self.name, action="promote", outcome="in-progress",
                                 slot=self.to, **{"from": self.start}, to=split(self.to, self.walk[-1]), steps=self.walk,
                                 models=models_of(self.stack.cfg.endpoints[self.name]), gate=self.gate, pid=os.getpid())
        self.doc["release"] = self.entry.id

    def journal(self, **changes: object) -> None:
        assert self.entry is not None
        self.entry = hist.update(self.stack.root, self.stack.name, self.entry.id, **changes)
        self.doc["outcome"] = self.entry.outcome

    def execute(self) -> Outcome:
        self.open_journal()
        with sigterm_as_interrupt():
            try:
                for index, weight in enumerate(self.walk):
                    self.step(weight)
                    if self.watching(index) and (breach := self.watch(weight)):
                        return breach
            except ApplyError as exc:
                return self.failed(exc)
            except ReleaseError as exc:  # the weight lines changed under this run: stop, touch nothing
                return self.stopped(exc)
            except KeyboardInterrupt:
                return self.interrupted()
        return self.completed()

    def step(self, weight: int) -> None:
        weights = split(self.to, weight)
        set_weights(self.stack.path, self.stack.source, self.name, weights, expect=[self.written])
        previous, self.written = self.cluster, weights
        if self.applier is not None:
            self.cluster, self.touched = weights, True
            wait = self.before_traffic if previous[self.to] == 0 else None
            apply_weights(self.applier, self.stack.name, self.name, previous, weights, before_traffic=wait,
                          classed=classed(self.stack.cfg, self.name))
            self.applied.append(weight)
            self.journal(outcome="applied-step", stepsApplied=self.applied, applied=True)
        self.lines.append(f"{self.name}: {fmt(weights)}{' applied' if self.applier else ' written (not applied)'}")

    def watching(self, index: int) -> bool:
        return self.watch_run is not None and self.applier is not None and index < len(self.walk) - 1

    def watch(self, weight: int) -> Outcome | None:
        assert self.watch_run is not None
        result = self.watch_run()
        self.lines.append(f"{self.name}: watch at {weight}%: {result.summary()}")
        if not result.breached:
            return None
        restored, note = self.restore()
        summary = f"breach at {weight}%: {result.summary()}"
        self.close("rolled-back" if restored else "failed", summary + note)
        done = f"rolled back to {fmt(self.start)}" if restored else "stopped"
        self.lines.append(f"{self.name}: canary breached at {weight}%; {done}{note}")
        return Outcome(1, self.doc, self.lines)

    def restore(self) -> tuple[bool, str]:
        """Put back the weight lines this run changed (only if they still hold what it wrote) and
        re-apply the old weights when anything was applied; (file restored, note for the record)."""
        try:
            set_weights(self.stack.path, self.stack.source, self.name, self.start, expect=[self.written])
        except ReleaseError as exc:
            return False, f"; stack file NOT restored: {exc}"
        self.written = dict(self.start)
        if self.applier is None or self.cluster == self.start:
            return True, ""
        try:
            apply_weights(self.applier, self.stack.name, self.name, self.cluster, self.start, urgent=True,
                          classed=classed(self.stack.cfg, self.name))
        except ApplyError as exc:
            return True, f"; re-applying the restored weights failed too ({exc}): run `pulumi up -s {self.stack.name}`"
        self.cluster = dict(self.start)
        return True, "; restored weights applied"

    def close(self, outcome: str, note: str = "") -> None:
        self.journal(outcome=outcome, to=self.start if outcome != "completed" else split(self.to, self.walk[-1]),
                     applied=self.touched, note=note, pid=None)
        self.doc["seconds"] = round(time.perf_counter() - self.began, 3)

    def failed(self, exc: ApplyError) -> Outcome:
        restored, note = self.restore()
        self.close("failed", f"{exc}{note}")
        self.lines.append(f"{self.name}: {exc}; " + (f"stack file restored to {fmt(self.start)}" if restored else "stopped") + note)
        return Outcome(1, self.doc, self.lines)

    def stopped(self, exc: ReleaseError) -> Outcome:
        """Someone else changed the weights mid-run. The entry stays unfinished (the cluster may
        run `cluster`), so `status` shows it and `rollback` undoes it once the lines hold one of
        this release's weights again."""
        self.journal(note=f"stopped: {exc}")
        self.lines.append(f"{self.name}: stopped: {exc}; release #{self.doc['release']} stays unfinished with the cluster at "
                          f"{fmt(self.cluster)}: set the weights back to {fmt(self.written)} and run `llmctl release rollback`")
        return Outcome(1, self.doc, self.lines)

    def interrupted(self) -> Outcome:
        restored, note = self.restore()  # a second interrupt here leaves the entry unfinished for `rollback`
        self.close("interrupted", f"interrupted{note}")
        self.lines.append(f"{self.name}: interrupted; " + (f"stack file restored to {fmt(self.start)}" if restored else "stopped") + note)
        return Outcome(130, self.doc, self.lines)

    def completed(self) -> Outcome:
        final = split(self.to, self.walk[-1])
        self.close("completed")
        self.doc["weights"] = final
        only = "" if len(self.stack.cfg.endpoints) == 1 else f" --endpoint {self.name}"
        self.lines.append(f"{self.name}: promoted {self.to} to {self.walk[-1]}% (release #{self.doc['release']}); "
                          f"`llmctl release rollback {self.stack.name}{only}` restores {fmt(self.start)}")
        return Outcome(0, self.doc, self.lines)


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
    """Gate, then shift weights to `to` step by step (applied and watched unless applier is None;
    `before_traffic` waits for the slot's capacity before its first traffic). Holds the stack's
    lock throughout; nothing is written before the history validates."""
    with locked(stack, "promote") as history:
        name, cfg = stack.endpoint(endpoint)
        check_slot(to)
        locate_weights(stack.path.read_text(), stack.source, name)  # weights shared through an anchor: refused up front
        refuse_unfinished(stack, history, name)
        start = weights_of(cfg)
        if start[to] == 100:
            return Outcome(0, {"stack": stack.name, "endpoint": name, "weights": start, "changed": False},
                           [f"{name}: {to} already takes 100% of traffic; nothing to promote"])
        # Nothing is deployed between steps without an applier, so there is nothing to watch.
        walk = plan_steps(start[to], steps or stack.cfg.release.canary_steps)
        if applier is None:
            walk = [100]
        for weight in walk:  # every intermediate stack file is valid before any traffic moves
            validate_weights(stack, name, split(to, weight))
        run = Promotion(stack, name, to, walk, applier, watch_run, start, before_traffic)
        blocked = run.run_gate(gate_run) if gate_run is not None else None
        return blocked or run.execute()
