"""`llmctl cost estimate`: published prices, scenario order, spot saving, $/1M tokens."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from llmctl.cli import app
from llmctl.cost.capacity import capacity, quantity
from llmctl.cost.estimate import Assumptions, estimate
from llmctl.cost.prices import PriceError, pinned
from tests.conftest import synthesized
from tests.cost.builders import platform, scaled_object, vllm_deployment
from tests.support.paths import REPO_ROOT, STACKS

A = Assumptions(spot_discount_pct=60, spot_share_pct=90, nat_data_gb_per_month=100, nlb_lcus=1)
REQUIRED_KEYS = {"stack", "region", "prices_as_of", "items", "total_monthly_usd", "fixed_monthly_usd", "savings_vs_on_demand_pct", "assumptions"}


def run(inventory, cfg=None, assumptions=A):
    cap = capacity(inventory, cfg)
    return estimate(cap, pinned(cap.region), assumptions)


def item(result, prefix):
    matches = [i for i in result["items"] if i["item"].startswith(prefix)]
    assert matches, f"no item {prefix!r} in {[i['item'] for i in result['items']]}"
    return matches


def test_json_shape_is_exact_and_items_multiply_out():
    result = run(platform(["spot", "on-demand"]))
    assert set(result) >= REQUIRED_KEYS
    assert set(result["total_monthly_usd"]) == {"min", "expected", "max"}
    for row in result["items"]:
        assert set(row) == {"item", "category", "quantity", "unit_usd", "monthly_usd"}
        assert row["monthly_usd"] == pytest.approx(row["quantity"] * row["unit_usd"], abs=0.02)
        assert row["category"] == ("gpu" if row["item"].startswith(("GPU ", "Reserved ")) else "fixed")
    assert result["total_monthly_usd"]["expected"] == pytest.approx(sum(i["monthly_usd"] for i in result["items"]), abs=0.05)


def test_fixed_costs_use_published_hourly_prices():
    result = run(platform(["spot", "on-demand"]))
    assert item(result, "EKS control plane")[0] == {"item": "EKS control plane (1 x 730 h)", "category": "fixed", "quantity": 730, "unit_usd": 0.1, "monthly_usd": 73.0}
    nat = item(result, "NAT gateways")[0]
    assert (nat["quantity"], nat["unit_usd"], nat["monthly_usd"]) == (3 * 730, 0.045, 98.55)
    data = item(result, "NAT data processing")[0]
    assert (data["quantity"], data["unit_usd"]) == (100, 0.045)
    endpoints = item(result, "Interface VPC endpoints")[0]  # 2 interface endpoints x 3 AZs; the gateway endpoint is free
    assert (endpoints["quantity"], endpoints["unit_usd"], endpoints["monthly_usd"]) == (6 * 730, 0.01, 43.8)
    nlb = item(result, "NLB (")[0]  # the gateway's one EnvoyProxy: one NLB
    assert (nlb["quantity"], nlb["unit_usd"]) == (730, 0.0225)
    nlcu = item(result, "NLB NLCUs")[0]
    assert (nlcu["item"], nlcu["quantity"], nlcu["unit_usd"]) == ("NLB NLCUs (assumed 1 NLCU x 1 NLB x 730 h)", 730, 0.006)
    assert not [i for i in result["items"] if "ALB" in i["item"]]  # the ALB Ingress path is gone
    system = item(result, "System nodes system")[0]
    assert (system["quantity"], system["unit_usd"]) == (2 * 730, 0.1008)  # first listed type, desired size


def test_gpu_replica_priced_on_cheapest_fitting_type_with_spot_mix():
    result = run(platform(["spot", "on-demand"]))
    spot, on_demand = item(result, "GPU chat/blue (")
    # 4 vCPU requested does not fit a 4-vCPU xlarge once the kubelet's share is kept: 2xlarge.
    assert "g6.2xlarge spot, 90%" in spot["item"] and spot["unit_usd"] == pytest.approx(0.9776 * 0.4, abs=1e-5)
    assert "g6.2xlarge on-demand, 10%" in on_demand["item"] and on_demand["unit_usd"] == 0.9776
    assert spot["quantity"] == pytest.approx(730 * 0.9) and on_demand["quantity"] == pytest.approx(730 * 0.1)
    volumes = item(result, "GPU chat/blue node volumes")[0]
    assert volumes["quantity"] == 204 and volumes["unit_usd"] == 0.08  # the EC2NodeClass root (4Gi) + data (200Gi) volumes


def test_scenarios_are_ordered_and_defined():
    inv = platform(["spot", "on-demand"], low=0, high=3)
    result = run(inv)
    totals = result["total_monthly_usd"]
    assert totals["min"] <= totals["expected"] <= totals["max"]
    fixed = sum(i["monthly_usd"] for i in result["items"] if not i["item"].startswith(("GPU", "System node")))
    system_min = 2 * 730 * 0.1008 + 2 * 50 * 0.08
    assert totals["min"] == pytest.approx(fixed + system_min, abs=0.05)  # min replicas 0: no GPU at all
    gpu_max = 3 * 730 * 0.9776 + 3 * 204 * 0.08  # 3 replicas, all on-demand
    system_max = 3 * 730 * 0.1008 + 3 * 50 * 0.08
    assert totals["max"] == pytest.approx(fixed + system_max + gpu_max, abs=0.05)


def test_spot_stack_reports_saving_and_on_demand_stack_none():
    spot = run(platform(["spot"]))
    assert spot["savings_vs_on_demand_pct"] > 0
    gpu = item(spot, "GPU chat/blue (")
    assert len(gpu) == 1 and "spot, 100%" in gpu[0]["item"]
    on_demand = run(platform(["on-demand"]))
    assert on_demand["savings_vs_on_demand_pct"] == 0
    assert spot["total_monthly_usd"]["expected"] < on_demand["total_monthly_usd"]["expected"]
    assert spot["total_monthly_usd"]["max"] == on_demand["total_monthly_usd"]["max"]  # max is all on-demand by definition


def test_per_slot_cost_per_million_output_tokens():
    result = run(platform(["spot"]))
    (row,) = result["per_slot"]
    assert (row["endpoint"], row["slot"], row["instance_type"]) == ("chat", "blue", "g6.2xlarge")
    hourly = 0.9776 * 0.4
    assert row["hourly_usd_per_replica"] == pytest.approx(hourly, abs=1e-4)
    assert row["usd_per_1m_output_tokens"] == pytest.approx(hourly / (800 * 3600) * 1e6, abs=1e-4)


def test_multi_gpu_replica_needs_a_multi_gpu_node():
    inv = platform(["on-demand"], low=1, high=1, extra=[])
    inv.resources = [r for r in inv.resources if r.type not in ("kubernetes:apps/v1:Deployment", "kubernetes:keda.sh/v1alpha1:ScaledObject")]
    inv.resources += [vllm_deployment("big", "blue", "gpu", gpus=4, cpu="40", memory="160Gi"), scaled_object("big", "blue", 1, 1)]
    pools = inv.of_type("kubernetes:karpenter.sh/v1:NodePool")
    assert pools
    for pool in pools:
        pool.inputs["spec"]["template"]["spec"]["requirements"][1]["values"] = ["xlarge", "12xlarge", "24xlarge"]
    (row,) = run(inv)["per_slot"]
    assert row["instance_type"] == "g6.12xlarge"  # 4 L4, 48 vCPU, 192 GiB: the cheapest 4-GPU fit


def test_live_spot_prices_replace_the_discount_assumption():
    cap = capacity(platform(["spot"]))
    prices = pinned("us-west-2")
    from dataclasses import replace

    live = replace(prices, spot={"g6.2xlarge": 0.30, "g5.2xlarge": 0.25})
    (row,) = estimate(cap, live, A)["per_slot"]
    assert (row["instance_type"], row["hourly_usd_per_replica"]) == ("g5.2xlarge", 0.25)


def test_unknown_pool_and_unpriced_region_fail_with_one_line():
    inv = platform(["spot"])
    inv.resources.append(vllm_deployment("x", "blue", "missing-pool"))
    with pytest.raises(PriceError, match=r"x/blue: its pool 'missing-pool' is not in the stack"):
        run(inv)
    with pytest.raises(PriceError, match=r"no pinned prices for region ap-south-1"):
        pinned("ap-south-1")


@pytest.mark.parametrize("text, value", [("4", 4), ("500m", 0.5), ("28Gi", 28 * 2**30), ("30G", 30e9), (2, 2)])
def test_kubernetes_quantities(text, value):
    assert quantity(text) == pytest.approx(value)


# ---- the real stacks ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def estimates(configs):
    return {s: run(synthesized(s), configs[s], Assumptions.from_config(configs[s].cost)) for s in STACKS}


def test_real_stacks_order_and_prod_costs_more(estimates):
    for stack, result in estimates.items():
        totals = result["total_monthly_usd"]
        assert 0 < totals["min"] <= totals["expected"] <= totals["max"], stack
        assert result["stack"] == stack
    assert estimates["prod"]["total_monthly_usd"]["expected"] > estimates["staging"]["total_monthly_usd"]["expected"]
    assert estimates["prod"]["total_monthly_usd"]["expected"] > estimates["dev"]["total_monthly_usd"]["expected"]


def test_real_stacks_price_control_plane_nat_and_endpoints(estimates, configs):
    for stack, result in estimates.items():
        region_nat = pinned(configs[stack].region).nat_gateway_hour
        assert item(result, "EKS control plane")[0]["unit_usd"] == 0.10
        nat = item(result, "NAT gateways")[0]
        expected_nats = 1 if configs[stack].network.nat_gateways == "single" else configs[stack].network.az_count
        assert (nat["quantity"], nat["unit_usd"]) == (expected_nats * 730, region_nat)
        assert item(result, "Interface VPC endpoints")[0]["unit_usd"] == pinned(configs[stack].region).interface_endpoint_az_hour


def test_real_spot_stacks_report_a_saving(estimates):
    for stack in STACKS:  # every stack runs its serving GPUs on spot-capable pools
        assert estimates[stack]["savings_vs_on_demand_pct"] > 0, stack
    assert all(row["usd_per_1m_output_tokens"] > 0 for row in estimates["prod"]["per_slot"])


def test_cli_prices_an_inventory_file(tmp_path):
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(synthesized("dev").to_json()))
    result = CliRunner().invoke(app, ["cost", "estimate", "--inventory", str(path), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert set(doc) >= REQUIRED_KEYS and doc["stack"] == "dev" and doc["region"] == "us-west-2"


def test_cli_needs_exactly_one_source():
    result = CliRunner().invoke(app, ["cost", "estimate"])
    assert result.exit_code == 2 and "give a STACK or --inventory FILE" in result.output


def test_cli_live_without_credentials_falls_back_to_the_pinned_table(tmp_path, monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(synthesized("dev").to_json()))
    result = CliRunner().invoke(app, ["cost", "estimate", "--inventory", str(path), "--json", "--live"])
    assert result.exit_code == 0
    assert "no AWS credentials found" in result.stderr
    assert json.loads(result.stdout)["prices_as_of"] == pinned("us-west-2").as_of


def test_repo_root_is_where_stacks_live():
    assert (REPO_ROOT / "stacks" / "Pulumi.dev.yaml").is_file()


def test_cli_inventory_of_an_unknown_stack_uses_its_exported_region_and_default_assumptions(tmp_path):
    doc = synthesized("prod").to_json()
    doc["stack"] = "elsewhere"  # no stacks/Pulumi.elsewhere.yaml: no config to lean on
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(doc))
    result = CliRunner().invoke(app, ["cost", "estimate", "--inventory", str(path), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert (out["stack"], out["region"]) == ("elsewhere", "us-east-1")
    assert out["assumptions"]["spot_discount_pct"] == Assumptions().spot_discount_pct
    assert out["total_monthly_usd"]["expected"] > 0


def test_cli_live_falls_back_when_the_pricing_api_is_unavailable(moto_server, tmp_path):
    path = tmp_path / "inventory.json"
    path.write_text(json.dumps(synthesized("dev").to_json()))
    result = CliRunner().invoke(app, ["cost", "estimate", "--inventory", str(path), "--json", "--live"])
    assert result.exit_code == 0, result.output
    assert "warning: --live:" in result.stderr and "using the pinned price table" in result.stderr  # moto has no Pricing API
    stdout = result.stdout[result.stdout.index("{"):]  # moto_server runs in-process and prints its own complaints
    assert json.loads(stdout)["prices_as_of"] == pinned("us-west-2").as_of


def test_a_paused_idle_slot_costs_nothing_even_at_max():
    extra = [vllm_deployment("chat", "green", "gpu"), scaled_object("chat", "green", 0, 1, paused=0)]
    with_paused = run(platform(["spot"], extra=extra))
    without = run(platform(["spot"]))
    assert with_paused["total_monthly_usd"] == without["total_monthly_usd"]
    (green,) = [r for r in with_paused["per_slot"] if r["slot"] == "green"]
    assert green["replicas"] == {"min": 0, "expected": 0, "max": 0}


def test_real_stacks_are_read_from_the_rendered_serving_objects(estimates, configs):
    for stack, result in estimates.items():
        live = {(r["endpoint"], r["slot"]) for r in result["per_slot"] if r["live"]}
        cfg = configs[stack]
        assert live == {(name, ep.live_slot()) for name, ep in cfg.endpoints.items()}
    chat = next(r for r in estimates["prod"]["per_slot"] if (r["endpoint"], r["slot"]) == ("chat", "blue"))
    assert chat["replicas"]["min"] == 2 and chat["replicas"]["max"] == 6 and chat["gpus_per_replica"] == 4
    assert chat["instance_type"] in configs["prod"].gpu.pool("gpu-spot").instance_types


@pytest.mark.parametrize("stack", STACKS)
def test_the_quota_store_is_its_own_line(stack, configs):
    """ElastiCache nodes of the gateway's quota store: one in staging, a multi-AZ pair in prod, none
    for dev's in-cluster Valkey (its pod runs on the system nodes already priced)."""
    result = run(synthesized(stack), configs[stack])
    lines = [i for i in result["items"] if i["item"].startswith("ElastiCache Valkey quota store")]
    nodes = {"dev": 0, "staging": 1, "prod": 2}[stack]
    assert (configs[stack].gateway.rate_limit_store.kind == "elasticache") == (nodes > 0)
    if not nodes:
        assert lines == []
        return
    assert lines == [{"item": f"ElastiCache Valkey quota store ({nodes} x cache.t4g.micro x 730 h)", "category": "fixed",
                      "quantity": nodes * 730, "unit_usd": 0.0128, "monthly_usd": round(nodes * 730 * 0.0128, 2)}]


def test_an_unpriced_store_node_type_is_a_price_error(configs):
    cap = capacity(synthesized("prod"), configs["prod"])
    cap.cache_nodes = {"cache.r7g.16xlarge": 2}
    with pytest.raises(PriceError, match=r"^no ElastiCache for Valkey price for cache.r7g.16xlarge in us-east-1; add it to components/cost/prices.json$"):
        estimate(cap, pinned(cap.region), A)
