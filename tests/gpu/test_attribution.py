"""Per-slot NodePools: tags, limits split under team and pool limits, reservations, config errors."""

from __future__ import annotations

import pytest
import yaml
from typer.testing import CliRunner

from components.gpu_pools.attribution import plan_node_pools, problems, shared_plan, slot_limits
from components.gpu_pools.manifests import ec2_node_class, node_pool
from infra.config import ConfigError, load_config
from llmctl.cli import app
from tests.gpu.helpers import CLUSTER, TAGS, pool
from tests.support.manifests import crd_errors
from tests.support.stack_config import SOURCE, stack_raw

ZONES = ["us-east-1a", "us-east-1b"]
P5E = {"id": "cr-0abc123def4567890", "instanceType": "p5e.48xlarge", "count": 2, "type": "capacity-block",
       "start": "2026-12-01T11:30:00Z", "end": "2026-12-15T11:30:00Z", "hourlyUsd": 31.464}


def _raw(stack: str = "prod") -> dict:
    return stack_raw(stack)


def _cfg(raw: dict):
    return load_config(raw, SOURCE)


def _plans(cfg):
    return plan_node_pools(list(cfg.gpu.pools), cfg.endpoints, cfg.teams, cfg.tags)


def test_each_slot_gets_its_own_node_pool_tagged_with_team_model_and_endpoint():
    cfg = _cfg(_raw())
    plans = {p.name: p for p in _plans(cfg)}
    assert set(plans) == {"gpu-spot-chat-blue", "gpu-spot-chat-green", "gpu-spot-code-blue", "gpu-on-demand-embed-blue"}
    code = plans["gpu-spot-code-blue"]
    assert code.tags == {
        **cfg.tags, "team": "dev-productivity", "owner": "dev-productivity@example.com",
        "model": "Qwen/Qwen2.5-Coder-32B-Instruct-AWQ", "endpoint": "code", "slot": "blue", "pool": "gpu-spot",
    }
    doc = ec2_node_class(code, CLUSTER, "role")
    assert doc["metadata"]["name"] == "gpu-spot-code-blue" and doc["spec"]["tags"] == code.tags
    assert node_pool(code, ZONES)["spec"]["template"]["spec"]["nodeClassRef"]["name"] == "gpu-spot-code-blue"


def test_blue_and_green_serving_different_models_bill_to_different_models():
    raw = _raw()
    raw["llm-platform:endpoints"]["chat"]["slots"]["green"]["model"] = "meta-llama/Llama-3.3-70B-Instruct"
    plans = {p.name: p for p in _plans(_cfg(raw))}
    assert plans["gpu-spot-chat-blue"].tags["model"] == "meta-llama/Llama-3.1-70B-Instruct"
    assert plans["gpu-spot-chat-green"].tags["model"] == "meta-llama/Llama-3.3-70B-Instruct"


def test_limits_split_the_pool_limit_floor_first_in_whole_replicas():
    cfg = _cfg(_raw())
    limits = slot_limits(list(cfg.gpu.pools), cfg.endpoints, cfg.teams)
    # gpu-spot (48): floors chat/blue 8, code/blue 2; headroom 38 shared by what each may still add
    # ((max + 1 surge) x gpus - floor: chat/blue 28-8, chat/green 28-0, code/blue 5-2) in whole
    # replicas (12, 16, 2), then the 8 left over a replica at a time (chat/green +4, chat/blue +4).
    assert limits == {("chat", "blue"): 24, ("chat", "green"): 20, ("code", "blue"): 4, ("embed", "blue"): 4}
    assert sum(v for (e, _), v in limits.items() if e != "embed") <= 48


def test_team_gpu_limit_binds_the_teams_node_pools_together():
    raw = _raw()
    raw["llm-platform:teams"]["applied-ai"]["gpuLimit"] = 24
    cfg = _cfg(raw)
    plans = [p for p in _plans(cfg) if p.team == "applied-ai"]
    assert [p.gpu_limit for p in plans] == [12, 12]  # floor 8 + 4 and 0 + 8 + 4 left over: 24 in all
    assert sum(p.gpu_limit for p in plans) <= 24
    assert all(node_pool(p, ZONES)["spec"]["limits"]["nvidia.com/gpu"] == str(p.gpu_limit) for p in plans)


def test_team_minimums_over_the_team_limit_is_one_clear_line():
    raw = _raw()
    raw["llm-platform:teams"]["applied-ai"]["gpuLimit"] = 6
    with pytest.raises(ConfigError) as info:
        _cfg(raw)
    assert str(info.value) == (
        "stacks/Pulumi.t.yaml: llm-platform:teams.applied-ai.gpuLimit: 6: the team's endpoints need 8 GPU(s) at their minimum replicas "
        "(gpus x replicas.min of every slot with a model); raise gpuLimit to >= 8 or lower replicas.min"
    )


def test_team_minimums_over_the_limit_exit_2_from_the_cli(tmp_path, monkeypatch):
    raw = _raw()
    raw["llm-platform:teams"]["applied-ai"]["gpuLimit"] = 6
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: llm-platform\nruntime: python\n")
    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(yaml.safe_dump({"config": raw}))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["synth", "t", "--out", str(tmp_path / "build")])
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "llm-platform:teams.applied-ai.gpuLimit: 6: the team's endpoints need 8 GPU(s)" in lines[0]
    assert "Traceback" not in result.output


def test_a_limit_below_one_replica_is_refused():
    raw = _raw()
    raw["llm-platform:teams"]["applied-ai"]["gpuLimit"] = 10  # chat/green would get 0 + 2 < 4 GPUs per replica
    with pytest.raises(ConfigError, match=r"teams\.applied-ai\.gpuLimit: 10: leaves endpoints\.chat\.slots\.green a NodePool limit of 0 GPU\(s\), below one replica \(4\)"):
        _cfg(raw)


def test_shared_nodes_is_the_only_way_two_teams_share_a_node_pool():
    raw = _raw("staging")
    raw["llm-platform:gpu"]["pools"][0]["sharedNodes"] = True
    for team in raw["llm-platform:teams"].values():
        team.pop("gpuLimit", None)
    cfg = _cfg(raw)
    (plan,) = _plans(cfg)
    assert plan.name == "gpu-general" and plan.team is None and plan.tags == {**cfg.tags, "pool": "gpu-general"}
    raw["llm-platform:teams"]["applied-ai"]["gpuLimit"] = 8
    with pytest.raises(ConfigError, match=r"teams\.applied-ai\.gpuLimit: 8: endpoint chat runs on a pool with sharedNodes: true"):
        _cfg(raw)


def test_node_pool_names_must_fit_the_label_limit():
    found = problems([pool(name="a" * 40)], {}, {})
    assert found == []
    raw = _raw("dev")
    raw["llm-platform:gpu"]["pools"][0]["name"] = "gpu-spot-" + "x" * 33  # 42, the longest pool name
    raw["llm-platform:endpoints"]["chat-assistant-x"] = raw["llm-platform:endpoints"].pop("chat")
    raw["llm-platform:endpoints"]["chat-assistant-x"]["pool"] = "gpu-spot-" + "x" * 33
    with pytest.raises(ConfigError, match=r"endpoints\.chat-assistant-x\.pool: 'gpu-spot-x+': NodePool 'gpu-spot-x+-chat-assistant-x-blue' \(<pool>-<endpoint>-<slot>\) is 64 characters; at most 63"):
        _cfg(raw)


# ---- reserved capacity -------------------------------------------------------------------------

def test_reserved_pool_renders_valid_karpenter_objects_with_the_reserved_capacity_type():
    p = pool(name="h200", families=["p5e"], capacityTypes=["reserved"], capacityReservations=[P5E], gpuLimit=16)
    plan = shared_plan(p, TAGS)
    node_class, node_pool_doc = ec2_node_class(plan, CLUSTER, "role"), node_pool(plan, ZONES)
    assert node_class["spec"]["capacityReservationSelectorTerms"] == [{"id": "cr-0abc123def4567890"}]
    reqs = {r["key"]: r["values"] for r in node_pool_doc["spec"]["template"]["spec"]["requirements"]}
    assert reqs["karpenter.sh/capacity-type"] == ["reserved"]
    assert crd_errors(node_class) == [] and crd_errors(node_pool_doc) == []


def test_reservations_selected_by_tags_with_spot_and_on_demand_fallback():
    by_tags = {"tags": {"purpose": "llm"}, "ownerId": "444455556666", "instanceType": "g6e.12xlarge", "count": 1}
    p = pool(families=["g6e", "g6"], capacityTypes=["spot", "reserved", "on-demand"], capacityReservations=[by_tags])
    plan = shared_plan(p, TAGS)
    node_class = ec2_node_class(plan, CLUSTER, "role")
    assert node_class["spec"]["capacityReservationSelectorTerms"] == [{"tags": {"purpose": "llm"}, "ownerID": "444455556666"}]
    assert crd_errors(node_class) == [] and crd_errors(node_pool(plan, ZONES)) == []


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"families": ["p5e"], "capacityTypes": ["spot"]}, r"instance family 'p5e' cannot be launched by a Karpenter NodePool without a capacity reservation"),
        ({"families": ["p5e"], "capacityTypes": ["reserved", "on-demand"], "capacityReservations": [P5E]}, r"families \['p5e'\] launch only into reservations: set capacityTypes: \[reserved\]"),
        ({"capacityTypes": ["spot", "reserved"]}, r"capacity type reserved and capacityReservations go together"),
        ({"capacityReservations": [{**P5E, "instanceType": "g6.xlarge", "type": "default"}]}, r"capacity type reserved and capacityReservations go together"),
        ({"capacityTypes": ["spot", "reserved"], "capacityReservations": [{**P5E, "instanceType": "p5.48xlarge", "type": "default"}]},
         r"capacityReservations\[0\]\.instanceType p5\.48xlarge is not one of the pool's instance types"),
        ({"families": ["p5e"], "capacityTypes": ["reserved"], "capacityReservations": [{**P5E, "end": None}]}, r"a capacity-block reservation needs end"),
        ({"families": ["p5e"], "capacityTypes": ["reserved"], "capacityReservations": [{**P5E, "tags": {"a": "b"}}]}, r"give exactly one of id \(cr-\.\.\.\) or tags"),
    ],
)
def test_bad_reservation_settings_are_refused(changes, expected):
    raw = _raw("prod")
    raw["llm-platform:gpu"]["pools"][1].update({"allowShallowSpot": True, **changes})
    with pytest.raises(ConfigError, match=expected):
        _cfg(raw)


def test_a_p5e_pool_with_a_reservation_is_accepted_in_a_stack():
    raw = _raw("prod")
    raw["llm-platform:gpu"]["pools"].append(
        {"name": "h200", "families": ["p5e"], "capacityTypes": ["reserved"], "capacityReservations": [P5E], "gpuLimit": 16}
    )
    raw["llm-platform:endpoints"]["embed"]["pool"] = "h200"
    cfg = _cfg(raw)
    (plan,) = [p for p in _plans(cfg) if p.pool.name == "h200"]
    assert plan.name == "h200-embed-blue" and plan.tags["team"] == "search"
    assert node_pool(plan, ZONES)["spec"]["template"]["spec"]["requirements"][-1]["values"] == ["reserved"]
