"""The release journal: a damaged history stops everything before a byte changes; a promote killed
mid-canary is shown unfinished and undone by rollback; restores touch only their own lines."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from llmctl.cli import app
from llmctl.release import cli as release_cli
from llmctl.release import history as hist
from llmctl.release import ops
from llmctl.release.errors import ReleaseError
from tests.release.fake_pulumi import install
from tests.release.kube_standin import KubeStandIn
from tests.release.standin import StandIn, copy_project, stack_bytes
from tests.release.test_promote import GREEN, ROUTE, applier_for, bad_watch, passing, weights
from tests.support.paths import REPO_ROOT

MODEL = "meta-llama/Llama-3.1-70B-Instruct"
runner = CliRunner()


@pytest.fixture()
def root(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    monkeypatch.chdir(project)
    ops.prepare(ops.Stack.load(project, "prod"), "chat", "green", MODEL, None, 2)
    return project


def run(*args: str):
    return runner.invoke(app, ["release", *args])


DAMAGE = {
    "truncated": lambda text: text[: len(text) // 2],
    "invalid": lambda text: text.replace('"action": "prepare"', '"action": "promoted"'),
    "another stack's": lambda text: text.replace('"stack": "prod"', '"stack": "dev"'),
}


@pytest.mark.parametrize("damage", DAMAGE)
@pytest.mark.parametrize("command", [
    ["promote", "prod", "-e", "chat", "--to", "green", "--skip-gate", "--no-apply"],
    ["rollback", "prod", "-e", "chat", "--no-apply"],
    ["prepare", "prod", "-e", "code", "--slot", "green", "--model", "Qwen/Qwen2.5-Coder-32B-Instruct-AWQ"],
])
def test_a_damaged_history_stops_every_writer_with_exit_2_and_the_stack_file_byte_identical(root, monkeypatch, damage, command):
    monkeypatch.setattr(release_cli, "make_applier", lambda _root: pytest.fail("must not apply"))
    path = hist.history_path(root, "prod")
    path.write_text(DAMAGE[damage](path.read_text()))
    before, history_before = stack_bytes(root, "prod"), path.read_bytes()
    result = run(*command)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("error: stacks/releases/prod.json: ") and result.stderr.count("\n") == 1
    assert "restore it from git or run `llmctl release history <stack> --repair`" in result.stderr
    assert stack_bytes(root, "prod") == before and path.read_bytes() == history_before


def test_repair_moves_the_damage_aside_and_keeps_what_validates(root):
    ops.promote(ops.Stack.load(root, "prod"), "chat", "green", [100], None, passing, None)
    path = hist.history_path(root, "prod")
    text = path.read_text()
    path.write_text(text[: text.index('"id": 2') + 40])  # entry #2 cut in half
    result = run("history", "prod", "--repair")
    assert result.exit_code == 0, result.output
    assert "damaged history moved to stacks/releases/prod.json.damaged-" in result.stdout and "kept 1 entries that still validate (#1)" in result.stdout
    assert [e.id for e in hist.load_history(root, "prod").releases] == [1]
    assert len(list(path.parent.glob("prod.json.damaged-*"))) == 1
    assert "nothing to repair" in run("history", "prod", "--repair").stdout


def test_a_hand_edit_elsewhere_during_a_canary_survives_its_rollback(root):
    path = root / "stacks" / "Pulumi.prod.yaml"
    before = path.read_text()

    def watch_while_someone_edits():
        text = path.read_text()  # an operator raises code's replicas while chat's canary runs
        path.write_text(text.replace("            min: 2\n            max: 4\n", "            min: 2\n            max: 5\n", 1))
        return bad_watch()

    fake = applier_for(root)
    outcome = ops.promote(ops.Stack.load(root, "prod"), "chat", "green", [10, 50, 100], fake, passing, watch_while_someone_edits)
    assert outcome.code == 1 and "canary breached at 10%" in outcome.lines[-1]
    assert path.read_text() == before.replace("            min: 2\n            max: 4\n", "            min: 2\n            max: 5\n", 1)
    assert weights(root)["chat"] == {"blue": 100, "green": 0}


def test_a_restore_stops_when_someone_changed_the_weights_it_wrote(root):
    path = root / "stacks" / "Pulumi.prod.yaml"

    def watch_while_someone_moves_weights():
        path.write_text(path.read_text().replace("blue: 90\n        green: 10", "blue: 70\n        green: 30", 1))
        return bad_watch()

    outcome = ops.promote(ops.Stack.load(root, "prod"), "chat", "green", [10, 50, 100], applier_for(root), passing,
                          watch_while_someone_moves_weights)
    assert outcome.code == 1
    assert outcome.lines[-1].startswith("chat: canary breached at 10%; stopped; ")
    assert hist.load_history(root, "prod").releases[-1].outcome == "failed"
    first = path.read_text().splitlines().index("        blue: 70") + 1
    assert ("stack file NOT restored: stacks/Pulumi.prod.yaml: llm-platform:endpoints.chat.weights now read blue 70 / green 30 "
            f"(lines {first}-{first + 1}), not blue 90 / green 10 as this release left them: changed by someone else; left as they are") in outcome.lines[-1]
    assert weights(root)["chat"] == {"blue": 70, "green": 30}


def test_weights_through_an_anchor_are_refused_naming_it(root):
    path = root / "stacks" / "Pulumi.prod.yaml"
    text = path.read_text()
    text = text.replace("      weights:\n        blue: 100\n        green: 0\n      standbyReplicas: 1",
                        "      weights: &w\n        blue: 100\n        green: 0\n      standbyReplicas: 1", 1)
    text = text.replace("      pool: gpu-spot\n      weights:\n        blue: 100\n        green: 0\n      slots:",
                        "      pool: gpu-spot\n      weights: *w\n      slots:", 1)
    path.write_text(text)
    before = stack_bytes(root, "prod")
    for endpoint in ("chat", "code"):
        with pytest.raises(ReleaseError, match=rf"llm-platform:endpoints.{endpoint}.weights: reached through the YAML anchor &w;") as info:
            ops.promote(ops.Stack.load(root, "prod"), endpoint, "green", [100], None, None, None)
        assert info.value.code == 2
    merged = text.replace("      weights: *w\n", "      <<: {weights: *w}\n", 1)
    path.write_text(merged)
    with pytest.raises(ReleaseError, match=r"endpoints.code.weights: reached through the YAML anchor <<: \*\(inline map\)"):
        ops.promote(ops.Stack.load(root, "prod"), "code", "green", [100], None, None, None)
    path.write_bytes(before)
    assert stack_bytes(root, "prod") == before


def _history_entries(root):
    try:
        return json.loads(hist.history_path(root, "prod").read_text())["releases"]
    except (ValueError, FileNotFoundError):
        return []


def test_a_promote_killed_after_an_applied_canary_step_is_unfinished_and_rollback_restores_it(root, tmp_path, monkeypatch):
    """A real `llmctl release promote` process, the real Automation API applier against a stand-in
    `pulumi` on PATH, SIGKILLed once its 10 % step is applied (while it watches)."""
    before = stack_bytes(root, "prod")
    install(tmp_path / "bin")
    env = {**os.environ, "PATH": f"{tmp_path / 'bin'}:{os.environ['PATH']}", "FAKE_PULUMI_LOG": str(tmp_path / "pulumi.log"),
           "PYTHONPATH": str(REPO_ROOT)}
    ready = {("llm-chat", "chat-blue"): [2], ("llm-chat", "chat-green"): [2]}  # capacity is there: the wait passes at once
    with StandIn("good", MODEL) as live, KubeStandIn(ready) as kube:
        proc = subprocess.Popen([sys.executable, "-m", "llmctl.cli", "release", "promote", "prod", "-e", "chat", "--to", "green",
                                 "--skip-gate", "--steps", "10,50,100", "--step-pause", "120", "--watch-url", live.url,
                                 "--kubeconfig", str(kube.kubeconfig(tmp_path / "kubeconfig"))],
                                cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120
        while not any(e.get("outcome") == "applied-step" for e in _history_entries(root)):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    ups = [json.loads(line) for line in (tmp_path / "pulumi.log").read_text().splitlines() if line.startswith('["up"')]
    assert [up[up.index("--target") + 1] for up in ups] == [GREEN[0], ROUTE[0]]  # green scaled, 10 % on the route
    assert weights(root)["chat"] == {"blue": 90, "green": 10}

    status = json.loads(run("status", "prod", "-e", "chat", "--json").stdout)
    assert status["unfinished"] == {"release": 2, "action": "promote", "outcome": "applied-step", "from": {"blue": 100, "green": 0},
                                    "to": {"blue": 0, "green": 100}, "stepsApplied": [10], "pid": proc.pid, "running": False}
    text = run("status", "prod", "-e", "chat").stdout
    assert "UNFINISHED release #2 promote applied-step (steps applied: 10%" in text and "`llmctl release rollback prod --endpoint chat` undoes it" in text
    again = run("promote", "prod", "-e", "chat", "--to", "green", "--no-apply", "--skip-gate")
    assert again.exit_code == 2 and stack_bytes(root, "prod") != before
    assert again.stderr.startswith(f"stale lock .prod.lock: pid {proc.pid} on ")  # the killed promote held it
    assert again.stderr.endswith("error: endpoint chat: release #2 (promote, applied-step) never finished; "
                                 "run `llmctl release rollback prod --endpoint chat` first\n")

    calls = []
    monkeypatch.setattr(release_cli, "make_applier", lambda _root: lambda stack, targets: calls.append(targets))
    back = run("rollback", "prod", "-e", "chat", "--json")
    assert back.exit_code == 0, back.output
    assert json.loads(back.stdout)["weights"] == {"blue": 100, "green": 0}
    assert stack_bytes(root, "prod") == before
    assert calls == [ROUTE, GREEN]  # traffic back on blue first, then green down to standby
    releases = hist.load_history(root, "prod").releases
    assert [(e.id, e.action, e.outcome, e.undoes) for e in releases] == [
        (1, "prepare", "completed", None), (2, "promote", "rolled-back", None), (3, "rollback", "completed", 2)]
    assert "undone by rollback #3" in releases[1].note
    assert json.loads(run("status", "prod", "-e", "chat", "--json").stdout)["unfinished"] is None


def test_weights_changed_between_steps_stop_the_promote_and_leave_it_for_rollback(root):
    path = root / "stacks" / "Pulumi.prod.yaml"

    def watch_while_someone_moves_weights():
        path.write_text(path.read_text().replace("blue: 90\n        green: 10", "blue: 70\n        green: 30", 1))
        from tests.release.test_promote import ok_watch
        return ok_watch()

    fake = applier_for(root)
    outcome = ops.promote(ops.Stack.load(root, "prod"), "chat", "green", [10, 50, 100], fake, passing, watch_while_someone_moves_weights)
    assert outcome.code == 1 and outcome.lines[-1].startswith("chat: stopped: stacks/Pulumi.prod.yaml: llm-platform:endpoints.chat.weights "
                                                              "now read blue 70 / green 30")
    assert weights(root)["chat"] == {"blue": 70, "green": 30}  # left as the other operator wrote it
    assert hist.load_history(root, "prod").unfinished("chat").steps_applied == [10]
    with pytest.raises(ReleaseError, match="now read blue 70 / green 30") as info:
        ops.rollback(ops.Stack.load(root, "prod"), "chat", fake)
    assert info.value.code == 1
    path.write_text(path.read_text().replace("blue: 70\n        green: 30", "blue: 90\n        green: 10", 1))
    assert ops.rollback(ops.Stack.load(root, "prod"), "chat", fake).code == 0
    assert weights(root)["chat"] == {"blue": 100, "green": 0}
