"""Run the GPU components under fresh recording mocks with plain inputs."""

from __future__ import annotations

import json

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.render import SYSTEM_PLACEMENT
from components.gpu_pools.attribution import shared_plan
from components.gpu_pools.component import GpuPools, GpuPoolsArgs
from components.gpu_pools.models import GpuPoolConfig
from components.karpenter.component import Karpenter, KarpenterArgs
from components.karpenter.models import KarpenterConfig
from components.nvidia.component import NvidiaStack, NvidiaStackArgs
from llmctl.synth.inventory import Inventory
from llmctl.synth.runner import record

CLUSTER = "llm-platform-t"
REGION = "us-west-2"
ACCOUNT = "123456789012"
CLUSTER_ARN = f"arn:aws:eks:{REGION}:{ACCOUNT}:cluster/{CLUSTER}"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/llm-platform-t-workload-boundary"
CONTROLLER_BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/llm-platform-t-controller-boundary"
TAGS = {"project": "llm-platform", "environment": "dev", "team": "ml-platform", "cost-center": "4410", "owner": "o@example.com"}


def pool(**overrides) -> GpuPoolConfig:
    base = {"name": "gpu", "families": ["g6", "g6e"], "gpuLimit": 8}
    return GpuPoolConfig.model_validate({**base, **overrides})


def providers() -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions(providers=[aws.Provider("aws", region=REGION), k8s.Provider("k8s")])


def karpenter_inventory(config: KarpenterConfig | None = None) -> Inventory:
    return record(
        lambda: Karpenter("karpenter", KarpenterArgs(CLUSTER, CLUSTER_ARN, BOUNDARY, CONTROLLER_BOUNDARY, SYSTEM_PLACEMENT, config or KarpenterConfig()), providers()),
        stack="t",
        config={"aws:region": REGION},
    )


def pools_inventory(pools: list[GpuPoolConfig]) -> Inventory:
    def body() -> None:
        opts = providers()
        GpuPools("gpu", GpuPoolsArgs(CLUSTER, f"{CLUSTER}-karpenter-node", [f"{REGION}a", f"{REGION}b"], [shared_plan(p, TAGS) for p in pools]), opts)
        NvidiaStack("nvidia", NvidiaStackArgs(pools), opts)

    return record(body, stack="t", config={"aws:region": REGION})


def as_json(value):
    return json.loads(value) if isinstance(value, str) else value


def record_dependencies(monkeypatch, body) -> tuple[Inventory, dict[str, set[str]]]:
    """Run `body` under recording mocks and also return each resource's explicit dependencies
    (URN -> set of URNs), which the inventory does not keep."""
    from llmctl.synth import runner
    from llmctl.synth.mocks import RecordingMonitor

    dependencies: dict[str, set[str]] = {}

    class DependencyMonitor(RecordingMonitor):
        def RegisterResource(self, request):  # noqa: N802 (gRPC method name)
            response = super().RegisterResource(request)
            dependencies[self.make_urn(request.parent, request.type, request.name)] = set(request.dependencies)
            return response

    monkeypatch.setattr(runner, "RecordingMonitor", DependencyMonitor)
    return record(body, stack="t", config={"aws:region": REGION}), dependencies
