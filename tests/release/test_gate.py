"""The gate against stand-in vLLM servers: it passes a good candidate and blocks broken,
wrong-answer, too-slow and wrong-model ones, always through the slot header."""

from __future__ import annotations

import json
import time

import pytest

from llmctl.release import ops
from llmctl.release.errors import ReleaseError
from llmctl.release.gate import EvalItem, GateSettings, Target, load_eval_set, p95, run_gate
from tests.release.standin import StandIn, copy_project
from tests.support.paths import REPO_ROOT

MODEL = "meta-llama/Llama-3.1-70B-Instruct"  # prod chat, both slots


@pytest.fixture()
def prod(tmp_path):
    return ops.Stack.load(copy_project(tmp_path), "prod")


def gate(stack, candidate: StandIn, baseline: StandIn, **kw):
    request = ops.GateRequest("green", url=candidate.url, baseline_url=baseline.url, **kw)
    return ops.gate(stack, "chat", request)[1]


def test_good_candidate_passes_through_the_slot_header(prod):
    with StandIn("good", MODEL) as green, StandIn("good", MODEL) as blue:
        report = gate(prod, green, blue)
    assert report.passed, report.table()
    assert [c.name for c in report.checks] == ["health", "model", "smoke", "latency", "eval"]
    assert {h.get("X-LLM-Slot") for _, _, h in green.requests} == {"green"}
    assert {h.get("X-LLM-Slot") for _, _, h in blue.requests} == {"blue"}
    completions = [r for r in green.requests if r[1] == "/v1/chat/completions"]
    # smoke + release.latencyRequests (20) + the chat eval set (evals/chat.jsonl, 22 prompts)
    assert len(completions) == 1 + 20 + 22
    assert report.checks[-1].detail.startswith("100.0% vs live 100.0% on 22 paired prompts: drop 0.0 points (95% CI -14.9 to 14.9")


def test_broken_candidate_is_blocked_fast(prod):
    with StandIn("broken", MODEL) as green, StandIn("good", MODEL) as blue:
        started = time.perf_counter()
        report = gate(prod, green, blue)
        elapsed = time.perf_counter() - started
    assert not report.passed
    assert report.checks[0].name == "health" and report.checks[0].detail == "HTTP 500 from /health"
    assert [c.detail for c in report.checks[1:]] == ["skipped: candidate not serving"] * 4
    assert len(green.requests) == 1 and blue.requests == []
    assert elapsed < 2


def test_wrong_answers_are_blocked_by_the_eval(prod):
    with StandIn("wrong", MODEL) as green, StandIn("good", MODEL) as blue:
        report = gate(prod, green, blue)
    checks = {c.name: c for c in report.checks}
    assert not report.passed
    assert [n for n, c in checks.items() if not c.passed] == ["eval"]
    assert checks["eval"].detail.startswith("0.0% vs live 100.0% on 22 paired prompts: drop 100.0 points (95% CI 79.0 to 100.0; "
                                            "22 lost, 0 gained); blocks when the CI's lower bound exceeds 2")


def test_slow_candidate_is_blocked_by_the_latency_slo(prod):
    with StandIn("slow", MODEL, delay=0.03) as green, StandIn("good", MODEL) as blue:
        report = gate(prod, green, blue, max_p95_ms=20)
    failed = [c.name for c in report.checks if not c.passed]
    assert failed == ["latency"]
    p95_ms = float(report.checks[3].detail.split()[1])
    assert p95_ms >= 30


def test_candidate_serving_another_model_is_blocked(prod):
    with StandIn("good", "org/other") as green, StandIn("good", MODEL) as blue:
        report = gate(prod, green, blue)
    assert [(c.name, c.passed) for c in report.checks][:2] == [("health", True), ("model", False)]
    assert report.checks[1].detail == "serves org/other"


def test_flaky_candidate_fails_on_probe_errors(prod):
    with StandIn("flaky", MODEL) as green, StandIn("good", MODEL) as blue:
        report = gate(prod, green, blue)
    assert not report.passed
    latency = next(c for c in report.checks if c.name == "latency")
    assert not latency.passed and "10 errors" in latency.detail


def test_unreachable_baseline_blocks_the_release(prod):
    with StandIn("good", MODEL) as green, StandIn("broken", MODEL) as blue:
        report = gate(prod, green, blue)
    assert [c.name for c in report.checks if not c.passed] == ["eval"]
    assert "baseline unreachable" in report.checks[-1].detail


def _items(n: int) -> list:
    return [EvalItem(f"What is {i} + {i}? Answer with the number only.", str(2 * i)) for i in range(n)]


def _run_eval(items, wrong: set[int], baseline_wrong: set[int] = frozenset(), limit: float = 2.0):
    right = {item.prompt: f"{item.expected}" for item in items}
    cand = dict(right, **{items[i].prompt: "no idea" for i in wrong})
    base = dict(right, **{items[i].prompt: "no idea" for i in baseline_wrong})
    settings = GateSettings(latency_requests=5, max_p95_ms=5000, max_accuracy_drop=limit)
    with StandIn("good", "m", answers=cand) as c, StandIn("good", "m", answers=base) as b:
        return run_gate(Target(c.url, "m"), Target(b.url, "m"), items, settings).checks[-1]


def test_one_lost_answer_in_24_is_not_evidence_of_a_2_point_drop():
    """With 24 items one answer is 4.2 points: the paired interval says so, and the set is too small."""
    check = _run_eval(_items(24), wrong={0})
    assert check.passed
    assert check.data == {"items": 24, "candidatePct": 95.83, "baselinePct": 100.0, "dropPoints": 4.17, "ci95": [-10.05, 20.24],
                          "lost": 1, "gained": 0, "limitPoints": 2.0, "itemsNeeded": 313, "candidateErrors": 0}
    assert check.detail.endswith("too few items for a 2-point limit: 313 are needed to block a 4-point drop")


def test_a_real_drop_on_a_large_enough_set_is_blocked_and_a_small_one_passes():
    items = _items(400)
    blocked = _run_eval(items, wrong=set(range(0, 400, 20)))  # 20 of 400 lost: 5 points
    assert not blocked.passed and blocked.data["ci95"][0] > 2 and "too few" not in blocked.detail
    noise = _run_eval(items, wrong={3, 77, 150, 260}, baseline_wrong={5, 90, 300})  # 4 lost, 3 gained: 0.25 points
    assert noise.passed and (noise.data["lost"], noise.data["gained"], noise.data["dropPoints"]) == (4, 3, 0.25)


def test_default_url_is_the_endpoint_host_with_the_slot_header(prod):
    candidate, baseline, items, settings = ops.gate_inputs(prod, "chat", ops.GateRequest("green"))
    assert candidate.url == "https://chat.llm.internal" and candidate.headers == {"X-LLM-Slot": "green"}
    assert baseline.url == "https://chat.llm.internal" and baseline.headers == {"X-LLM-Slot": "blue"}
    assert len(items) == 22  # endpoints.chat.evalSet: evals/chat.jsonl
    assert (settings.latency_requests, settings.max_p95_ms, settings.max_accuracy_drop) == (20, 3000, 2.0)


def test_gate_needs_a_model_in_the_slot(prod):
    with pytest.raises(ReleaseError, match="slot green has no model; run `llmctl release prepare` first"):
        ops.gate(prod, "code", ops.GateRequest("green"))


@pytest.mark.parametrize(("line", "message"), [
    ("not json", r"bad.jsonl:2: not JSON"),
    ('{"prompt": "q"}', r"bad.jsonl:2: expected \{\"prompt\": <text>, \"expected\": <text>\}"),
    ('{"prompt": "q", "expected": ""}', r"bad.jsonl:2: expected"),
])
def test_eval_set_errors_name_the_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"prompt": "a", "expected": "b"}) + "\n" + line + "\n")
    with pytest.raises(ReleaseError, match=message):
        load_eval_set(path, "bad.jsonl")


def test_shipped_eval_sets_are_varied_and_well_formed(configs):
    default = load_eval_set(REPO_ROOT / "evals" / "default.jsonl")
    assert len(default) >= 20 and len({i.prompt for i in default}) == len(default)
    assert len({i.expected.lower() for i in default}) == len(default)
    for stack, cfg in configs.items():
        for name, endpoint in cfg.endpoints.items():
            path = endpoint.eval_set or cfg.release.default_eval_set
            assert len(load_eval_set(REPO_ROOT / path)) >= 20, (stack, name, path)


def test_p95_is_nearest_rank():
    assert p95(list(range(1, 21))) == 19
    assert p95([5.0]) == 5.0
    assert p95(list(range(1, 101))) == 95
