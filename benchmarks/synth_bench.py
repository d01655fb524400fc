"""Synth wall time per stack and for 1, 10 and 50 serving slots (a benchmark, not a test).

    .venv/bin/python benchmarks/synth_bench.py [--repeat 3] [--json]

Each figure is the median of --repeat in-process runs of the real infra program under the
recording mocks (imports paid once, before timing, and reported separately), plus the time to
write build/ files. The slot series clones the dev stack's chat endpoint N times with one live
slot each, so growth with the number of models is visible (it should be linear).
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

_t0 = time.perf_counter()
from infra.config import load_config, read_stack_file  # noqa: E402
from llmctl.synth.runner import run_program, write  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _t0


def stack_with_slots(slots: int) -> dict:
    raw = copy.deepcopy(read_stack_file(REPO / "stacks" / "Pulumi.dev.yaml"))
    template = raw["llm-platform:endpoints"]["chat"]
    endpoints = {}
    for i in range(slots):
        endpoint = copy.deepcopy(template)
        endpoint["route"] = {"host": f"m{i}.bench.llm.internal"}
        endpoints[f"m{i}"] = endpoint
    raw["llm-platform:endpoints"] = endpoints
    # Room for every slot's NodePool (a GPU per replica) in the pool and in its team's limit.
    raw["llm-platform:gpu"]["pools"][0]["gpuLimit"] = max(8, 2 * slots)
    team = raw["llm-platform:teams"][template["team"]]
    team["gpuLimit"] = max(team.get("gpuLimit", 0), 2 * slots)
    load_config(raw, "bench")
    return raw


def timed(stack: str, raw: dict, repeat: int) -> tuple[float, int]:
    runs, count = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        inventory = run_program(stack, raw)
        with tempfile.TemporaryDirectory() as out:
            write(inventory, Path(out))
        runs.append(time.perf_counter() - start)
        count = len(inventory.resources)
    return statistics.median(runs), count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    results = {"import_seconds": round(IMPORT_SECONDS, 3), "stacks": {}, "slots": {}}
    run_program("warmup", stack_with_slots(1))  # first run pays lazy provider-module imports
    for stack in ("dev", "staging", "prod"):
        seconds, count = timed(stack, read_stack_file(REPO / "stacks" / f"Pulumi.{stack}.yaml"), args.repeat)
        results["stacks"][stack] = {"seconds": round(seconds, 3), "resources": count}
    for slots in (1, 10, 50):
        seconds, count = timed(f"bench{slots}", stack_with_slots(slots), args.repeat)
        results["slots"][slots] = {"seconds": round(seconds, 3), "resources": count}

    if args.json:
        print(json.dumps(results, indent=2))
        return
    print(f"imports (once per process): {results['import_seconds']:.2f}s")
    for stack, r in results["stacks"].items():
        print(f"stack {stack:8s} {r['seconds']:6.2f}s  {r['resources']:5d} resources")
    base = results["slots"][1]
    for slots, r in results["slots"].items():
        per_slot = (r["seconds"] - base["seconds"]) / (slots - 1) if slots > 1 else 0.0
        print(f"slots {slots:3d}     {r['seconds']:6.2f}s  {r['resources']:5d} resources  (+{per_slot * 1000:.0f} ms per added slot)")


if __name__ == "__main__":
    main()
