"""A stand-in `pulumi` CLI for the Automation API (../shared/OFFLINE-PULUMI.md lists what it asks):
answers version, stack select, up, stack output and stack history, and logs every call as one JSON
line to $FAKE_PULUMI_LOG. `install(folder)` writes it as an executable `pulumi` for PATH."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

HISTORY = [{"kind": "update", "startTime": "2026-12-01T00:00:00.000Z", "endTime": "2026-12-01T00:00:01.000Z",
            "message": "", "environment": {}, "config": {}, "result": "succeeded", "version": 1}]


def main(argv: list[str]) -> int:
    args = [a for a in argv if a != "--non-interactive"]
    log = os.environ.get("FAKE_PULUMI_LOG")
    if log:
        with open(log, "a") as handle:
            handle.write(json.dumps(args) + "\n")
    if args[:1] == ["version"]:
        print("v3.272.0")
    elif args[:1] == ["up"]:
        time.sleep(float(os.environ.get("FAKE_PULUMI_UP_SECONDS", "0")))
        print("Updating (fake)")
    elif args[:3] == ["stack", "output", "--json"]:
        print("{}")
    elif args[:3] == ["stack", "history", "--json"]:
        print(json.dumps(HISTORY))
    return 0


def install(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "pulumi"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(Path(__file__).resolve().parents[2])!r})\n"
                      "from tests.release.fake_pulumi import main\nsys.exit(main(sys.argv[1:]))\n")
    script.chmod(0o755)
    return script


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
