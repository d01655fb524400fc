"""Creation order the engine would follow: the controller after its identity, queue and CRDs; the
pools' custom resources after the controller release; the ServiceMonitor after the exporter."""

from __future__ import annotations

from components.cluster.render import SYSTEM_PLACEMENT
from components.gpu_pools.attribution import shared_plan
from components.gpu_pools.component import GpuPools, GpuPoolsArgs
from components.karpenter.component import Karpenter, KarpenterArgs
from components.nvidia.component import NvidiaStack, NvidiaStackArgs
from tests.gpu.helpers import BOUNDARY, CLUSTER, CLUSTER_ARN, TAGS, pool, providers, record_dependencies


def test_custom_resources_wait_for_the_karpenter_release(monkeypatch):
    def body() -> None:
        opts = providers()
        karpenter = Karpenter("karpenter", KarpenterArgs(CLUSTER, CLUSTER_ARN, BOUNDARY, BOUNDARY, SYSTEM_PLACEMENT), opts)
        pools = [pool()]
        GpuPools("gpu", GpuPoolsArgs(CLUSTER, karpenter.node_role_name, ["us-west-2a"], [shared_plan(p, TAGS) for p in pools], [karpenter.release]), opts)
        NvidiaStack("nvidia", NvidiaStackArgs(pools, depends_on=[karpenter.release]), opts)

    inventory, deps = record_dependencies(monkeypatch, body)
    urn = {(r.type.split(":")[-1], r.name): r.urn for r in inventory.resources}
    controller = urn[("Release", "karpenter-controller")]
    for needed in [
        ("Release", "karpenter-crd"),
        ("PodIdentityAssociation", "karpenter-controller"),
        ("AccessEntry", "karpenter-node"),
        ("Queue", "karpenter-interruption"),
        ("EventTarget", "karpenter-spot-interruption"),
        ("RolePolicyAttachment", "karpenter-controller-node-lifecycle"),
    ]:
        assert urn[needed] in deps[controller], needed
    assert controller in deps[urn[("EC2NodeClass", "gpu-gpu-nodeclass")]]
    assert {controller, urn[("EC2NodeClass", "gpu-gpu-nodeclass")]} <= deps[urn[("NodePool", "gpu-gpu-nodepool")]]
    assert urn[("Release", "nvidia-dcgm-exporter")] in deps[urn[("ServiceMonitor", "nvidia-dcgm-exporter")]]
    assert {controller, urn[("Namespace", "nvidia-namespace")]} <= deps[urn[("Release", "nvidia-dcgm-exporter")]]
