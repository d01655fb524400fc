"""Operator input errors are usage errors: exit 2, one line, no traceback, nothing written; eval
sets are scored per item as their file says."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from llmctl.cli import app
from llmctl.release.errors import ReleaseError
from llmctl.release.evals import EvalItem, load_eval_set
from tests.release.standin import stack_bytes

runner = CliRunner()


def one_line_exit_2(result, expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.output, result.output
    assert expected in result.stderr, result.stderr


GATE = ["release", "gate", "prod", "-e", "chat", "--slot", "green", "--url", "http://127.0.0.1:9", "--baseline-url", "http://127.0.0.1:9"]


@pytest.mark.parametrize(("extra", "expected"), [
    (["--timeout", "-1"], "error: --timeout -1: must be above 0 and at most 3600"),
    (["--timeout", "0"], "error: --timeout 0: must be above 0"),
    (["--max-p95-ms", "0"], "error: --max-p95-ms 0: must be above 0"),
    (["--url", "ftp://chat.llm.internal"], "error: --url 'ftp://chat.llm.internal': must be an http:// or https:// URL with a host"),
    (["--baseline-url", "chat.llm.internal"], "error: --baseline-url 'chat.llm.internal': must be an http:// or https:// URL"),
    (["--max-items", "0"], "error: --max-items 0: must be at least 1"),
    (["--eval-set", "evals"], "error: evals: is a folder; give a JSONL file"),
    (["--eval-set", "bin.jsonl"], "error: bin.jsonl: a binary file, not a JSONL eval set"),
    (["--eval-set", "empty.jsonl"], "error: empty.jsonl: empty eval set"),
    (["--eval-set", "big.jsonl"], "error: big.jsonl: more than 2000 items (each is a request to both slots); pass --max-items"),
    (["--eval-set", "regex.jsonl"], "error: regex.jsonl:1: expected '(' is not valid for scoring regex"),
])
def test_gate_misuse_is_a_usage_error_not_a_blocked_candidate(root, extra, expected):
    (root / "bin.jsonl").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    (root / "empty.jsonl").write_text("\n\n")
    (root / "big.jsonl").write_text("".join(json.dumps({"prompt": f"q{i}", "expected": "a"}) + "\n" for i in range(2001)))
    (root / "regex.jsonl").write_text(json.dumps({"prompt": "q", "expected": "(", "scoring": "regex"}) + "\n")
    one_line_exit_2(runner.invoke(app, [*GATE, *extra]), expected)


@pytest.mark.parametrize(("extra", "expected"), [
    (["--watch-url", "ftp://x"], "error: --watch-url 'ftp://x': must be an http:// or https:// URL"),
    (["--prometheus-url", "localhost:9090"], "error: --prometheus-url 'localhost:9090': must be an http:// or https:// URL"),
    (["--step-pause", "-5"], "error: --step-pause -5: must be 0-3600 seconds"),
    (["--timeout", "-1"], "error: --timeout -1: must be above 0"),
    (["--lock-timeout", "-1"], "error: --lock-timeout -1: must be 0-3600 seconds"),
])
def test_promote_misuse_changes_nothing(root, extra, expected):
    before = stack_bytes(root, "prod")
    one_line_exit_2(runner.invoke(app, ["release", "promote", "prod", "-e", "chat", "--to", "green", "--skip-gate", *extra]), expected)
    assert stack_bytes(root, "prod") == before and not (root / "stacks" / "releases").exists()


def test_max_items_raises_the_limit(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps({"prompt": f"q{i}", "expected": "a"}) + "\n" for i in range(2001)))
    assert len(load_eval_set(path, "big.jsonl", max_items=5000)) == 2001


def test_scoring_per_item_and_per_set(tmp_path):
    path = tmp_path / "s.jsonl"
    rows = [{"scoring": "numeric", "tolerance": 0.5},
            {"prompt": "pi?", "expected": "3.14"},
            {"prompt": "name?", "expected": "Paris", "scoring": "exact"},
            {"prompt": "code?", "expected": r"^def \w+\(", "scoring": "regex"},
            {"prompt": "json?", "expected": "", "scoring": "json"},
            {"prompt": "json eq?", "expected": '{"a": 1}', "scoring": "json"},
            {"prompt": "capital?", "expected": "rome", "scoring": "contains"}]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    pi, name, code, anyjson, samejson, capital = load_eval_set(path)
    assert (pi.scoring, pi.tolerance) == ("numeric", 0.5)
    assert pi.score("It is about 3.5.") and not pi.score("Roughly 4") and not pi.score("no number")
    assert name.score("  paris ") and not name.score("Paris, France")
    assert code.score("def add(a, b):") and not code.score("The function def add(")
    assert anyjson.score('```json\n{"x": [1, 2]}\n```') and not anyjson.score("{x: 1}")
    assert samejson.score('{"a": 1}') and not samejson.score('{"a": 2}')
    assert capital.score("It is Rome.") and not capital.score("Milan")


def test_existing_eval_sets_keep_their_meaning(root):
    items = load_eval_set(root / "evals" / "chat.jsonl")
    assert {i.scoring for i in items} == {"contains"} and len(items) == 22
    assert EvalItem("q", "Rome").score("the answer is rome")


@pytest.mark.parametrize(("row", "expected"), [
    ({"prompt": "q", "expected": "x", "scoring": "fuzzy"}, "scoring 'fuzzy': must be one of exact, contains, regex, json, numeric"),
    ({"prompt": "q", "expected": "ten", "scoring": "numeric"}, "expected 'ten' is not valid for scoring numeric"),
    ({"prompt": "q", "expected": "1", "scoring": "numeric", "tolerance": -1}, "tolerance -1: must be a number >= 0"),
    ({"prompt": "q", "expected": "x", "weight": 2}, "expected {\"prompt\": <text>, \"expected\": <text>}"),
])
def test_bad_scoring_names_the_line(tmp_path, row, expected):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"prompt": "a", "expected": "b"}) + "\n" + json.dumps(row) + "\n")
    with pytest.raises(ReleaseError, match="^bad.jsonl:2: " + expected.replace("(", r"\(").replace("{", r"\{").replace("[", r"\[")):
        load_eval_set(path, "bad.jsonl")


@pytest.mark.parametrize(("setup", "args", "expected"), [
    (lambda r: (r / "outfile").write_text("x"), ["synth", "dev", "--out", "outfile"], "error: --out outfile: is a file; give a folder"),
    (lambda r: (r / "outfile").write_text("x"), ["synth", "dev", "--out", "outfile/sub"], "error: --out outfile/sub: cannot write there"),
    (lambda r: None, ["synth", "dev", "--out", "/proc/llmctl-out"], "error: --out /proc/llmctl-out: cannot write there"),
])
def test_synth_out_errors(root, setup, args, expected):
    setup(root)
    one_line_exit_2(runner.invoke(app, args), expected)


@pytest.mark.parametrize(("content", "expected"), [
    ({"stack": "dev", "project": "llm-platform", "resources": [], "outputs": {}}, "the inventory has no resources, so every policy would pass"),
    ({"stack": "dev", "project": "other", "resources": [{"urn": "u"}]}, "not an inventory written by `llmctl synth` (expected an object"),
    ([1, 2], "not an inventory written by `llmctl synth`"),
    ({"stack": "dev", "project": "llm-platform", "resources": [{"urn": "u"}]}, "not an inventory written by `llmctl synth` (a resource lacks 'type')"),
    ("{", "not an inventory written by `llmctl synth` (JSONDecodeError"),
])
def test_check_inventory_errors_name_the_file(root, content, expected):
    path = root / "inv.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    one_line_exit_2(runner.invoke(app, ["check", "--inventory", str(path)]), f"error: {path}: {expected}")


def test_gate_progress_counts_both_slots_answers(root, monkeypatch):
    from llmctl.release import cli as release_cli
    from llmctl.release import ops
    from tests.release.standin import StandIn

    seen: list[tuple[int, int]] = []
    model = "meta-llama/Llama-3.1-70B-Instruct"
    with StandIn("good", model) as green, StandIn("good", model) as blue:
        request = ops.GateRequest("green", green.url, blue.url, progress=lambda done, total: seen.append((done, total)))
        ops.gate(ops.Stack.load(root, "prod"), "chat", request)
    assert [done for done, _ in seen] == list(range(1, 45)) and {total for _, total in seen} == {44}
    # on a terminal the CLI draws it; --json (or a pipe) stays quiet
    monkeypatch.setattr("sys.stderr.isatty", lambda: True, raising=False)
    assert release_cli._gate_request("green", None, None, None, None, None, 60, 2000, quiet=True).progress is None
    assert release_cli._gate_request("green", None, None, None, None, None, 60, 2000, quiet=False).progress is not None
