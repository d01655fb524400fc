"""GPU pools: rendered EC2NodeClass/NodePool documents, their CRD validity and invariants."""

from __future__ import annotations

import pytest

from components.gpu_pools.attribution import shared_plan
from components.gpu_pools.manifests import derived_limits, ec2_node_class, node_pool, pool_manifests
from components.gpu_pools.versions import AMI_VERSIONS
from tests.gpu.helpers import CLUSTER, TAGS, pool, pools_inventory
from tests.support.manifests import crd_errors

ZONES = ["us-west-2a", "us-west-2b", "us-west-2c"]
VARIANTS = {
    "default": {},
    "al2023-on-demand": {"ami": "al2023", "capacityTypes": ["on-demand"]},
    "underutilized-no-pause": {"consolidationPolicy": "WhenEmptyOrUnderutilized", "businessHoursSchedule": None},
    "explicit-limits": {"cpuLimit": 64, "memoryLimitGib": 512, "sizes": ["xlarge", "2xlarge", "12xlarge"]},
    "staged-ami": {"amiVersion": "v1.64.0", "expireAfter": "Never", "terminationGracePeriod": "30m"},
}


def _docs(**overrides):
    p = pool(**overrides)
    plan = shared_plan(p, TAGS)
    return ec2_node_class(plan, CLUSTER, f"{CLUSTER}-karpenter-node"), node_pool(plan, ZONES)


@pytest.mark.parametrize("variant", VARIANTS)
def test_rendered_documents_validate_against_the_upstream_crds(variant):
    for doc in _docs(**VARIANTS[variant]):
        assert crd_errors(doc) == [], (variant, doc["kind"])


def test_node_class_secures_metadata_and_volumes_and_carries_cost_tags():
    node_class, _ = _docs()
    spec = node_class["spec"]
    assert spec["metadataOptions"]["httpTokens"] == "required"
    assert spec["metadataOptions"]["httpPutResponseHopLimit"] == 1
    assert spec["associatePublicIPAddress"] is False
    assert spec["tags"] == {**TAGS, "pool": "gpu"}
    assert spec["role"] == f"{CLUSTER}-karpenter-node"
    assert spec["subnetSelectorTerms"] == spec["securityGroupSelectorTerms"] == [{"tags": {"karpenter.sh/discovery": CLUSTER}}]
    assert spec["instanceStorePolicy"] == "RAID0"


def test_bottlerocket_has_os_and_data_volumes_al2023_one_root():
    br, _ = _docs()
    al, _ = _docs(ami="al2023", dataVolumeGib=500, dataVolumeIops=8000, dataVolumeThroughput=1000)
    assert [d["deviceName"] for d in br["spec"]["blockDeviceMappings"]] == ["/dev/xvda", "/dev/xvdb"]
    assert br["spec"]["blockDeviceMappings"][1]["ebs"] == {
        "volumeSize": "300Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True, "iops": 6000, "throughput": 500,
    }
    assert al["spec"]["blockDeviceMappings"] == [
        {"deviceName": "/dev/xvda", "ebs": {"volumeSize": "500Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True, "iops": 8000, "throughput": 1000}}
    ]


def test_ami_alias_is_pinned_never_latest():
    assert _docs()[0]["spec"]["amiSelectorTerms"] == [{"alias": f"bottlerocket@{AMI_VERSIONS['bottlerocket']}"}]
    assert _docs(ami="al2023")[0]["spec"]["amiSelectorTerms"] == [{"alias": f"al2023@{AMI_VERSIONS['al2023']}"}]
    assert _docs(amiVersion="v1.64.0")[0]["spec"]["amiSelectorTerms"] == [{"alias": "bottlerocket@v1.64.0"}]
    assert all("latest" not in v for v in AMI_VERSIONS.values())


def test_node_pool_requirements_taint_and_labels():
    _, np = _docs(capacityTypes=["spot"])
    spec = np["spec"]["template"]["spec"]
    reqs = {r["key"]: (r["operator"], r["values"]) for r in spec["requirements"]}
    assert reqs["karpenter.k8s.aws/instance-family"] == ("In", ["g6", "g6e"])
    assert reqs["karpenter.k8s.aws/instance-gpu-count"] == ("Gt", ["0"])
    assert reqs["kubernetes.io/arch"] == ("In", ["amd64"])
    assert reqs["topology.kubernetes.io/zone"] == ("In", ZONES)
    assert reqs["karpenter.sh/capacity-type"] == ("In", ["spot"])
    assert all(t.startswith(("g6.", "g6e.")) for t in reqs["node.kubernetes.io/instance-type"][1])
    assert spec["taints"] == [{"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}]
    assert np["spec"]["template"]["metadata"]["labels"] == {"pool": "gpu", "gpu": "nvidia"}
    assert spec["nodeClassRef"] == {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu"}


def test_limits_are_derived_so_the_gpu_limit_binds_first():
    p = pool(families=["g6"], sizes=["xlarge", "16xlarge"], gpuLimit=4, allowShallowSpot=True)
    assert derived_limits(p, 4) == (4 * 64, 4 * 256)  # g6.16xlarge: 64 vCPU, 256 GiB for one GPU
    assert derived_limits(pool(cpuLimit=100, memoryLimitGib=400), 2) == (25, 100)  # a quarter of the pool's GPUs
    _, np = _docs(cpuLimit=100, memoryLimitGib=400)
    assert np["spec"]["limits"] == {"cpu": "100", "memory": "400Gi", "nvidia.com/gpu": "8"}


def test_disruption_never_drains_more_than_one_node_and_pauses_voluntary_moves_in_business_hours():
    _, np = _docs()
    disruption = np["spec"]["disruption"]
    assert disruption["consolidationPolicy"] == "WhenEmpty"
    assert disruption["budgets"] == [
        {"nodes": "1"},
        {"nodes": "0", "reasons": ["Drifted", "Underutilized"], "schedule": "0 7 * * mon-fri", "duration": "12h"},
    ]
    _, np = _docs(businessHoursSchedule=None)
    assert np["spec"]["disruption"]["budgets"] == [{"nodes": "1"}]
    assert np["spec"]["template"]["spec"]["terminationGracePeriod"] == "1h"


def test_pool_manifests_are_node_class_then_pool_per_pool_in_config_order():
    pools = [pool(name="a"), pool(name="b", capacityTypes=["on-demand"])]
    docs = pool_manifests([shared_plan(p, TAGS) for p in pools], CLUSTER, "role", ZONES)
    assert [(d["kind"], d["metadata"]["name"]) for d in docs] == [
        ("EC2NodeClass", "a"), ("NodePool", "a"), ("EC2NodeClass", "b"), ("NodePool", "b"),
    ]


def test_component_applies_exactly_the_rendered_documents():
    pools = [pool(name="a"), pool(name="b", ami="al2023")]
    inventory = pools_inventory(pools)
    applied = [obj for _, obj in inventory.kubernetes_objects() if obj["kind"] in ("EC2NodeClass", "NodePool")]
    expected = pool_manifests([shared_plan(p, TAGS) for p in pools], CLUSTER, f"{CLUSTER}-karpenter-node", ["us-west-2a", "us-west-2b"])
    key = lambda d: (d["metadata"]["name"], d["kind"])  # noqa: E731
    assert sorted(applied, key=key) == sorted(expected, key=key)
    component = next(r for r in inventory.resources if r.type == "llm-platform:gpu_pools:GpuPools")
    assert {r.name for r in inventory.children_of(component.urn)} == {"gpu-a-nodeclass", "gpu-a-nodepool", "gpu-b-nodeclass", "gpu-b-nodepool"}
