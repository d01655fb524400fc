"""The estimate states its assumptions, `--set` changes one, reserved capacity is paid used or
not, and the dev stack's fixed overhead stays at or below the anchors' $296/month."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from llmctl.cli import app
from llmctl.cost.assumptions import AssumptionError, Assumptions
from llmctl.cost.capacity import Capacity, Pool, Reservation, Slot, capacity
from llmctl.cost.estimate import estimate, render_text
from llmctl.cost.prices import pinned
from tests.conftest import synthesized

ANCHOR_FIXED_USD = 296  # awslabs/ai-on-eks inference-ready cluster, per month


def _slot(pool: str, gpus: int = 8, low: int = 1, high: int = 2) -> Slot:
    return Slot(endpoint="chat", slot="blue", model="m", team="applied-ai", pool=pool, gpus=gpus, cpu=100, memory_gib=1000,
                min=low, max=high, live=True, tokens_per_second=1000)


def _reserved_cap(capacity_types: tuple[str, ...], count: int = 1, hourly: float | None = 31.5, hours: float | None = None) -> Capacity:
    cap = Capacity(stack="t", region="us-east-1")
    cap.pools["h200-chat-blue"] = Pool("h200-chat-blue", ("p5e.48xlarge", "p5.48xlarge"), capacity_types, 300, 16, base="h200")
    cap.slots = [_slot("h200-chat-blue")]
    cap.reservations = [Reservation("h200", "p5e.48xlarge", count, "capacity-block", hourly, hours)]
    return cap


def test_dev_fixed_overhead_is_at_most_the_anchors_from_the_cli():
    """Must show: `llmctl cost estimate dev --json` fixed overhead (total minus GPU node lines) <= $296."""
    result = CliRunner().invoke(app, ["cost", "estimate", "dev", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    gpu = sum(i["monthly_usd"] for i in doc["items"] if i["category"] == "gpu")
    assert gpu > 0 and doc["fixed_monthly_usd"]["expected"] == pytest.approx(doc["total_monthly_usd"]["expected"] - gpu, abs=0.05)
    assert doc["fixed_monthly_usd"]["expected"] <= ANCHOR_FIXED_USD
    assert doc["fixed_monthly_usd"]["min"] == doc["total_monthly_usd"]["min"]  # min replicas 0: nothing but the platform
    items = " ".join(i["item"] for i in doc["items"])
    assert "Interface VPC endpoints (3 endpoints, 3 AZ ENIs" in items and "2 x t3.large" in items


def test_dev_keeps_flow_logs_encryption_and_the_private_endpoint():
    dev = synthesized("dev")
    assert dev.of_type("aws:ec2/flowLog:FlowLog")
    (cluster,) = dev.of_type("aws:eks/cluster:Cluster")
    assert cluster.inputs["vpcConfig"]["endpointPrivateAccess"] is True
    assert cluster.inputs["encryptionConfig"]["resources"] == ["secrets"]


def test_assumptions_are_in_json_and_the_table():
    cap = capacity(synthesized("dev"))
    result = estimate(cap, pinned(cap.region), Assumptions())
    assert result["assumptions"] == {"hours_per_month": 730, "spot_discount_pct": 60, "spot_share_pct": 90, "nat_data_gb_per_month": 100, "nlb_lcus": 1}
    assert "assumptions (change one with --set key=value): hours_per_month=730, spot_discount_pct=60, spot_share_pct=90, nat_data_gb_per_month=100, nlb_lcus=1" in render_text(result)


def test_set_changes_one_assumption_and_its_lines():
    base = Assumptions()
    more = base.with_settings(["nat_data_gb_per_month=500", "hours-per-month=744"])
    assert (more.nat_data_gb_per_month, more.hours_per_month, more.spot_share_pct) == (500, 744, base.spot_share_pct)
    cap = capacity(synthesized("dev"))
    nat = [i for i in estimate(cap, pinned(cap.region), more)["items"] if i["item"].startswith("NAT data")]
    assert nat == [{"item": "NAT data processing (assumed 500 GB/month)", "category": "fixed", "quantity": 500, "unit_usd": 0.045, "monthly_usd": 22.5}]


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("nat_gb=5", "--set nat_gb=5: unknown assumption 'nat_gb'; allowed keys: hours_per_month, spot_discount_pct, spot_share_pct, nat_data_gb_per_month, nlb_lcus"),
        ("nlb_lcus", "--set nlb_lcus: unknown assumption 'nlb_lcus'; allowed keys: hours_per_month, spot_discount_pct, spot_share_pct, nat_data_gb_per_month, nlb_lcus"),
        ("spot_share_pct=lots", "--set spot_share_pct=lots: 'lots' is not a number"),
        ("spot_discount_pct=100", "--set spot_discount_pct=100: spot_discount_pct must be between 0 and 99.9"),
    ],
)
def test_bad_set_is_one_line(setting, message):
    with pytest.raises(AssumptionError) as info:
        Assumptions().with_settings([setting])
    assert str(info.value) == message


def test_bad_set_exits_2_from_the_cli_listing_the_keys():
    result = CliRunner().invoke(app, ["cost", "estimate", "dev", "--set", "gpu_hours=3"])
    assert result.exit_code == 2
    assert result.output.strip() == ("error: --set gpu_hours=3: unknown assumption 'gpu_hours'; allowed keys: hours_per_month, "
                                     "spot_discount_pct, spot_share_pct, nat_data_gb_per_month, nlb_lcus")


def test_set_from_the_cli_changes_the_estimate():
    result = CliRunner().invoke(app, ["cost", "estimate", "dev", "--json", "--set", "nlb_lcus=10"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["assumptions"]["nlb_lcus"] == 10
    assert any(i["item"].startswith("NLB NLCUs (assumed 10 NLCU") for i in doc["items"])


def test_reserved_capacity_is_paid_whether_used_or_not():
    a = Assumptions()
    used = estimate(_reserved_cap(("reserved",)), pinned("us-east-1"), a)
    (reserved,) = [i for i in used["items"] if i["item"].startswith("Reserved h200")]
    assert (reserved["category"], reserved["quantity"], reserved["unit_usd"]) == ("gpu", 730, 31.5)
    idle = _reserved_cap(("reserved",))
    idle.slots = [_slot("h200-chat-blue", low=0, high=0)]
    assert estimate(idle, pinned("us-east-1"), a)["total_monthly_usd"]["min"] == pytest.approx(31.5 * 730, abs=0.05)
    # The replica runs inside the reservation: no second instance charge, only its volumes.
    gpu = [i for i in used["items"] if i["item"].startswith("GPU chat/blue (")]
    assert gpu == [{"item": "GPU chat/blue (1 x p5e.48xlarge in reserved capacity, paid above)", "category": "gpu", "quantity": 730, "unit_usd": 0.0, "monthly_usd": 0.0}]
    (row,) = used["per_slot"]
    assert (row["instance_type"], row["hourly_usd_per_replica"]) == ("p5e.48xlarge", 31.5)


def test_replicas_beyond_the_reservation_fall_back_to_on_demand_and_a_block_is_paid_for_its_length():
    cap = _reserved_cap(("reserved", "on-demand"), hours=336)  # a two-week Capacity Block
    result = estimate(cap, pinned("us-east-1"), Assumptions())
    items = {i["item"]: i for i in result["items"]}
    assert items["Reserved h200 (1 x p5e.48xlarge Capacity Block x 336 h, paid used or not)"]["quantity"] == 336
    # max: 2 replicas, one in the block, one on-demand on the cheapest priced fitting type (p5.48xlarge)
    assert result["total_monthly_usd"]["max"] == pytest.approx(336 * 31.5 + 730 * 55.04 + 2 * 300 * 0.08, abs=0.05)


def test_interface_endpoint_zones_cannot_exceed_the_zones():
    from infra.config import ConfigError, load_config, read_stack_file
    from tests.support.paths import REPO_ROOT

    raw = read_stack_file(REPO_ROOT / "stacks" / "Pulumi.dev.yaml")
    raw["llm-platform:network"]["interfaceEndpointZones"] = 4
    with pytest.raises(ConfigError, match=r"llm-platform:network: .*interfaceEndpointZones 4 is more than azCount 3"):
        load_config(raw, "stacks/Pulumi.t.yaml")
