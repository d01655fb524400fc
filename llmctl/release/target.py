"""What every release command works on: a stack (its file, config and history), held under the
stack's lock while it writes, and the Outcome it reports."""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from components.endpoint.models import SLOTS, EndpointConfig
from infra.config import ConfigError, StackConfig, load_stack, stack_file
from llmctl.release import history as hist
from llmctl.release.errors import ReleaseError
from llmctl.release.lock import stack_lock

DEFAULT_LOCK_TIMEOUT = 30.0


@dataclass
class Stack:
    root: Path
    name: str
    cfg: StackConfig
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    notify: Callable[[str], None] = field(default=lambda _: None, repr=False)

    @classmethod
    def load(cls, root: Path, name: str, **options: Any) -> Stack:
        try:
            return cls(root, name, load_stack(name, root), **options)
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

    def history(self) -> hist.History:
        return hist.load_history(self.root, self.name)


@contextmanager
def locked(stack: Stack, command: str) -> Iterator[hist.History]:
    """Hold the stack's lock, then re-read the stack file (another operator may have changed it
    while this one waited) and the history, validated: a damaged history stops here (exit 2),
    before anything is written."""
    with stack_lock(stack.root, stack.name, command, stack.lock_timeout, stack.notify):
        stack.reload()
        yield stack.history()


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


def weights_of(endpoint: EndpointConfig) -> dict[str, int]:
    return {slot: getattr(endpoint.weights, slot) for slot in SLOTS}


def other(slot: str) -> str:
    return "green" if slot == "blue" else "blue"


def check_slot(slot: str) -> str:
    if slot not in SLOTS:
        raise ReleaseError(f"--slot/--to {slot!r}: must be one of {', '.join(SLOTS)}")
    return slot


def split(slot: str, weight: int) -> dict[str, int]:
    """Weights with `slot` at `weight` and the other slot taking the rest."""
    return {slot: weight, other(slot): 100 - weight}


def models_of(endpoint: EndpointConfig) -> dict[str, str | None]:
    return {slot: getattr(endpoint.slots, slot).model for slot in SLOTS}


def fmt(weights: dict[str, int]) -> str:
    return f"blue {weights['blue']} / green {weights['green']}"


def live_slot(weights: dict[str, int]) -> str:
    return max(SLOTS, key=lambda s: weights[s])
