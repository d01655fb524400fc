"""Release history: stacks/releases/<stack>.json, committed next to the stack file.

One JSON document per stack, appended to by prepare/promote/rollback. It is what `rollback`
restores from (the weights before the last completed promote of an endpoint) and what `status`
shows. Validated on read: a hand-edited file that does not parse is an error, never a guess.
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
# completed: the stack file holds `to` (and it was applied unless applied is false);
# rolled-back: a canary step breached and the file is back at `from`; failed / interrupted:
# apply failed or the run was stopped, and the file is back at `from`.
# (The only `Outcome` type is ops.Outcome, what a promote/rollback returns; this is its end state.)
EndState = Literal["completed", "rolled-back", "failed", "interrupted"]


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
    applied: bool = False
    gate: dict[str, object] | None = None
    undoes: int | None = Field(default=None, description="For a rollback: the id of the promote it undid.")
    note: str = ""


class History(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stack: str
    releases: list[Entry] = []

    def next_id(self) -> int:
        return max((e.id for e in self.releases), default=0) + 1

    def for_endpoint(self, endpoint: str) -> list[Entry]:
        return [e for e in self.releases if e.endpoint == endpoint]

    def last_undoable(self, endpoint: str) -> Entry | None:
        """The promote a rollback would undo: the endpoint's last completed weight change, if it is
        a promote (a rollback after a rollback has nothing left to undo)."""
        changes = [e for e in self.for_endpoint(endpoint) if e.action in ("promote", "rollback") and e.outcome == "completed"]
        if changes and changes[-1].action == "promote":
            return changes[-1]
        return None


def history_path(root: Path, stack: str) -> Path:
    return root / "stacks" / "releases" / f"{stack}.json"


def load_history(root: Path, stack: str) -> History:
    path = history_path(root, stack)
    if not path.exists():
        return History(stack=stack)
    label = str(path.relative_to(root))
    try:
        history = History.model_validate(json.loads(path.read_text()))
    except json.JSONDecodeError as exc:
        raise ReleaseError(f"{label}: not valid JSON (line {exc.lineno}): {exc.msg}") from None
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ReleaseError(f"{label}: {where}: {err['msg']}") from None
    if history.stack != stack:
        raise ReleaseError(f"{label}: records stack {history.stack!r}, expected {stack!r}")
    return history


def append(root: Path, stack: str, now: datetime | None = None, **fields: object) -> Entry:
    """Record one release action and write the file atomically; returns the entry."""
    history = load_history(root, stack)
    moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    entry = Entry.model_validate({"id": history.next_id(), "at": moment.isoformat().replace("+00:00", "Z"), "by": _user(), **fields})
    releases = [*history.releases, entry]
    path = history_path(root, stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = History(stack=stack, releases=releases).model_dump(mode="json", by_alias=True, exclude_none=True)
    write_atomic(path, json.dumps(doc, indent=2) + "\n")
    return entry


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry in some CI containers
        return "unknown"
