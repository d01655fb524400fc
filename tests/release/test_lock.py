"""One operator at a time per stack: two real processes promoting two endpoints of one stack at
once never lose a weight or a history entry; a waiter names the holder; a dead holder is noticed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time

import pytest
import yaml

from llmctl.release import history as hist
from llmctl.release import ops
from llmctl.release.errors import ReleaseError
from llmctl.release.lock import lock_path, stack_lock
from tests.release.standin import copy_project, stack_bytes
from tests.support.paths import REPO_ROOT

CHAT_MODEL = "meta-llama/Llama-3.1-70B-Instruct"
CODE_MODEL = "Qwen/Qwen2.5-Coder-32B-Instruct-AWQ"


def prepared(tmp_path):
    root = copy_project(tmp_path)
    ops.prepare(ops.Stack.load(root, "prod"), "chat", "green", CHAT_MODEL, None, 2)
    ops.prepare(ops.Stack.load(root, "prod"), "code", "green", CODE_MODEL, None, 2)
    return root


def start_two(root, barrier, lock_timeout: float, apply_seconds: float = 0.15):
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return [subprocess.Popen([sys.executable, "-m", "tests.release.promote_driver", str(root), "prod", endpoint, "green", str(barrier),
                              str(apply_seconds), str(lock_timeout)], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
            for endpoint in ("chat", "code")]


def release_together(barrier, processes: int) -> None:
    """Wait until every process has imported and loaded its stack, then let them all go at once."""
    deadline = time.monotonic() + 120
    while len(list(barrier.glob("ready-*"))) < processes:
        assert time.monotonic() < deadline, "promote processes did not start"
        time.sleep(0.02)
    (barrier / "go").touch()


def weights(root):
    raw = yaml.safe_load(stack_bytes(root, "prod"))["config"]["llm-platform:endpoints"]
    return {name: endpoint["weights"] for name, endpoint in raw.items()}


def test_two_concurrent_promotes_both_land_ten_times_out_of_ten(tmp_path):
    """Ten runs, each two processes promoting chat and code of one prod stack copy at the same
    instant (the ten runs overlap too, which only adds contention)."""
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    runs = []
    for run in range(10):
        (tmp_path / str(run)).mkdir()
        root = prepared(tmp_path / str(run))
        runs.append((root, start_two(root, barrier, lock_timeout=60)))
    release_together(barrier, 20)
    for run, (root, procs) in enumerate(runs):
        results = [(p.wait(120), p.stdout.read(), p.stderr.read()) for p in procs]
        assert [code for code, _, _ in results] == [0, 0], (run, results)
        assert weights(root)["chat"] == weights(root)["code"] == {"blue": 0, "green": 100}, run
        promotes = [(e.endpoint, e.outcome) for e in hist.load_history(root, "prod").releases if e.action == "promote"]
        assert sorted(promotes) == [("chat", "completed"), ("code", "completed")], run


def test_a_second_operator_who_will_not_wait_fails_with_exit_2_and_changes_nothing(tmp_path):
    root = prepared(tmp_path)
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    procs = start_two(root, barrier, lock_timeout=0.2, apply_seconds=0.5)
    release_together(barrier, 2)
    results = {endpoint: (p.wait(60), p.stdout.read()) for endpoint, p in zip(("chat", "code"), procs, strict=True)}
    codes = sorted(code for code, _ in results.values())
    assert codes == [0, 2], results
    loser = next(e for e, (code, _) in results.items() if code == 2)
    winner = next(e for e in results if e != loser)
    error = json.loads(results[loser][1])["error"]
    assert error.startswith("stacks/releases/.prod.lock: held by pid ") and f"on {socket.gethostname()} (promote)" in error
    assert error.endswith("gave up after 0.2s (--lock-timeout)")
    assert weights(root)[loser] == {"blue": 100, "green": 0} and weights(root)[winner] == {"blue": 0, "green": 100}
    assert [e.endpoint for e in hist.load_history(root, "prod").releases if e.action == "promote"] == [winner]


def hold_lock(root, seconds: float) -> subprocess.Popen:
    """Another process that holds prod's lock (as `promote`) for `seconds`; returns once it holds it."""
    script = ("import sys, time\nfrom pathlib import Path\nfrom llmctl.release.lock import stack_lock\n"
              "with stack_lock(Path(sys.argv[1]), 'prod', 'promote', 0):\n"
              "    print('held', flush=True); time.sleep(float(sys.argv[2]))\n")
    holder = subprocess.Popen([sys.executable, "-c", script, str(root), str(seconds)], cwd=REPO_ROOT, stdout=subprocess.PIPE,
                              text=True, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    assert holder.stdout.readline().strip() == "held"
    return holder


def test_waiting_names_the_holder_then_proceeds(tmp_path):
    root = copy_project(tmp_path)
    messages: list[str] = []
    holder = hold_lock(root, 1.0)
    began = time.monotonic()
    with stack_lock(root, "prod", "rollback", 10, messages.append):
        waited = time.monotonic() - began
        assert json.loads(lock_path(root, "prod").read_text())["pid"] == os.getpid()
    holder.wait(10)
    assert 0.3 < waited < 5
    assert messages[0].startswith(f"waiting up to 10s for .prod.lock, held by pid {holder.pid} on {socket.gethostname()} (promote) since ")
    assert lock_path(root, "prod").read_text() == ""  # a clean exit leaves no holder behind


def test_a_lock_left_by_a_killed_process_is_reported_as_stale(tmp_path):
    root = copy_project(tmp_path)
    dead = hold_lock(root, 60)
    dead.kill()
    dead.wait(10)
    messages: list[str] = []
    with stack_lock(root, "prod", "rollback", 0, messages.append) as stale:
        assert stale["pid"] == dead.pid
    assert messages == [f"stale lock .prod.lock: pid {dead.pid} on {socket.gethostname()} (promote) since {stale['since']} "
                        "died holding it; taking it over"]


def test_lock_timeout_is_a_usage_error_in_process(tmp_path):
    root = copy_project(tmp_path)
    with stack_lock(root, "prod", "promote", 0), pytest.raises(ReleaseError, match=r"held by pid \d+ .*gave up after 0s") as info:
        ops.rollback(ops.Stack.load(root, "prod", lock_timeout=0), "chat", None)
    assert info.value.code == 2
