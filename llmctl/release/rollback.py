"""`rollback`: undo the endpoint's last completed promote, or finish what a killed run left.

Like promote, it records its intent before it touches the stack file, changes only the two weight
lines (after checking they hold what the release it undoes left there) and closes its entry at the
end. An unfinished promote is undone (weights back to its `from`); an unfinished rollback is
finished (weights to its `to`).
"""

from __future__ import annotations

import os
import time

from llmctl.release import history as hist
from llmctl.release.apply import Applier, ApplyError, apply_weights, classed
from llmctl.release.errors import ReleaseError
from llmctl.release.stackfile import set_weights
from llmctl.release.target import Outcome, Stack, fmt, live_slot, locked, models_of, sigterm_as_interrupt, split, weights_of


def rollback(stack: Stack, endpoint: str | None, applier: Applier | None) -> Outcome:
    """Restore the weights from before the endpoint's last completed promote (a no-op when that
    promote was already rolled back), or undo/finish an unfinished release first."""
    with locked(stack, "rollback") as history:
        name, cfg = stack.endpoint(endpoint)
        current = weights_of(cfg)
        unfinished = history.unfinished(name)
        if unfinished is not None:
            return _finish(stack, name, unfinished, applier)
        entry = history.last_undoable(name)
        if entry is None:
            return Outcome(0, {"stack": stack.name, "endpoint": name, "weights": current, "changed": False},
                           [f"{name}: nothing to roll back (no completed promote since the last rollback); weights {fmt(current)}"])
        if current != entry.to.as_dict():
            raise ReleaseError(f"{stack.source}: endpoint {name} has weights {fmt(current)}, not the {fmt(entry.to.as_dict())} "
                               f"release #{entry.id} set; the file was changed by hand: fix the weights or promote explicitly")
        record = _open(stack, name, current, entry.from_.as_dict(), undoes=entry.id)
        return _reverse(stack, name, record, expect=[current], cluster=current, applier=applier)


def _open(stack: Stack, name: str, current: dict[str, int], target: dict[str, int], undoes: int) -> hist.Entry:
    return hist.append(stack.root, stack.name, endpoint=name, action="rollback", outcome="in-progress", slot=live_slot(target),
                       **{"from": current}, to=target, models=models_of(stack.cfg.endpoints[name]), undoes=undoes, pid=os.getpid())


def _finish(stack: Stack, name: str, unfinished: hist.Entry, applier: Applier | None) -> Outcome:
    """A killed promote is undone by a new rollback entry; a killed rollback is completed itself."""
    current = weights_of(stack.cfg.endpoints[name])
    if unfinished.action == "rollback":
        record = hist.update(stack.root, stack.name, unfinished.id, pid=os.getpid())
        expect = unfinished.written()
        if unfinished.undoes is not None:
            expect += stack.history().get(unfinished.undoes).written()
    else:
        record = _open(stack, name, current, unfinished.from_.as_dict(), undoes=unfinished.id)
        expect = unfinished.written()
    return _reverse(stack, name, record, expect=expect, cluster=_furthest(unfinished, current), applier=applier)


def _furthest(entry: hist.Entry, current: dict[str, int]) -> dict[str, int]:
    """The weights the cluster may be at after an unfinished promote: its furthest applied step."""
    if entry.action == "promote" and entry.slot and entry.steps_applied:
        return split(entry.slot, max(entry.steps_applied))
    return current


def _reverse(stack: Stack, name: str, record: hist.Entry, expect: list[dict[str, int]], cluster: dict[str, int],
             applier: Applier | None) -> Outcome:
    began = time.perf_counter()
    target = record.to.as_dict()
    doc = {"stack": stack.name, "endpoint": name, "weights": weights_of(stack.cfg.endpoints[name]), "changed": False,
           "release": record.id}
    with sigterm_as_interrupt():
        try:
            set_weights(stack.path, stack.source, name, target, expect=expect)
        except ReleaseError as exc:  # the weights were changed by someone else: nothing done
            hist.update(stack.root, stack.name, record.id, outcome="failed", note=str(exc), pid=None)
            raise
        try:
            apply_weights(applier, stack.name, name, cluster, target, urgent=True, classed=classed(stack.cfg, name))
        except ApplyError as exc:
            hist.update(stack.root, stack.name, record.id, note=f"apply failed: {exc}", pid=None)
            return Outcome(1, doc, [f"{name}: {exc}; the stack file holds {fmt(target)}, release #{record.id} stays unfinished: "
                                    f"run `llmctl release rollback {stack.name} --endpoint {name}` again"])
        except KeyboardInterrupt:
            return Outcome(130, doc, [f"{name}: interrupted; release #{record.id} stays unfinished: run rollback again"])
    _close(stack, record, applier is not None)
    seconds = time.perf_counter() - began
    doc.update({"weights": target, "changed": True, "undoes": record.undoes, "seconds": round(seconds, 3)})
    return Outcome(0, doc, [f"{name}: rolled back release #{record.undoes}: {fmt(record.from_.as_dict())} -> {fmt(target)} "
                            f"({'applied' if applier else 'written, not applied'}) in {seconds:.2f}s"])


def _close(stack: Stack, record: hist.Entry, applied: bool) -> None:
    hist.update(stack.root, stack.name, record.id, outcome="completed", applied=applied, pid=None)
    undone = stack.history().get(record.undoes) if record.undoes is not None else None
    if undone is not None and undone.unfinished:
        hist.update(stack.root, stack.name, undone.id, outcome="rolled-back", pid=None,
                    note=(undone.note + "; " if undone.note else "") + f"unfinished; undone by rollback #{record.id}")
