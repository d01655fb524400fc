"""promote / rollback / prepare on copies of the stack files, Pulumi faked at the applier boundary."""

from __future__ import annotations

import difflib
import json
import os
import signal

import pytest
import yaml

from components.endpoint.names import priorities_urn, route_urn, slot_target
from llmctl.release import history as hist
from llmctl.release import ops
from llmctl.release.apply import ApplyError
from llmctl.release.errors import ReleaseError
from llmctl.release.gate import Check, GateReport
from llmctl.release.watch import WatchResult
from tests.release.standin import copy_project, stack_bytes


class FakeApplier:
    """Records targeted updates; fails (or is interrupted) on the Nth call when told to."""

    def __init__(self, fail_on: int | None = None, error: BaseException | None = None):
        self.calls: list[tuple[str, list[str] | None, dict]] = []
        self.fail_on, self.error = fail_on, error
        self.root = None

    def __call__(self, stack: str, targets: list[str] | None) -> None:
        weights = {}
        if self.root is not None:
            raw = yaml.safe_load((self.root / "stacks" / f"Pulumi.{stack}.yaml").read_text())["config"]
            weights = {n: e["weights"] for n, e in raw["llm-platform:endpoints"].items()}
        self.calls.append((stack, targets, weights))
        if self.fail_on is not None and len(self.calls) == self.fail_on:
            raise self.error or ApplyError("pulumi up -s prod failed: conflict")


def passing(_: str) -> GateReport:
    return GateReport("t", "m", [Check("health", True, "ok")], 0.1)


def failing(_: str) -> GateReport:
    return GateReport("t", "m", [Check("health", False, "HTTP 500 from /health")], 0.1)


def ok_watch() -> WatchResult:
    return WatchResult("probes", 0.0, 120.0, 1.0, 3000)


def bad_watch() -> WatchResult:
    return WatchResult("probes", 25.0, 120.0, 1.0, 3000)


@pytest.fixture()
def root(tmp_path):
    return copy_project(tmp_path)


@pytest.fixture()
def prod(root):
    """prod with chat's green slot prepared (2 replicas) so it may take traffic."""
    stack = ops.Stack.load(root, "prod")
    ops.prepare(stack, "chat", "green", "meta-llama/Llama-3.1-70B-Instruct", None, 2)
    return ops.Stack.load(root, "prod")


def applier_for(root, **kw) -> FakeApplier:
    fake = FakeApplier(**kw)
    fake.root = root
    return fake


def weights(root, stack="prod"):
    raw = yaml.safe_load(stack_bytes(root, stack))["config"]["llm-platform:endpoints"]
    return {name: endpoint["weights"] for name, endpoint in raw.items()}


# prod chat has a priority filter (components.gateway.priorities): it moves with the route.
ROUTE = [route_urn("prod", "chat"), priorities_urn("prod", "chat")]
BLUE, GREEN = [slot_target("prod", "chat", "blue")], [slot_target("prod", "chat", "green")]


def route_calls(fake: FakeApplier) -> list[dict]:
    """The chat weights each route update applied."""
    return [weights["chat"] for _, targets, weights in fake.calls if targets == ROUTE]


def changed_lines(before: bytes, after: bytes) -> list[str]:
    diff = difflib.unified_diff(before.decode().splitlines(), after.decode().splitlines(), lineterm="", n=0)
    return [d for d in diff if d[:1] in "+-" and not d.startswith(("+++", "---"))]


def test_blocked_gate_leaves_everything_byte_identical(root, prod):
    before, history_before = stack_bytes(root, "prod"), hist.history_path(root, "prod").read_bytes()
    fake = applier_for(root)
    outcome = ops.promote(prod, "chat", "green", None, fake, failing, ok_watch)
    assert outcome.code == 1 and "gate failed; stack file unchanged" in outcome.lines[-1]
    assert stack_bytes(root, "prod") == before
    assert hist.history_path(root, "prod").read_bytes() == history_before
    assert fake.calls == []


def test_promote_then_rollback_restores_the_exact_bytes(root, prod):
    before = stack_bytes(root, "prod")
    fake = applier_for(root)
    outcome = ops.promote(prod, "chat", "green", [100], fake, passing, ok_watch)
    assert outcome.code == 0 and outcome.doc["weights"] == {"green": 100, "blue": 0}
    after = stack_bytes(root, "prod")
    assert changed_lines(before, after) == ["-        blue: 100", "-        green: 0", "+        blue: 0", "+        green: 100"]
    # green scaled to its live replicas first, then traffic moves, then blue drops to standby
    assert [(stack, targets) for stack, targets, _ in fake.calls] == [("prod", GREEN), ("prod", ROUTE), ("prod", BLUE)]
    assert fake.calls[1][2] == {**weights(root), "chat": {"blue": 0, "green": 100}}

    back = ops.rollback(ops.Stack.load(root, "prod"), "chat", fake)
    assert back.code == 0 and back.doc["undoes"] == outcome.doc["release"]
    assert stack_bytes(root, "prod") == before
    # rollback: traffic back to blue's warm standby pods first, then blue scales up, green down
    assert [targets for _, targets, _ in fake.calls[3:]] == [ROUTE, BLUE, GREEN]

    again = ops.rollback(ops.Stack.load(root, "prod"), "chat", fake)
    assert again.code == 0 and again.doc["changed"] is False and "nothing to roll back" in again.lines[0]
    assert stack_bytes(root, "prod") == before and len(fake.calls) == 6
    actions = [(e.action, e.outcome) for e in hist.load_history(root, "prod").releases]
    assert actions == [("prepare", "completed"), ("promote", "completed"), ("rollback", "completed")]


def test_releasing_one_endpoint_never_touches_another(root, prod):
    others = {k: v for k, v in weights(root).items() if k != "chat"}
    ops.promote(prod, "chat", "green", [10, 50, 100], applier_for(root), passing, ok_watch)
    assert {k: v for k, v in weights(root).items() if k != "chat"} == others
    assert weights(root)["chat"] == {"blue": 0, "green": 100}


def test_canary_steps_apply_and_watch_each_step(root, prod):
    fake, watched = applier_for(root), []

    def watch():
        watched.append(weights(root)["chat"])
        return ok_watch()

    outcome = ops.promote(prod, "chat", "green", [10, 50, 100], fake, passing, watch)
    assert outcome.code == 0
    assert route_calls(fake) == [{"blue": 90, "green": 10}, {"blue": 50, "green": 50}, {"blue": 0, "green": 100}]
    assert [targets for _, targets, _ in fake.calls] == [GREEN, ROUTE, ROUTE, ROUTE, BLUE]
    assert watched == [{"blue": 90, "green": 10}, {"blue": 50, "green": 50}]  # between steps, not after the last


def test_canary_breach_rolls_back_and_applies_the_old_weights(root, prod):
    before = stack_bytes(root, "prod")
    fake = applier_for(root)
    outcome = ops.promote(prod, "chat", "green", [10, 50, 100], fake, passing, bad_watch)
    assert outcome.code == 1 and "canary breached at 10%" in outcome.lines[-1]
    assert stack_bytes(root, "prod") == before
    assert route_calls(fake) == [{"blue": 90, "green": 10}, {"blue": 100, "green": 0}]
    assert [targets for _, targets, _ in fake.calls] == [GREEN, ROUTE, ROUTE, GREEN]  # green back to standby last
    last = hist.load_history(root, "prod").releases[-1]
    assert (last.outcome, last.to.as_dict()) == ("rolled-back", {"blue": 100, "green": 0})
    # nothing completed, so there is nothing to roll back
    assert ops.rollback(ops.Stack.load(root, "prod"), "chat", fake).doc["changed"] is False


def test_failed_apply_restores_the_stack_file(root, prod):
    before = stack_bytes(root, "prod")
    fake = applier_for(root, fail_on=3)  # green scaled, 10 % applied, the 50 % route update fails
    outcome = ops.promote(prod, "chat", "green", [10, 50, 100], fake, passing, ok_watch)
    assert outcome.code == 1 and "stack file restored to blue 100 / green 0; restored weights applied" in outcome.lines[-1]
    assert stack_bytes(root, "prod") == before
    assert route_calls(fake)[-1] == {"blue": 100, "green": 0}
    assert [targets for _, targets, _ in fake.calls][-2:] == [ROUTE, GREEN]


def test_a_failed_first_apply_is_undone_too(root, prod):
    """Even a failed targeted update may have changed something: the old state is re-applied."""
    before = stack_bytes(root, "prod")
    fake = applier_for(root, fail_on=1)
    assert ops.promote(prod, "chat", "green", [100], fake, passing, ok_watch).code == 1
    assert stack_bytes(root, "prod") == before
    assert [targets for _, targets, _ in fake.calls] == [GREEN, ROUTE, BLUE, GREEN]


@pytest.mark.parametrize("how", ["keyboard", "sigterm"])
def test_interrupt_restores_a_consistent_stack_file(root, prod, how):
    before = stack_bytes(root, "prod")

    class Interrupting(FakeApplier):
        def __call__(self, stack, targets):
            super().__call__(stack, targets)
            if len(self.calls) == 2:
                if how == "sigterm":
                    os.kill(os.getpid(), signal.SIGTERM)
                raise KeyboardInterrupt

    fake = Interrupting()
    fake.root = root
    handler = signal.getsignal(signal.SIGTERM)
    outcome = ops.promote(prod, "chat", "green", [10, 50, 100], fake, passing, ok_watch)
    assert outcome.code == 130 and outcome.lines[-1] == "chat: interrupted; stack file restored to blue 100 / green 0; restored weights applied"
    assert stack_bytes(root, "prod") == before
    # the 10 % step reached the route before the interrupt: undone on the cluster too, and recorded as applied
    assert route_calls(fake) == [{"blue": 90, "green": 10}, {"blue": 100, "green": 0}]
    last = hist.load_history(root, "prod").releases[-1]
    assert (last.outcome, last.applied, last.to.as_dict()) == ("interrupted", True, {"blue": 100, "green": 0})
    assert signal.getsignal(signal.SIGTERM) is handler
    assert not list((root / "stacks").glob(".*.tmp"))


def test_no_apply_writes_the_final_weights_only(root, prod):
    outcome = ops.promote(prod, "chat", "green", [10, 50, 100], None, passing, ok_watch)
    assert outcome.code == 0 and outcome.doc["steps"] == [100]
    assert weights(root)["chat"] == {"blue": 0, "green": 100}
    assert hist.load_history(root, "prod").releases[-1].applied is False


def test_promote_refuses_weights_the_config_would_reject(root):
    stack = ops.Stack.load(root, "prod")  # chat green has replicas.min 0 and no scaleToZero
    before = stack_bytes(root, "prod")
    with pytest.raises(ReleaseError, match=r"endpoints.chat: cannot set weights blue 90 / green 10: .*replicas.min 0"):
        ops.promote(stack, "chat", "green", None, applier_for(root), passing, ok_watch)
    with pytest.raises(ReleaseError, match=r"endpoints.code: cannot set weights .*slot green has weight 10 but no model"):
        ops.promote(stack, "code", "green", None, applier_for(root), passing, ok_watch)
    assert stack_bytes(root, "prod") == before


def test_promote_to_the_live_slot_is_a_no_op(root):
    outcome = ops.promote(ops.Stack.load(root, "prod"), "chat", "blue", None, applier_for(root), failing, ok_watch)
    assert outcome.code == 0 and "already takes 100%" in outcome.lines[0]


@pytest.mark.parametrize("steps", [[50, 10, 100], [10, 50], [0, 100], [10, 10, 100]])
def test_bad_steps_are_usage_errors(prod, steps):
    with pytest.raises(ReleaseError, match="must increase strictly from > 0 to 100"):
        ops.promote(prod, "chat", "green", steps, None, passing, ok_watch)


def test_rollback_refuses_hand_edited_weights(root, prod):
    ops.promote(prod, "chat", "green", [100], None, passing, ok_watch)
    path = root / "stacks" / "Pulumi.prod.yaml"
    path.write_text(path.read_text().replace("blue: 0\n        green: 100", "blue: 30\n        green: 70", 1))
    with pytest.raises(ReleaseError, match=r"has weights blue 30 / green 70, not the blue 0 / green 100 release #2 set"):
        ops.rollback(ops.Stack.load(root, "prod"), "chat", None)


def test_prepare_refuses_the_live_slot_and_keeps_layout(root):
    stack = ops.Stack.load(root, "dev")
    with pytest.raises(ReleaseError, match="slot blue is live \\(weight 100\\); prepare the idle slot green"):
        ops.prepare(stack, None, "blue", "org/m", None, None)
    before = stack_bytes(root, "dev")
    doc = ops.prepare(stack, None, "green", "Qwen/Qwen2.5-14B-Instruct", "123456789012.dkr.ecr.us-west-2.amazonaws.com/vllm:0.33.0", None)
    assert doc["changed"] and doc["standbyReplicas"] == 0
    lines = changed_lines(before, stack_bytes(root, "dev"))
    assert lines == ["+          model: Qwen/Qwen2.5-14B-Instruct",
                     "+          image: 123456789012.dkr.ecr.us-west-2.amazonaws.com/vllm:0.33.0"]
    assert ops.Stack.load(root, "dev").cfg.endpoints["chat"].slots.green.model == "Qwen/Qwen2.5-14B-Instruct"


def test_history_file_is_validated(root):
    path = hist.history_path(root, "prod")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"stack": "prod", "releases": [{"id": 1}]}))
    with pytest.raises(ReleaseError, match=r"^stacks/releases/prod.json: releases.0.at: Field required"):
        hist.load_history(root, "prod")
    path.write_text("{")
    with pytest.raises(ReleaseError, match=r"stacks/releases/prod.json: not valid JSON"):
        hist.load_history(root, "prod")
    path.write_text(json.dumps({"stack": "dev", "releases": []}))
    with pytest.raises(ReleaseError, match="records stack .dev., expected .prod.; nothing was changed"):
        hist.load_history(root, "prod")


def test_history_rejects_weights_that_do_not_sum_to_100(root):
    with pytest.raises(ValueError, match="blue \\+ green must be 100"):
        hist.append(root, "prod", endpoint="chat", action="promote", **{"from": {"blue": 100, "green": 0}}, to={"blue": 60, "green": 60})


def test_pulumi_applier_runs_a_targeted_up(monkeypatch, tmp_path):
    """The real applier at the Automation API boundary: select the stack in the project, `up` only the targets."""
    from pulumi import automation

    from llmctl.release.apply import PulumiApplier

    calls = {}

    class FakeStack:
        def up(self, **kwargs):
            calls["up"] = kwargs

    def select_stack(stack_name, work_dir):
        calls["select"] = (stack_name, work_dir)
        return FakeStack()

    monkeypatch.setattr(automation, "select_stack", select_stack)
    PulumiApplier(tmp_path)("prod", [route_urn("prod", "chat")])
    assert calls["select"] == ("prod", str(tmp_path))
    assert calls["up"]["target"] == ["urn:pulumi:prod::llm-platform::llm-platform:endpoint:Endpoint$kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute::chat-route"]
    assert calls["up"]["target_dependents"] is False

    def broken(stack_name, work_dir):
        raise automation.errors.CommandError(automation._cmd.CommandResult(stdout="", stderr="error: conflict: another update is in progress", code=255))

    monkeypatch.setattr(automation, "select_stack", broken)
    with pytest.raises(ApplyError, match="^pulumi up -s prod failed: ") as info:
        PulumiApplier(tmp_path)("prod", None)
    assert "\n" not in str(info.value) and info.value.code == 1


def test_release_key_goes_with_previews_and_probes(monkeypatch):
    monkeypatch.delenv(ops.RELEASE_KEY_ENV, raising=False)
    assert ops.preview_headers("green") == {"X-LLM-Slot": "green"} and ops.release_key_headers() == {}
    monkeypatch.setenv(ops.RELEASE_KEY_ENV, "sk-llm-r")
    assert ops.preview_headers("green") == {"X-LLM-Slot": "green", "Authorization": "Bearer sk-llm-r"}
