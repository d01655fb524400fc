"""Invariants of GPU capacity over every synthesized stack (the real program under mocks)."""

from __future__ import annotations

import pytest

from components.catalog import availability_zones
from components.gpu_pools.attribution import plan_node_pools
from components.karpenter import versions
from infra.config import load_stack
from llmctl.synth.mocks import MOCK_ACCOUNT
from tests.conftest import synthesized
from tests.support.manifests import crd_errors
from tests.support.paths import REPO_ROOT, STACKS


def _objects(stack: str, *kinds: str) -> list[dict]:
    return [obj for _, obj in synthesized(stack).kubernetes_objects() if obj["kind"] in kinds]


def _requirement(node_pool: dict, key: str) -> list[str]:
    reqs = node_pool["spec"]["template"]["spec"]["requirements"]
    return next(r["values"] for r in reqs if r["key"] == key)


@pytest.mark.parametrize("stack", STACKS)
def test_every_node_pool_and_node_class_validates_against_the_upstream_crds(stack):
    monitors = [o for o in _objects(stack, "ServiceMonitor") if o["metadata"]["name"] == "dcgm-exporter"]
    objects = _objects(stack, "NodePool", "EC2NodeClass") + monitors
    assert {o["kind"] for o in objects} == {"NodePool", "EC2NodeClass", "ServiceMonitor"}
    for obj in objects:
        assert crd_errors(obj) == [], (stack, obj["kind"], obj["metadata"]["name"])


@pytest.mark.parametrize("stack", STACKS)
def test_gpu_pools_are_tainted_gpu_limited_and_allow_spot(stack):
    cfg = load_stack(stack, REPO_ROOT)
    pools = {o["metadata"]["name"]: o for o in _objects(stack, "NodePool")}
    plans = {p.name: p for p in plan_node_pools(list(cfg.gpu.pools), cfg.endpoints, cfg.teams, cfg.tags)}
    assert pools and set(pools) == set(plans)
    for name, node_pool in pools.items():
        spec = node_pool["spec"]
        base = cfg.gpu.pool(node_pool["metadata"]["labels"]["pool"])
        assert {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"} in spec["template"]["spec"]["taints"], name
        assert 0 < int(spec["limits"]["nvidia.com/gpu"]) == plans[name].gpu_limit <= base.gpu_limit
        assert spec["template"]["spec"]["nodeClassRef"]["name"] == name
        assert _requirement(node_pool, "karpenter.k8s.aws/instance-gpu-count") == ["0"]
        assert _requirement(node_pool, "topology.kubernetes.io/zone") == availability_zones(cfg.region, cfg.network.az_count)
    for base in cfg.gpu.pools:  # the shared definition's limit still bounds all its NodePools together
        derived = [int(p["spec"]["limits"]["nvidia.com/gpu"]) for p in pools.values() if p["metadata"]["labels"]["pool"] == base.name]
        assert sum(derived) <= base.gpu_limit, base.name
    spot = [n for n, p in pools.items() if "spot" in _requirement(p, "karpenter.sh/capacity-type")]
    assert spot, f"{stack}: no pool may launch spot"
    if stack == "prod":
        for name, node_pool in pools.items():
            assert {"on-demand", "reserved"} & set(_requirement(node_pool, "karpenter.sh/capacity-type")), name


@pytest.mark.parametrize("stack", STACKS)
def test_node_classes_require_imdsv2_encrypt_every_volume_and_carry_cost_tags(stack):
    cfg = load_stack(stack, REPO_ROOT)
    node_classes = _objects(stack, "EC2NodeClass")
    assert node_classes
    for node_class in node_classes:
        spec = node_class["spec"]
        assert spec["metadataOptions"]["httpTokens"] == "required"
        assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
        assert spec["blockDeviceMappings"] and all(d["ebs"]["encrypted"] is True for d in spec["blockDeviceMappings"])
        for key in ("project", "environment", "cost-center"):
            assert spec["tags"][key] == cfg.tags[key], (node_class["metadata"]["name"], key)
        assert spec["tags"]["pool"] == node_class["metadata"]["labels"]["pool"]
        assert "latest" not in spec["amiSelectorTerms"][0]["alias"]
        assert spec["role"] == f"llm-platform-{stack}-karpenter-node"


@pytest.mark.parametrize("stack", STACKS)
def test_every_gpu_node_serving_an_endpoint_bills_to_its_team_and_model(stack):
    """Must show: each slot's pods select a NodePool whose node class tags instances and volumes
    with that slot's team, model and endpoint; no NodePool serves two teams."""
    cfg = load_stack(stack, REPO_ROOT)
    classes = {o["metadata"]["name"]: o["spec"]["tags"] for o in _objects(stack, "EC2NodeClass")}
    pools = {o["metadata"]["name"]: o for o in _objects(stack, "NodePool")}
    served: dict[str, set[str]] = {}
    deployments = [d for d in _objects(stack, "Deployment") if d["metadata"]["labels"].get("app.kubernetes.io/name") == "vllm"]
    assert deployments
    for deployment in deployments:
        labels = deployment["metadata"]["labels"]
        node_pool = deployment["spec"]["template"]["spec"]["nodeSelector"]["karpenter.sh/nodepool"]
        endpoint = next(e for e, ep in cfg.endpoints.items() if deployment["metadata"]["namespace"] == f"llm-{e}")
        slot = next(s for s in ("blue", "green") if deployment["metadata"]["name"] == f"{endpoint}-{s}")
        tags = classes[pools[node_pool]["spec"]["template"]["spec"]["nodeClassRef"]["name"]]
        model = getattr(cfg.endpoints[endpoint].slots, slot).model
        assert (tags["team"], tags["model"], tags["endpoint"]) == (cfg.endpoints[endpoint].team, model, endpoint), deployment["metadata"]
        assert labels["team"] == tags["team"]
        served.setdefault(node_pool, set()).add(tags["team"])
    shared = {p.name for p in cfg.gpu.pools if p.shared_nodes}
    assert all(len(teams) == 1 for name, teams in served.items() if name not in shared), served


@pytest.mark.parametrize("stack", STACKS)
def test_team_gpu_limits_bound_the_teams_node_pools(stack):
    cfg = load_stack(stack, REPO_ROOT)
    limited = {t: c.gpu_limit for t, c in cfg.teams.items() if c.gpu_limit is not None}
    classes = {o["metadata"]["name"]: o["spec"]["tags"] for o in _objects(stack, "EC2NodeClass")}
    for team, limit in limited.items():
        own = [int(p["spec"]["limits"]["nvidia.com/gpu"]) for p in _objects(stack, "NodePool")
               if classes[p["spec"]["template"]["spec"]["nodeClassRef"]["name"]].get("team") == team]
        assert own and sum(own) <= limit, (team, own, limit)


@pytest.mark.parametrize("stack", STACKS)
def test_karpenter_is_wired_to_the_stack(stack):
    inventory = synthesized(stack)
    cluster = f"llm-platform-{stack}"
    (queue,) = inventory.of_type("aws:sqs/queue:Queue")
    assert queue.inputs["name"] == cluster
    rules = inventory.of_type("aws:cloudwatch/eventRule:EventRule")
    targets = inventory.of_type("aws:cloudwatch/eventTarget:EventTarget")
    assert len([r for r in rules if "karpenter" in r.name]) == 5
    assert len([t for t in targets if "karpenter" in t.name]) == 5
    assoc = [a for a in inventory.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation") if a.inputs["serviceAccount"] == "karpenter"]
    assert len(assoc) == 1 and assoc[0].inputs["clusterName"] == cluster
    release = next(r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs.get("name") == "karpenter")
    assert release.inputs["version"] == versions.VERSION
    assert release.inputs["values"]["settings"] == {"clusterName": cluster, "interruptionQueue": cluster, "featureGates": {"reservedCapacity": True, "nodeRepair": True}}
    assert release.inputs["values"]["nodeSelector"]["node-role"] == "system"
    (component,) = [r for r in inventory.resources if r.type == "llm-platform:boundary:Boundary"]
    policies = {r.inputs["name"].rsplit("-", 2)[-2]: r for r in inventory.children_of(component.urn) if r.type == "aws:iam/policy:Policy"}
    roles = {r.name.rsplit("-", 1)[-1]: r for r in inventory.of_type("aws:iam/role:Role") if "karpenter" in r.name}
    assert set(roles) == {"node", "controller"} and set(policies) == {"workload", "controller"}
    for role, kind in (("node", "workload"), ("controller", "controller")):
        assert roles[role].inputs["permissionsBoundary"] == f"arn:aws:iam::{MOCK_ACCOUNT}:policy/{policies[kind].inputs['name']}"


@pytest.mark.parametrize("stack", STACKS)
def test_dcgm_exporter_is_deployed_on_every_gpu_pool(stack):
    cfg = load_stack(stack, REPO_ROOT)
    release = next(r for r in synthesized(stack).of_type("kubernetes:helm.sh/v3:Release") if r.inputs.get("name") == "dcgm-exporter")
    affinity = release.inputs["values"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert affinity["nodeSelectorTerms"][0]["matchExpressions"][0]["values"] == [p.name for p in cfg.gpu.pools]
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in release.inputs["values"]["tolerations"]


@pytest.mark.parametrize("stack", STACKS)
def test_node_class_selectors_find_exactly_the_private_subnets_and_a_security_group(stack):
    cfg = load_stack(stack, REPO_ROOT)
    inventory = synthesized(stack)
    (node_class, *_) = _objects(stack, "EC2NodeClass")
    wanted = node_class["spec"]["subnetSelectorTerms"][0]["tags"]
    assert wanted == node_class["spec"]["securityGroupSelectorTerms"][0]["tags"]
    (key, value), = wanted.items()
    subnets = [r for r in inventory.of_type("aws:ec2/subnet:Subnet") if (r.inputs.get("tags") or {}).get(key) == value]
    assert len(subnets) == cfg.network.az_count
    assert all(not r.inputs.get("mapPublicIpOnLaunch") for r in subnets)
    assert {r.inputs["availabilityZone"] for r in subnets} == set(availability_zones(cfg.region, cfg.network.az_count))
    groups = [r for r in inventory.of_type("aws:ec2/securityGroup:SecurityGroup") if (r.inputs.get("tags") or {}).get(key) == value]
    tagged = [r for r in inventory.of_type("aws:ec2/tag:Tag") if r.inputs["key"] == key and r.inputs["value"] == value]
    assert groups or tagged
