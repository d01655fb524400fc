"""Promote waits for capacity: against a stand-in Kubernetes API on 127.0.0.1 through the CLI, and
with the client faked at its boundary."""

from __future__ import annotations

import time

import pytest
from typer.testing import CliRunner

from components.endpoint.names import route_urn, slot_target
from components.serving.models import SlotConfig
from llmctl.cli import app
from llmctl.release import cli as release_cli
from llmctl.release.apply import ApplyError
from llmctl.release.capacity import CapacityTimeoutError, CapacityWait, KubernetesReader, deployment_name
from llmctl.release.errors import ReleaseError
from tests.release.kube_standin import KubeStandIn, deployment
from tests.release.standin import stack_bytes
from tests.serving.helpers import spec_for

MODEL = "meta-llama/Llama-3.1-70B-Instruct"
runner = CliRunner()


class RecordingApplier:
    """Records each targeted apply with the chat weights the stack file held at that moment."""

    def __init__(self, root):
        self.root = root
        self.calls: list[tuple[list[str], bytes]] = []

    def __call__(self, stack, targets):
        self.calls.append((list(targets), stack_bytes(self.root, stack)))


def promote(root, monkeypatch, standin: KubeStandIn, timeout: str):
    applier = RecordingApplier(root)
    monkeypatch.setattr(release_cli, "make_applier", lambda _root: applier)
    prepared = runner.invoke(app, ["release", "prepare", "prod", "-e", "chat", "--slot", "green", "--model", MODEL, "--replicas", "2"])
    assert prepared.exit_code == 0, prepared.output
    before = stack_bytes(root, "prod")
    began = time.monotonic()
    result = runner.invoke(app, ["release", "promote", "prod", "-e", "chat", "--to", "green", "--skip-gate", "--steps", "100",
                                 "--capacity-timeout", timeout, "--capacity-poll", "0.2",
                                 "--kubeconfig", str(standin.kubeconfig(root / "kubeconfig"))])
    return result, time.monotonic() - began, before, applier


def test_promote_whose_slot_never_becomes_ready_moves_no_weight_and_exits_1(root, monkeypatch):
    with KubeStandIn({("llm-chat", "chat-blue"): [2], ("llm-chat", "chat-green"): [0]}) as kube:
        result, seconds, before, applier = promote(root, monkeypatch, kube, "1.5")
    assert result.exit_code == 1, result.output
    # From the first Deployment read to the last, the wait stays within its timeout, then exits.
    assert kube.read_at[-1] - kube.read_at[0] <= 1.5, kube.read_at
    assert seconds < 60, f"the whole CLI run took {seconds:.1f}s"
    assert stack_bytes(root, "prod") == before, "the stack file keeps its weights"
    route = route_urn("prod", "chat")
    # The route is applied only by the restore, with the original weights: traffic never moved.
    assert all(bytes_ == before for targets, bytes_ in applier.calls if route in targets)
    green = slot_target("prod", "chat", "green")
    # The slot was scaled up for the wait, then back to its standby minimum (KEDA) after it.
    assert [t for t, _ in applier.calls if t == [green]] == [[green], [green]] and applier.calls[-1][0] == [green]
    assert applier.calls[-1][1] == before
    assert "0/2 ready" in result.stderr and "no traffic moved" in result.output
    assert kube.reads.count(("llm-chat", "chat-green")) >= 3, "one read per poll"


def test_promote_whose_slot_becomes_ready_after_two_polls_promotes(root, monkeypatch):
    with KubeStandIn({("llm-chat", "chat-blue"): [2], ("llm-chat", "chat-green"): [0, 1, 2]}) as kube:
        result, _, before, applier = promote(root, monkeypatch, kube, "30")
    assert result.exit_code == 0, result.output
    assert stack_bytes(root, "prod") != before
    progress = [line for line in result.stderr.splitlines() if line.startswith("chat: capacity:")]
    assert [p.split()[3] for p in progress] == ["0/2", "1/2", "2/2"]
    green, route = slot_target("prod", "chat", "green"), route_urn("prod", "chat")
    order = [t for t, _ in applier.calls]
    route_at = next(i for i, targets in enumerate(order) if route in targets)
    assert order.index([green]) < route_at, "capacity first, then traffic"
    assert kube.reads == [("llm-chat", "chat-blue"), *[("llm-chat", "chat-green")] * 3]


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def sleep(self, seconds):
        self.now += seconds


class ScriptedReader:
    def __init__(self, ready):
        self.ready = ready

    def ready_replicas(self, namespace, name):
        values = self.ready[name]
        return values.pop(0) if len(values) > 1 else values[0]


def test_wait_times_out_before_the_deadline_with_one_progress_line_per_poll():
    clock, lines = FakeClock(), []
    wait = CapacityWait(ScriptedReader({"chat-blue": [3], "chat-green": [0]}), 60, 15, lines.append, clock.sleep, lambda: clock.now)
    with pytest.raises(CapacityTimeoutError, match=r"llm-chat/chat-green has 0/3 ready replicas after 60s \(timeout 60s\); no traffic moved"):
        wait("llm-chat", "chat-green", "chat-blue", 4)
    assert clock.now == 60 and len(lines) == 5  # polls at 0, 15, 30, 45 and 60 s
    assert isinstance(CapacityTimeoutError("x"), ApplyError) and CapacityTimeoutError("x").code == 1


@pytest.mark.parametrize(("live", "max_replicas", "needed"), [(3, 2, 2), (0, 2, 1), (2, 4, 2)])
def test_needed_replicas_are_the_live_slots_capped_at_the_incoming_maximum(live, max_replicas, needed):
    clock, lines = FakeClock(), []
    wait = CapacityWait(ScriptedReader({"a": [live], "b": [needed]}), 60, 15, lines.append, clock.sleep, lambda: clock.now)
    assert wait("ns", "b", "a", max_replicas) == needed and clock.now == 0
    assert f"{needed}/{needed} ready" in lines[0]


def test_kubernetes_reader_at_the_client_boundary(monkeypatch, tmp_path):
    from kubernetes.client import ApiClient, AppsV1Api
    from kubernetes.client.exceptions import ApiException

    answers = {"ready": deployment("llm-chat", "chat-green", 2), "empty": deployment("llm-chat", "chat-green", 0)}

    def read(self, name, namespace, **kwargs):
        if name in answers:
            return ApiClient().deserialize(_Response(answers[name]), "V1Deployment")
        raise ApiException(status=404 if name == "missing" else 403, reason="NotFound" if name == "missing" else "Forbidden")

    monkeypatch.setattr(AppsV1Api, "read_namespaced_deployment_status", read)
    with KubeStandIn({}) as kube:
        reader = KubernetesReader(str(kube.kubeconfig(tmp_path / "kubeconfig")))
    assert reader.ready_replicas("llm-chat", "ready") == 2
    assert reader.ready_replicas("llm-chat", "empty") == 0
    assert reader.ready_replicas("llm-chat", "missing") == 0
    with pytest.raises(ApplyError, match="reading Deployment llm-chat/denied: HTTP 403 Forbidden"):
        reader.ready_replicas("llm-chat", "denied")
    with pytest.raises(ReleaseError, match=r"--kubeconfig .*nope"):
        KubernetesReader(str(tmp_path / "nope"))


def test_deployment_name_is_the_slots():
    assert deployment_name("chat", "green") == spec_for(SlotConfig(model="org/m"), slot="green").name


class _Response:
    def __init__(self, doc):
        import json

        self.data = json.dumps(doc)
