"""One operator at a time per stack: an exclusive flock on stacks/releases/.<stack>.lock.

The kernel drops a flock when its holder exits, however it exits (kill -9 included), so a lock
can never outlive its process; the pid/host/time written into the file only name the holder for
the operator who waits, and tell a later run that the previous holder died without cleaning up.
flock is advisory and per host: every writer of a stack file must be this tool (or wait for it).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from llmctl.release.errors import ReleaseError

POLL_SECONDS = 0.1


def lock_path(root: Path, stack: str) -> Path:
    return root / "stacks" / "releases" / f".{stack}.lock"


def _holder(path: Path) -> dict[str, object]:
    try:
        doc = json.loads(path.read_text() or "{}")
    except (OSError, ValueError):
        return {}
    return doc if isinstance(doc, dict) else {}


def describe(holder: dict[str, object]) -> str:
    if not holder:
        return "another process (no holder recorded)"
    return f"pid {holder.get('pid')} on {holder.get('host')} ({holder.get('command', 'llmctl')}) since {holder.get('since')}"


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError as exc:
        return exc.errno == errno.EPERM  # exists, owned by someone else
    return True


def stale_holder(holder: dict[str, object]) -> bool:
    """A holder recorded on this host whose process is gone: it died holding the lock."""
    pid = holder.get("pid")
    return holder.get("host") == socket.gethostname() and isinstance(pid, int) and not pid_alive(pid)


@contextmanager
def stack_lock(root: Path, stack: str, command: str, timeout_seconds: float,
               notify: Callable[[str], None] = lambda _: None) -> Iterator[dict[str, object]]:
    """Hold the stack's lock for the body. Waits up to `timeout_seconds` (telling `notify` who
    holds it), then raises ReleaseError (exit 2). Yields the previous holder's record when it died
    holding the lock (stale), else {}."""
    path = lock_path(root, stack)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, path, timeout_seconds, notify)
        previous = _holder(path)
        stale = previous if stale_holder(previous) else {}
        if stale:
            notify(f"stale lock {path.name}: {describe(stale)} died holding it; taking it over")
        me = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
              "since": datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(me) + "\n").encode(), 0)
        try:
            yield stale
        finally:
            os.ftruncate(fd, 0)  # a clean exit leaves no holder behind
    finally:
        os.close(fd)  # closing the last descriptor releases the flock


def _acquire(fd: int, path: Path, timeout_seconds: float, notify: Callable[[str], None]) -> None:
    deadline = time.monotonic() + max(0.0, timeout_seconds)
    told = False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            holder = describe(_holder(path))
            if time.monotonic() >= deadline:
                raise ReleaseError(f"{path.parent.parent.name}/{path.parent.name}/{path.name}: held by {holder}; "
                                   f"gave up after {timeout_seconds:g}s (--lock-timeout)") from None
            if not told:
                notify(f"waiting up to {timeout_seconds:g}s for {path.name}, held by {holder}")
                told = True
            time.sleep(POLL_SECONDS)
