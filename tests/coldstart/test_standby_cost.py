"""The estimator shows each endpoint's warm replicas' monthly cost next to its cold start."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from components.cost.prices import HOURS_PER_MONTH, pinned
from llmctl.cli import app
from llmctl.cost.capacity import capacity
from llmctl.cost.estimate import Assumptions, estimate, render_text


def test_standby_replicas_are_priced_next_to_the_cold_start(inventories, configs):
    cfg = configs["prod"]
    cap = capacity(inventories["prod"], cfg)
    cold = {("chat", "blue"): {"cached": 239.0, "first_start": 398.0}}
    result = estimate(cap, pinned(cap.region), Assumptions.from_config(cfg.cost), cold)
    rows = {r["endpoint"]: r for r in result["standby"]}
    assert set(rows) == {"chat", "code", "embed"}
    hourly = {(r["endpoint"], r["slot"]): r["hourly_usd_per_replica"] for r in result["per_slot"]}
    chat = rows["chat"]
    # prod chat: live blue keeps 2 replicas, idle green keeps standbyReplicas: 1.
    assert (chat["floor_replicas"], chat["standby_replicas"]) == (2, 1)
    assert chat["standby_monthly_usd"] == pytest.approx(1 * hourly[("chat", "green")] * HOURS_PER_MONTH, abs=0.05)
    assert chat["floor_monthly_usd"] == pytest.approx(2 * hourly[("chat", "blue")] * HOURS_PER_MONTH, abs=0.05)
    assert chat["cold_start_seconds"] == {"cached": 239.0, "first_start": 398.0}
    assert rows["code"]["standby_replicas"] == 0 and rows["code"]["cold_start_seconds"] is None
    assert "chat: warm replicas 2 live floor $" in render_text(result) and "cold start 239 s cached / 398 s first" in render_text(result)


def test_cost_estimate_cli_carries_the_computed_cold_start():
    result = CliRunner().invoke(app, ["cost", "estimate", "prod", "--json"])
    assert result.exit_code == 0, result.output
    chat = next(r for r in json.loads(result.output)["standby"] if r["endpoint"] == "chat")
    report = json.loads(CliRunner().invoke(app, ["coldstart", "prod", "--json"]).output)
    blue = next(r for r in report["slots"] if (r["endpoint"], r["slot"]) == ("chat", "blue"))
    assert chat["cold_start_seconds"] == {"cached": blue["scenarios"]["cached"]["total_seconds"],
                                          "first_start": blue["scenarios"]["first_start"]["total_seconds"]}
