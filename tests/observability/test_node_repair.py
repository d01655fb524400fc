"""GPU node repair is on in every stack's synthesized output: the EKS node monitoring agent turns GPU
faults into node conditions (its DCGM server tolerating the GPU taint), and Karpenter replaces
nodes whose conditions stay unhealthy (feature gate nodeRepair)."""

from __future__ import annotations

import json

import pytest

from components.cluster.versions import ADDON_VERSIONS

STACKS = ("dev", "staging", "prod")
GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


@pytest.mark.parametrize("stack", STACKS)
def test_node_monitoring_agent_and_karpenter_node_repair_are_on(stack, configs):
    from tests.conftest import synthesized

    inventory = synthesized(stack)
    [agent] = [a for a in inventory.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "eks-node-monitoring-agent"]
    version = configs[stack].cluster.kubernetes_version
    assert agent.inputs["addonVersion"] == ADDON_VERSIONS[version]["eks-node-monitoring-agent"]
    assert json.loads(agent.inputs["configurationValues"])["dcgmAgent"]["tolerations"] == [GPU_TOLERATION]
    [karpenter] = [r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"].endswith("/karpenter")]
    assert karpenter.inputs["values"]["settings"]["featureGates"]["nodeRepair"] is True


def test_every_pinned_kubernetes_minor_has_the_agent():
    assert ADDON_VERSIONS
    for minor, versions in ADDON_VERSIONS.items():
        assert versions["eks-node-monitoring-agent"].startswith("v1.7."), minor
