"""`llmctl release` end to end through typer: exit codes, --json shapes, one-line errors."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from components.endpoint.names import slot_target
from llmctl.cli import app
from llmctl.release import cli as release_cli
from tests.release.standin import StandIn, copy_project, stack_bytes
from tests.release.test_promote import ROUTE
from tests.support.http_standin import JsonHandler, LocalServer

MODEL = "meta-llama/Llama-3.1-70B-Instruct"
runner = CliRunner()


class _Ready:
    """Every Deployment already has the replicas it needs (tests/release/test_capacity.py covers the wait)."""

    def ready_replicas(self, namespace, name):
        return 8


@pytest.fixture()
def root(tmp_path, monkeypatch):
    project = copy_project(tmp_path)
    monkeypatch.chdir(project)
    monkeypatch.setattr(release_cli, "make_capacity_reader", lambda kubeconfig, context: _Ready())
    return project


def run(*args: str):
    return runner.invoke(app, ["release", *args])


def test_status_single_and_multi_endpoint(root):
    single = json.loads(run("status", "dev", "--json").stdout)
    assert single == {"stack": "dev", "endpoint": "chat", "history": [], "unfinished": None, "slots": {
        "blue": {"weight": 100, "model": "Qwen/Qwen2.5-7B-Instruct", "replicas": {"min": 0, "max": 2}},
        "green": {"weight": 0, "model": None, "replicas": {"min": 0, "max": 0}}}}
    multi = json.loads(run("status", "prod", "--json").stdout)
    assert set(multi) == {"stack", "endpoints"} and set(multi["endpoints"]) == {"chat", "code", "embed"}
    assert multi["endpoints"]["chat"]["slots"]["green"] == {"weight": 0, "model": MODEL, "replicas": {"min": 1, "max": 1}}


@pytest.mark.parametrize(("args", "message"), [
    (["gate", "prod", "--slot", "green"], "error: stack prod has 3 endpoints; pass --endpoint with one of: chat, code, embed\n"),
    (["status", "prod", "--endpoint", "nope"], "error: stack prod has no endpoint 'nope'; endpoints: chat, code, embed\n"),
    (["promote", "dev", "--to", "purple", "--no-apply"], "error: --slot/--to 'purple': must be one of blue, green\n"),
    (["promote", "prod", "-e", "chat", "--to", "green", "--steps", "10,x"], "error: --steps 10,x: expected comma-separated integers, e.g. 10,50,100\n"),
    (["status", "nostack"], "error: stacks/Pulumi.nostack.yaml: no such stack file; stacks live in stacks/Pulumi.<stack>.yaml\n"),
])
def test_usage_errors_exit_2_with_one_line(root, args, message):
    result = run(*args)
    assert result.exit_code == 2 and result.stderr == message


def test_gate_exit_codes_and_json(root):
    with StandIn("good", MODEL) as good, StandIn("wrong", MODEL) as wrong, StandIn("good", MODEL) as live:
        passed = run("gate", "prod", "-e", "chat", "--slot", "green", "--url", good.url, "--baseline-url", live.url, "--json")
        blocked = run("gate", "prod", "-e", "chat", "--slot", "green", "--url", wrong.url, "--baseline-url", live.url)
    assert passed.exit_code == 0
    doc = json.loads(passed.stdout)
    assert doc["passed"] is True and doc["endpoint"] == "chat" and [c["name"] for c in doc["checks"]] == ["health", "model", "smoke", "latency", "eval"]
    assert blocked.exit_code == 1 and "FAIL  eval" in blocked.stdout and "BLOCKED" in blocked.stdout


def test_promote_with_gate_and_watch_then_rollback(root, monkeypatch):
    calls = []
    monkeypatch.setattr(release_cli, "make_applier", lambda _root: lambda stack, targets: calls.append((stack, targets)))
    assert run("prepare", "prod", "-e", "chat", "--slot", "green", "--model", MODEL, "--replicas", "2").exit_code == 0
    before = stack_bytes(root, "prod")
    with StandIn("good", MODEL) as green, StandIn("good", MODEL) as blue:
        result = run("promote", "prod", "-e", "chat", "--to", "green", "--steps", "50,100", "--step-pause", "0",
                     "--url", green.url, "--baseline-url", blue.url, "--watch-url", blue.url, "--json")
        probes = [r for r in blue.requests if r[1] == "/v1/chat/completions" and "X-LLM-Slot" not in r[2]]
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["weights"] == {"green": 100, "blue": 0} and doc["gate"]["passed"] and doc["outcome"] == "completed"
    assert [targets for _, targets in calls] == [
        [slot_target("prod", "chat", "green")], ROUTE,   # 50 %
        ROUTE, [slot_target("prod", "chat", "blue")],   # 100 %
    ]
    assert len(probes) == 20
    back = run("rollback", "prod", "-e", "chat", "--json")
    assert back.exit_code == 0 and json.loads(back.stdout)["weights"] == {"blue": 100, "green": 0}
    assert stack_bytes(root, "prod") == before
    again = run("rollback", "prod", "-e", "chat")
    assert again.exit_code == 0 and "nothing to roll back" in again.stdout and stack_bytes(root, "prod") == before
    history = json.loads(run("status", "prod", "-e", "chat", "--json").stdout)["history"]
    assert [(h["action"], h["outcome"]) for h in history] == [("prepare", "completed"), ("promote", "completed"), ("rollback", "completed")]


def test_broken_canary_is_rolled_back(root, monkeypatch):
    monkeypatch.setattr(release_cli, "make_applier", lambda _root: lambda stack, targets: None)
    run("prepare", "prod", "-e", "chat", "--slot", "green", "--model", MODEL, "--replicas", "2")
    before = stack_bytes(root, "prod")
    with StandIn("broken", MODEL) as live:
        result = run("promote", "prod", "-e", "chat", "--to", "green", "--skip-gate", "--step-pause", "0", "--watch-url", live.url)
    assert result.exit_code == 1 and "canary breached at 10%" in result.stdout
    assert stack_bytes(root, "prod") == before


def test_blocked_promote_leaves_the_stack_file_byte_identical(root, monkeypatch):
    monkeypatch.setattr(release_cli, "make_applier", lambda _root: pytest.fail("must not apply"))
    run("prepare", "prod", "-e", "chat", "--slot", "green", "--model", MODEL, "--replicas", "2")
    before = stack_bytes(root, "prod")
    with StandIn("broken", MODEL) as green, StandIn("good", MODEL) as blue:
        result = run("promote", "prod", "-e", "chat", "--to", "green", "--no-apply", "--url", green.url, "--baseline-url", blue.url)
    assert result.exit_code == 1 and "gate failed; stack file unchanged" in result.stdout
    assert stack_bytes(root, "prod") == before


class Prometheus(LocalServer):
    """A stand-in Prometheus answering instant queries from a {metric substring: value} table."""

    def __init__(self, answers: dict[str, str | None]):
        from urllib.parse import parse_qs, urlparse

        self.queries: list[str] = []
        outer = self

        class Handler(JsonHandler):
            def do_GET(self):  # noqa: N802
                query = parse_qs(urlparse(self.path).query)["query"][0]
                outer.queries.append(query)
                value = next((v for k, v in answers.items() if k in query), None)
                result = [] if value is None else [{"metric": {}, "value": [1700000000, value]}]
                self.send_json(200, {"status": "success", "data": {"resultType": "vector", "result": result}})

        super().__init__(Handler)


@pytest.mark.parametrize(("answers", "code"), [
    ({"http_requests_total": "0.2", "e2e_request_latency": "1.2"}, 0),
    ({"http_requests_total": "4.5", "e2e_request_latency": "1.2"}, 1),   # 4.5% 5xx > 1%
    ({"http_requests_total": "0", "e2e_request_latency": "9.5"}, 1),     # p95 9.5 s > 3 s
    ({"http_requests_total": None, "e2e_request_latency": None}, 0),     # no canary traffic yet: nothing to judge
])
def test_canary_judged_from_prometheus(root, monkeypatch, answers, code):
    monkeypatch.setattr(release_cli, "make_applier", lambda _root: lambda stack, targets: None)
    run("prepare", "prod", "-e", "chat", "--slot", "green", "--model", MODEL, "--replicas", "2")
    before = stack_bytes(root, "prod")
    prom = Prometheus(answers)
    try:
        result = run("promote", "prod", "-e", "chat", "--to", "green", "--skip-gate", "--steps", "10,100", "--step-pause", "0",
                     "--prometheus-url", prom.url)
    finally:
        prom.close()
    assert result.exit_code == code, result.output
    assert all('namespace="llm-chat",llm_endpoint="chat",llm_slot="green"' in q for q in prom.queries) and len(prom.queries) == 2
    assert (stack_bytes(root, "prod") == before) == (code == 1)


def test_unreachable_prometheus_rolls_the_canary_back(root, monkeypatch):
    monkeypatch.setattr(release_cli, "make_applier", lambda _root: lambda stack, targets: None)
    run("prepare", "prod", "-e", "chat", "--slot", "green", "--model", MODEL, "--replicas", "2")
    before = stack_bytes(root, "prod")
    result = run("promote", "prod", "-e", "chat", "--to", "green", "--skip-gate", "--step-pause", "0", "--prometheus-url", "http://127.0.0.1:9")
    assert result.exit_code == 1 and "query failed" in result.stdout
    assert stack_bytes(root, "prod") == before
