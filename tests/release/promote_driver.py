"""A promote in its own process, for the lock tests: the real ops.promote on a project copy, with
an applier that takes `apply_seconds` per targeted update (the Automation API boundary faked).
argv: root stack endpoint to barrier apply_seconds lock_timeout. Once imported, the process writes
<barrier>/ready-<pid> and waits for <barrier>/go, so every process starts promoting together.
Prints the outcome as JSON."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from llmctl.release import ops
from llmctl.release.errors import ReleaseError


def main(argv: list[str]) -> int:
    root, stack, endpoint, to, barrier, apply_seconds, lock_timeout = argv
    target = ops.Stack.load(Path(root), stack, lock_timeout=float(lock_timeout))
    (Path(barrier) / f"ready-{os.getpid()}").touch()
    while not (Path(barrier) / "go").exists():
        time.sleep(0.002)

    def applier(stack_name: str, targets: list[str] | None) -> None:
        time.sleep(float(apply_seconds))

    try:
        outcome = ops.promote(target, endpoint, to, [100], applier, None, None)
    except ReleaseError as exc:
        print(json.dumps({"error": str(exc)}))
        return exc.code
    print(json.dumps(outcome.doc))
    return outcome.code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
