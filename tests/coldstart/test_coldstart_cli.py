"""`llmctl coldstart`: per slot, stages with seconds and sources; the goals hold with the image
and compile caches on; the README table and the rendered probes follow the computed figures."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from components.coldstart.budget import Timeouts, worst_case
from components.coldstart.models import model_facts
from components.coldstart.sizing import slot_sizing
from llmctl.cli import app
from llmctl.coldstart.render import README_BEGIN, README_END, STAGES
from tests.support.paths import REPO_ROOT

STACKS = ("dev", "staging", "prod")
KINDS = {"measured", "documented", "estimate", "formula"}


@pytest.fixture(scope="module")
def reports():
    runner = CliRunner()
    out = {}
    for stack in STACKS:
        result = runner.invoke(app, ["coldstart", stack, "--json"])
        assert result.exit_code == 0, result.output
        out[stack] = json.loads(result.output)
    return out


def test_every_slot_has_every_stage_with_seconds_and_a_source(reports):
    for stack, report in reports.items():
        assert report["slots"], stack
        for row in report["slots"]:
            assert "error" not in row, row
            for name, budget in row["scenarios"].items():
                assert [s["stage"] for s in budget["stages"]] == list(STAGES), (stack, name)
                for stage in budget["stages"]:
                    assert stage["seconds"] > 0 and stage["kind"] in KINDS and len(stage["source"]) > 10, stage
                assert budget["total_seconds"] == pytest.approx(sum(s["seconds"] for s in budget["stages"]), abs=0.5)


def test_with_image_and_compile_caches_dev_and_staging_slots_against_three_minutes(reports):
    rows = {(s, r["endpoint"], r["slot"]): r for s in ("dev", "staging") for r in reports[s]["slots"]}
    assert set(rows) == {("dev", "chat", "blue"), ("staging", "chat", "blue"), ("staging", "code", "green")}
    for row in rows.values():
        cached = row["scenarios"]["cached"]
        assert cached["cache"] == {"image": "snapshot", "compile": True, "weights": "bucket"}
        assert row["meets_target"] == (cached["total_seconds"] < 180)
    assert all(row["meets_target"] for row in rows.values())
    # Staging code/green (14B on 48 GB GPUs, a 20 Gbps g6e.4xlarge) computed 180.3 s while the
    # warm-up stage still counted the removed ALB's 20 s health threshold; with the endpoint
    # picker's pod watch (1 s) it is 161.3 s. No weight store changes it: 29.5 GB is NIC-bound.
    code = rows[("staging", "code", "green")]
    assert (code["instance_type"], code["scenarios"]["cached"]["total_seconds"]) == ("g6e.4xlarge", 161.3)
    assert code["scenarios"]["burst"]["total_seconds"] == code["scenarios"]["cached"]["total_seconds"]


def test_the_shared_cache_serves_prods_70b_and_keeps_a_six_replica_burst_nic_bound(reports, configs):
    stores = {(s, r["endpoint"], r["slot"]): r["weight_store"] for s in STACKS for r in reports[s]["slots"]}
    cached = {k for k, v in stores.items() if v == "cache"}
    assert cached == {("prod", "chat", "blue"), ("prod", "chat", "green")}
    assert configs["dev"].model_store.shared_cache is None and configs["staging"].model_store.shared_cache is None
    for row in (r for r in reports["prod"]["slots"] if r["endpoint"] == "chat"):
        weights = {k: next(s for s in row["scenarios"][k]["stages"] if s["stage"] == "weights") for k in ("cached", "burst", "burst_from_bucket")}
        # One node: NIC-bound either way (141.1 GB x 4 ranks / 10 GB/s). Six at once: S3
        # Standard's 5,500 GET/s x 8 MiB = 46 GB/s per prefix gives each 7.69 GB/s; S3 Express does not bind.
        assert (weights["cached"]["seconds"], weights["burst"]["seconds"], weights["burst_from_bucket"]["seconds"]) == (56.4, 56.4, 73.4)
        assert "store-bound" in weights["burst_from_bucket"]["source"] and "NIC-bound" in weights["burst"]["source"]
        assert (row["burst_nodes"], row["scenarios"]["burst"]["total_seconds"], row["scenarios"]["burst_from_bucket"]["total_seconds"]) == (6, 220.0, 237.0)


def test_prods_70b_chat_starts_in_under_four_minutes_with_the_caches(reports):
    chat = [r for r in reports["prod"]["slots"] if r["endpoint"] == "chat"]
    assert {r["model"] for r in chat} == {"meta-llama/Llama-3.1-70B-Instruct"} and len(chat) == 2
    for row in chat:
        assert row["scenarios"]["cached"]["total_seconds"] < 240
        assert row["target_seconds"] == 240 and row["meets_target"]


def test_caches_only_ever_shorten_the_start(reports):
    for report in reports.values():
        for row in report["slots"]:
            totals = [row["scenarios"][k]["total_seconds"] for k in ("cached", "first_start", "before")]
            assert totals == sorted(totals) and totals[0] < totals[2], row["model"]
            assert row["worst_case"]["total_seconds"] >= row["scenarios"]["before"]["total_seconds"]


def test_the_rendered_probe_and_timeouts_follow_the_computed_worst_case(reports, configs, inventories):
    deployments = {
        obj["metadata"]["name"]: obj for s in STACKS for _, obj in inventories[s].kubernetes_objects()
        if obj["kind"] == "Deployment" and obj["metadata"].get("labels", {}).get("app.kubernetes.io/name") == "vllm"
    }
    scalers = {obj["metadata"]["name"]: obj for s in STACKS for _, obj in inventories[s].kubernetes_objects() if obj["kind"] == "ScaledObject"}
    checked = 0
    for stack, report in reports.items():
        cfg = configs[stack]
        for row in report["slots"]:
            slot = getattr(cfg.endpoints[row["endpoint"]].slots, row["slot"])
            sizing = slot_sizing(cfg.gpu.pool(row["pool"]), slot)
            assert sizing.computed
            assert sizing.timeouts == Timeouts(row["derived"]["startup_probe_seconds"], row["derived"]["progress_deadline_seconds"])
            dep = deployments[f"{row['endpoint']}-{row['slot']}"] if stack == "prod" else None
            if dep is None:
                continue
            probe = dep["spec"]["template"]["spec"]["containers"][0]["startupProbe"]
            assert probe["periodSeconds"] * probe["failureThreshold"] == row["derived"]["startup_probe_seconds"]
            assert dep["spec"]["progressDeadlineSeconds"] == row["derived"]["progress_deadline_seconds"]
            assert scalers[f"{row['endpoint']}-{row['slot']}"]["spec"]["initialCooldownPeriod"] == row["derived"]["keda_initial_cooldown_seconds"]
            checked += 1
    assert checked == len(reports["prod"]["slots"]) > 0


def test_worst_case_is_the_slowest_eligible_node_without_caches():
    facts = model_facts("Qwen/Qwen2.5-7B-Instruct")
    worst = worst_case(facts, 1, ["g6e.xlarge", "g6.2xlarge", "g5.2xlarge"])
    assert worst.instance_type == "g6.2xlarge"  # 10 Gbps; ties keep catalog order
    assert (worst.cache.image, worst.cache.compile_cache, worst.cache.weights) == ("pull", False, "bucket")


def test_the_worst_case_counts_every_replica_starting_from_the_model_bucket():
    facts = model_facts("meta-llama/Llama-3.1-70B-Instruct")
    one, six = (worst_case(facts, 4, ["g6e.12xlarge"], n) for n in (1, 6))
    seconds = [next(s.seconds for s in b.stages if s.name == "weights") for b in (one, six)]
    assert [round(x, 1) for x in seconds] == [56.4, 73.4]
    # 564.4 GB per node at 46.1 GB/s / 6 nodes: the bucket's prefix ceiling, not the NIC.
    assert seconds[1] == pytest.approx(141.1 * 4 / (5500 * 8 * 2**20 / 1e9 / 6))


def test_readme_table_is_generated_from_the_command():
    result = CliRunner().invoke(app, ["coldstart", *STACKS, "--markdown"])
    assert result.exit_code == 0, result.output
    readme = (REPO_ROOT / "README.md").read_text()
    current = readme[readme.index(README_BEGIN): readme.index(README_END) + len(README_END)]
    assert current == result.output.strip(), "README cold-start table is stale: replace it with `llmctl coldstart dev staging prod --markdown`"


def test_bad_input_is_one_line_and_exit_2():
    result = CliRunner().invoke(app, ["coldstart", "nosuch"])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    result = CliRunner().invoke(app, ["coldstart", "dev", "--json", "--markdown"])
    assert result.exit_code == 2 and result.output.strip() == "error: --json and --markdown exclude each other"


def test_the_release_capacity_wait_defaults_to_the_computed_rollout(monkeypatch, configs):
    """`llmctl release promote` waits for the incoming slot as long as its computed cold start."""
    from llmctl.release import cli as release_cli

    seen = {}

    class Recorder:
        def __init__(self, reader, timeout, poll, echo):
            seen["timeout"] = timeout

    monkeypatch.setattr(release_cli, "CapacityWait", Recorder)
    monkeypatch.setattr(release_cli, "make_capacity_reader", lambda kubeconfig, context: None)
    target = type("Target", (), {"cfg": configs["prod"]})()
    release_cli._capacity_wait(target, "chat", "green", None, 15.0, None, None)
    cfg = configs["prod"]
    expected = slot_sizing(cfg.gpu.pool(cfg.endpoints["chat"].pool), cfg.endpoints["chat"].slots.green).timeouts.rollout_seconds
    assert seen["timeout"] == expected == 1200  # 2 x the 579 s worst case (g6e.12xlarge, plain pull, six at once from the bucket), in whole minutes
    release_cli._capacity_wait(target, "chat", "green", 30.0, 15.0, None, None)
    assert seen["timeout"] == 30.0
