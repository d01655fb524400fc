"""Hand-built inventories in the shapes the platform's components synthesize."""

from __future__ import annotations

from typing import Any

from components.observability.labels import LLM_ENDPOINT, LLM_SLOT
from llmctl.synth.inventory import Inventory, Resource


def res(type_: str, name: str, inputs: dict[str, Any]) -> Resource:
    return Resource(urn=f"urn:pulumi:t::llm-platform::{type_}::{name}", type=type_, name=name, parent="", inputs=inputs)


def vllm_deployment(endpoint: str, slot: str, pool: str, gpus: int = 1, cpu: str = "4", memory: str = "28Gi", model: str = "m") -> Resource:
    return res("kubernetes:apps/v1:Deployment", f"{endpoint}-{slot}", {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": f"{endpoint}-{slot}", "namespace": f"llm-{endpoint}", "labels": {
            "app.kubernetes.io/name": "vllm", "app.kubernetes.io/component": "serving",
            LLM_ENDPOINT: endpoint, LLM_SLOT: slot, "team": "applied-ai", "model": model,
        }},
        "spec": {"replicas": 1, "template": {"spec": {
            "nodeSelector": {"karpenter.sh/nodepool": pool},
            "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
            "containers": [{"name": "vllm", "resources": {
                "requests": {"cpu": cpu, "memory": memory, "nvidia.com/gpu": str(gpus)},
                "limits": {"memory": memory, "nvidia.com/gpu": str(gpus)},
            }}],
        }}},
    })


def scaled_object(endpoint: str, slot: str, low: int, high: int, paused: int | None = None) -> Resource:
    annotations = {"autoscaling.keda.sh/paused-replicas": str(paused)} if paused is not None else {}
    return res("kubernetes:keda.sh/v1alpha1:ScaledObject", f"{endpoint}-{slot}-so", {
        "metadata": {"name": f"{endpoint}-{slot}", "namespace": f"llm-{endpoint}", "annotations": annotations},
        "spec": {"scaleTargetRef": {"name": f"{endpoint}-{slot}"}, "minReplicaCount": low, "maxReplicaCount": high},
    })


def node_pool(name: str, families: list[str], sizes: list[str], capacity_types: list[str], gpu_limit: int = 16) -> Resource:
    return res("kubernetes:karpenter.sh/v1:NodePool", name, {
        "metadata": {"name": name},
        "spec": {"limits": {"nvidia.com/gpu": gpu_limit}, "template": {"spec": {
            "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": name},
            "requirements": [
                {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": families},
                {"key": "karpenter.k8s.aws/instance-size", "operator": "In", "values": sizes},
                {"key": "karpenter.sh/capacity-type", "operator": "In", "values": capacity_types},
            ],
        }}},
    })


def node_class(name: str, volume: str = "200Gi") -> Resource:
    return res("kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", f"{name}-class", {
        "metadata": {"name": name},
        "spec": {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": "4Gi"}}, {"deviceName": "/dev/xvdb", "ebs": {"volumeSize": volume}}]},
    })


def envoy_proxy(name: str) -> Resource:
    return res("kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", f"{name}-envoy-proxy", {
        "metadata": {"name": name, "namespace": "envoy-gateway-system"}, "spec": {},
    })


def platform(capacity_types: list[str], region: str = "us-west-2", low: int = 0, high: int = 3, extra: list[Resource] | None = None) -> Inventory:
    """One cluster, 3 NATs, 2 interface endpoints over 3 AZs, a system node group, one GPU
    pool, one vLLM slot (chat/blue), the gateway's EnvoyProxy (one NLB)."""
    subnets = ["subnet-a", "subnet-b", "subnet-c"]
    resources = [
        res("aws:eks/cluster:Cluster", "c", {"name": "llm-platform-t"}),
        *[res("aws:ec2/natGateway:NatGateway", f"nat-{i}", {"subnetId": s}) for i, s in enumerate(subnets)],
        res("aws:ec2/vpcEndpoint:VpcEndpoint", "ecr-api", {"vpcEndpointType": "Interface", "subnetIds": subnets}),
        res("aws:ec2/vpcEndpoint:VpcEndpoint", "sts", {"vpcEndpointType": "Interface", "subnetIds": subnets}),
        res("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"}),
        res("aws:eks/nodeGroup:NodeGroup", "system", {
            "nodeGroupName": "system", "instanceTypes": ["m7i.large", "m6i.large"], "diskSize": 50,
            "scalingConfig": {"minSize": 2, "desiredSize": 2, "maxSize": 3},
        }),
        node_pool("gpu", ["g6", "g5"], ["xlarge", "2xlarge", "4xlarge"], capacity_types),
        node_class("gpu"),
        vllm_deployment("chat", "blue", "gpu"),
        scaled_object("chat", "blue", low, high),
        envoy_proxy("llm-platform-t-proxy"),
        *(extra or []),
    ]
    return Inventory(stack="t", project="llm-platform", resources=resources, outputs={"region": region, "clusterName": "llm-platform-t"})
