"""Release history and journal: stacks/releases/<stack>.json, committed next to the stack file.

One JSON document per stack. A promote or rollback records its intent here (outcome
`in-progress`, the weights before, the steps planned) before it touches the stack file, updates
the entry after each applied step (`applied-step`, `stepsApplied`) and closes it at the end
(`completed`, `rolled-back`, `failed`, `interrupted`). An entry left `in-progress` or
`applied-step` is an unfinished release (the process died): `release status` shows it and
`release rollback` undoes it. Every write is validated first and replaces the file atomically
(fsync + rename); a damaged file stops every command (exit 2) until `release history --repair`.
"""

from __future__ import annotations

import getpass
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from components.endpoint.models import weights_error
from llmctl.release.errors import ReleaseError
from llmctl.release.stackfile import write_atomic

Action = Literal["prepare", "promote", "rollback"]
# in-progress: intent recorded, the stack file may already hold a step's weights, nothing applied;
# applied-step: at least one step was applied (stepsApplied); both are unfinished.
# completed: the stack file holds `to` (and it was applied unless applied is false);
# rolled-back: a canary step breached (or a later rollback undid an unfinished run) and the file is
# back at `from`; failed / interrupted: apply failed or the run was stopped, file back at `from`.
# (The only `Outcome` type is target.Outcome, what a promote/rollback returns; this is an entry's state.)
EndState = Literal["in-progress", "applied-step", "completed", "rolled-back", "failed", "interrupted"]
UNFINISHED = ("in-progress", "applied-step")


class Weights(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    blue: int = Field(ge=0, le=100)
    green: int = Field(ge=0, le=100)

    @model_validator(mode="after")
    def _sum(self) -> Weights:
        if error := weights_error(self.blue, self.green):
            raise ValueError(error)
        return self

    def as_dict(self) -> dict[str, int]:
        return {"blue": self.blue, "green": self.green}


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    id: int = Field(ge=1)
    at: str
    by: str
    endpoint: str
    action: Action
    outcome: EndState = "completed"
    slot: str | None = None
    from_: Weights = Field(alias="from")
    to: Weights
    models: dict[str, str | None] = {}
    steps: list[int] = []
    steps_applied: list[int] = Field(default=[], alias="stepsApplied", description="Target-slot weights applied so far.")
    applied: bool = False
    gate: dict[str, object] | None = None
    undoes: int | None = Field(default=None, description="For a rollback: the id of the release it undid.")
    pid: int | None = Field(default=None, description="The process running an unfinished release.")
    note: str = ""

    @property
    def unfinished(self) -> bool:
        return self.outcome in UNFINISHED

    def written(self) -> list[dict[str, int]]:
        """Every weight pair this release may have left in the stack file."""
        pairs = [self.from_.as_dict(), self.to.as_dict()]
        if self.action == "promote" and self.slot:
            other = "green" if self.slot == "blue" else "blue"
            pairs += [{self.slot: s, other: 100 - s} for s in self.steps]
        return pairs


class History(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stack: str
    releases: list[Entry] = []

    def next_id(self) -> int:
        return max((e.id for e in self.releases), default=0) + 1

    def for_endpoint(self, endpoint: str) -> list[Entry]:
        return [e for e in self.releases if e.endpoint == endpoint]

    def get(self, entry_id: int) -> Entry:
        return next(e for e in self.releases if e.id == entry_id)

    def unfinished(self, endpoint: str) -> Entry | None:
        """The endpoint's latest unfinished promote or rollback (a process died running it)."""
        return next((e for e in reversed(self.for_endpoint(endpoint)) if e.unfinished), None)

    def last_undoable(self, endpoint: str) -> Entry | None:
        """The promote a rollback would undo: the endpoint's last completed weight change, if it is
        a promote (a rollback after a rollback has nothing left to undo)."""
        changes = [e for e in self.for_endpoint(endpoint) if e.action in ("promote", "rollback") and e.outcome == "completed"]
        if changes and changes[-1].action == "promote":
            return changes[-1]
        return None


def history_path(root: Path, stack: str) -> Path:
    return root / "stacks" / "releases" / f"{stack}.json"


def _label(root: Path, stack: str) -> str:
    return str(history_path(root, stack).relative_to(root))


def parse_history(text: str, label: str, stack: str) -> History:
    try:
        history = History.model_validate(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ReleaseError(f"{label}: not valid JSON (line {exc.lineno}): {exc.msg}; {REPAIR_HINT}") from None
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ReleaseError(f"{label}: {where}: {err['msg']}; {REPAIR_HINT}") from None
    if history.stack != stack:
        raise ReleaseError(f"{label}: records stack {history.stack!r}, expected {stack!r}; {REPAIR_HINT}")
    ids = [e.id for e in history.releases]
    if ids != sorted(set(ids)):
        raise ReleaseError(f"{label}: release ids must increase strictly, got {ids}; {REPAIR_HINT}")
    return history


REPAIR_HINT = "nothing was changed; restore it from git or run `llmctl release history <stack> --repair`"


def load_history(root: Path, stack: str) -> History:
    path = history_path(root, stack)
    if not path.exists():
        return History(stack=stack)
    return parse_history(path.read_text(), _label(root, stack), stack)


def save(root: Path, history: History) -> None:
    """Validate the whole document, then replace the file atomically (fsync + rename)."""
    doc = History.model_validate(history.model_dump(by_alias=True)).model_dump(mode="json", by_alias=True, exclude_none=True)
    path = history_path(root, history.stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, json.dumps(doc, indent=2) + "\n")


def _now(now: datetime | None = None) -> str:
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    return moment.isoformat().replace("+00:00", "Z")


def append(root: Path, stack: str, now: datetime | None = None, **fields: object) -> Entry:
    """Record one release action and write the file atomically; returns the entry."""
    history = load_history(root, stack)
    entry = Entry.model_validate({"id": history.next_id(), "at": _now(now), "by": _user(), **fields})
    save(root, History(stack=stack, releases=[*history.releases, entry]))
    return entry


def update(root: Path, stack: str, entry_id: int, **changes: object) -> Entry:
    """Change fields of one recorded entry (journal progress) and write the file atomically."""
    history = load_history(root, stack)
    releases = []
    changed: Entry | None = None
    for entry in history.releases:
        if entry.id == entry_id:
            entry = Entry.model_validate({**entry.model_dump(by_alias=True), **changes})
            changed = entry
        releases.append(entry)
    if changed is None:
        raise ReleaseError(f"{_label(root, stack)}: release #{entry_id} is gone; the history was changed during this run")
    save(root, History(stack=stack, releases=releases))
    return changed


def salvage(text: str) -> list[Entry]:
    """The entries that still validate in a damaged history (e.g. a truncated file)."""
    decoder = json.JSONDecoder()
    found: dict[int, Entry] = {}
    for index, char in enumerate(text):
        if char != "{":
            continue
        try:
            obj, _ = decoder.raw_decode(text, index)
            entry = Entry.model_validate(obj)
        except (ValueError, ValidationError):
            continue
        found.setdefault(entry.id, entry)
    return [found[i] for i in sorted(found)]


def repair(root: Path, stack: str) -> tuple[Path | None, list[Entry]]:
    """Move a damaged history aside (<stack>.json.damaged-<time>) and write back what validates."""
    path = history_path(root, stack)
    if not path.exists():
        return None, []
    text = path.read_text()
    try:
        return None, parse_history(text, _label(root, stack), stack).releases
    except ReleaseError:
        pass
    kept = salvage(text)
    aside = path.with_name(f"{path.name}.damaged-{_now().replace(':', '')}")
    path.rename(aside)
    save(root, History(stack=stack, releases=kept))
    return aside, kept


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some CI containers
        return "unknown"
