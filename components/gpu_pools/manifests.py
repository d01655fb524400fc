"""EC2NodeClass and NodePool of each GPU pool, as plain dicts (karpenter.k8s.aws/v1, karpenter.sh/v1).

Pure: same config in, same documents out. `dump` writes them with yaml.safe_dump for the golden
files under tests/golden/<stack>/gpu-pools.yaml.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import yaml

from components.catalog import INSTANCE_TYPES
from components.gpu_pools.attribution import NodePoolPlan
from components.gpu_pools.models import EBS_ONLY_DATA_VOLUME_GIB, GpuPoolConfig, cached_data_volume_gib
from components.gpu_pools.versions import AMI_VERSIONS

Manifest = dict[str, Any]

GPU_TAINT = {"key": "nvidia.com/gpu", "value": "true", "effect": "NoSchedule"}
DISCOVERY_TAG = "karpenter.sh/discovery"
# Node label naming the shared pool definition every node of the pool carries, whichever
# per-slot NodePool launched it (DaemonSets that follow a pool select on it).
POOL_LABEL = "pool"
SHARED_NODES_LABEL = "llm-platform/shared-nodes"
PART_OF = {"app.kubernetes.io/part-of": "llm-platform", "app.kubernetes.io/managed-by": "pulumi"}


def ami_alias(pool: GpuPoolConfig) -> str:
    return f"{pool.ami}@{pool.ami_version or AMI_VERSIONS[pool.ami]}"


def _gp3(size_gib: int, iops: int | None = None, throughput: int | None = None) -> dict[str, Any]:
    ebs: dict[str, Any] = {"volumeSize": f"{size_gib}Gi", "volumeType": "gp3", "encrypted": True, "deleteOnTermination": True}
    if iops is not None:
        ebs["iops"] = iops
    if throughput is not None:
        ebs["throughput"] = throughput
    return ebs


def nvme_raid0(pool: GpuPoolConfig) -> bool:
    """Every type of the pool has local NVMe, so the node class stripes it (instanceStorePolicy RAID0)."""
    return all(INSTANCE_TYPES[t].nvme_gb > 0 for t in pool.instance_types)


# EBS left holding only the OS side once RAID0 takes containerd and kubelet: Karpenter's own defaults
# (Bottlerocket /dev/xvdb 20Gi, AL2023 root 20Gi; karpenter.sh/docs/concepts/nodeclasses blockDeviceMappings).
RAID0_DATA_VOLUME_GIB = 20


def data_volume(pool: GpuPoolConfig) -> dict[str, Any]:
    """The data volume sized for what still lands on EBS; gp3 baseline IOPS/throughput unless the pool asks."""
    default = RAID0_DATA_VOLUME_GIB if nvme_raid0(pool) else EBS_ONLY_DATA_VOLUME_GIB
    return _gp3(pool.data_volume_gib or default, pool.data_volume_iops, pool.data_volume_throughput)


def block_devices(pool: GpuPoolConfig) -> list[dict[str, Any]]:
    data = data_volume(pool)
    if pool.ami == "bottlerocket":
        # Bottlerocket splits an OS volume (/dev/xvda, read-only root) from the data volume
        # (/dev/xvdb: host containers, logs, and containerd/kubelet unless RAID0 moves them to NVMe).
        return [{"deviceName": "/dev/xvda", "ebs": _gp3(4)}, {"deviceName": "/dev/xvdb", "ebs": data}]
    # AL2023 keeps everything on its root volume.
    return [{"deviceName": "/dev/xvda", "ebs": data}]


# Bottlerocket settings (TOML user data, merged by Karpenter) for SOCI parallel pull + unpack,
# available from Bottlerocket 1.44.0 (release notes; bottlerocket.dev settings reference
# container-runtime and container-runtime-plugins).
SOCI_PARALLEL_PULL = """[settings.container-runtime]
snapshotter = "soci"

[settings.container-runtime-plugins.soci-snapshotter]
pull-mode = "parallel-pull-unpack"
"""
SOCI_MIN_BOTTLEROCKET = (1, 44, 0)


def image_cache(spec: dict[str, Any], pool: GpuPoolConfig, source: str, snapshot_id: str | None) -> None:
    """Point the node class at the image cache: the data volume restored from the snapshot, or
    SOCI parallel pull when there is none (components/coldstart/imagecache.py decides which)."""
    if source == "snapshot":
        data = spec["blockDeviceMappings"][-1]["ebs"]
        data["snapshotID"] = snapshot_id
        data["volumeSize"] = f"{cached_data_volume_gib(pool)}Gi"
        data["volumeInitializationRate"] = pool.image_cache.volume_initialization_rate
        # RAID0 would move containerd's store onto the instance's NVMe and leave the restored
        # image store unused; with a snapshot the store stays on the data volume (overlayfs,
        # the snapshotter it was written with: switching snapshotters wipes the store).
        spec.pop("instanceStorePolicy", None)
    elif source == "soci":
        spec["userData"] = SOCI_PARALLEL_PULL


def ec2_node_class(plan: NodePoolPlan, cluster_name: str, node_role_name: str, image_source: str = "pull",
                   snapshot_id: str | None = None) -> Manifest:
    pool = plan.pool
    spec: dict[str, Any] = {
        "amiSelectorTerms": [{"alias": ami_alias(pool)}],
        "role": node_role_name,
        "subnetSelectorTerms": [{"tags": {DISCOVERY_TAG: cluster_name}}],
        "securityGroupSelectorTerms": [{"tags": {DISCOVERY_TAG: cluster_name}}],
        "associatePublicIPAddress": False,
        # IMDSv2 only, hop limit 1: no pod can reach the node role's credentials. Nothing here
        # needs 2: pods get AWS credentials from EKS Pod Identity, whose agent runs on the host
        # network, as do the VPC CNI and the device plugin.
        "metadataOptions": {
            "httpEndpoint": "enabled",
            "httpProtocolIPv6": "disabled",
            "httpPutResponseHopLimit": 1,
            "httpTokens": "required",
        },
        "blockDeviceMappings": block_devices(pool),
        # Cost tags (the slot's team, model and endpoint: attribution.py) reach the instances,
        # volumes and ENIs Karpenter launches outside Pulumi.
        "tags": dict(plan.tags),
    }
    if pool.capacity_reservations:
        spec["capacityReservationSelectorTerms"] = [r.selector_term() for r in pool.capacity_reservations]
    if nvme_raid0(pool):
        # Every GPU family here has local NVMe: striping it for containerd and kubelet puts image
        # layers and emptyDir model caches on the fastest disk the instance has.
        spec["instanceStorePolicy"] = "RAID0"
    image_cache(spec, pool, image_source, snapshot_id)
    return {
        "apiVersion": "karpenter.k8s.aws/v1",
        "kind": "EC2NodeClass",
        "metadata": {"name": plan.name, "labels": {**PART_OF, "pool": pool.name}},
        "spec": spec,
    }


def derived_limits(pool: GpuPoolConfig, gpu_limit: int) -> tuple[int, int]:
    """(vCPU, memory GiB) limits that never bind before the GPU limit does: the GPU limit times
    the most CPU/memory any of the pool's types carries per GPU (a pool's own cpu/memory limits
    apply to its shared NodePool only; per-slot NodePools scale them with their GPU share)."""
    types = [INSTANCE_TYPES[t] for t in pool.instance_types]
    share = gpu_limit / pool.gpu_limit
    cpu = math.ceil(pool.cpu_limit * share) if pool.cpu_limit else math.ceil(gpu_limit * max(t.vcpu / t.gpus for t in types))
    memory = math.ceil(pool.memory_limit_gib * share) if pool.memory_limit_gib else math.ceil(gpu_limit * max(t.memory_gib / t.gpus for t in types))
    return cpu, memory


def disruption(pool: GpuPoolConfig) -> dict[str, Any]:
    # At most one voluntary disruption (Empty, Drifted, Underutilized) at a time: a serving slot
    # loses at most one replica, which its PodDisruptionBudget already allows. Expiry and
    # interruptions are forceful and not budgeted; terminationGracePeriod bounds those drains.
    budgets: list[dict[str, Any]] = [{"nodes": "1"}]
    if pool.business_hours_schedule:
        # No voluntary replacement of busy nodes (drift after an AMI bump, repacking) during
        # business hours; empty nodes may still go. Interruptions and expiry are not voluntary.
        budgets.append(
            {
                "nodes": "0",
                "reasons": ["Drifted", "Underutilized"],
                "schedule": pool.business_hours_schedule,
                "duration": pool.business_hours_duration,
            }
        )
    return {"consolidationPolicy": pool.consolidation_policy, "consolidateAfter": pool.consolidate_after, "budgets": budgets}


def _shared_label(plan: NodePoolPlan) -> dict[str, str]:
    # Policy gpu-node-cost-tags lets only a pool marked shared serve several teams.
    return {SHARED_NODES_LABEL: "true"} if plan.team is None else {}


def node_pool(plan: NodePoolPlan, zones: list[str]) -> Manifest:
    pool = plan.pool
    cpu, memory = derived_limits(pool, plan.gpu_limit)
    requirements = [
        {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": list(pool.families)},
        {"key": "node.kubernetes.io/instance-type", "operator": "In", "values": list(pool.instance_types)},
        {"key": "karpenter.k8s.aws/instance-gpu-count", "operator": "Gt", "values": ["0"]},
        {"key": "kubernetes.io/arch", "operator": "In", "values": ["amd64"]},
        {"key": "kubernetes.io/os", "operator": "In", "values": ["linux"]},
        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": list(zones)},
        {"key": "karpenter.sh/capacity-type", "operator": "In", "values": list(pool.capacity_types)},
    ]
    return {
        "apiVersion": "karpenter.sh/v1",
        "kind": "NodePool",
        "metadata": {"name": plan.name, "labels": {**PART_OF, "pool": pool.name, **_shared_label(plan)}},
        "spec": {
            "weight": pool.weight,
            "template": {
                "metadata": {"labels": {POOL_LABEL: pool.name, "gpu": "nvidia"}},
                "spec": {
                    "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": plan.name},
                    "requirements": requirements,
                    "taints": [dict(GPU_TAINT)],
                    "expireAfter": pool.expire_after,
                    # Bounds a drain: pods that never finish (or keep do-not-disrupt) are removed
                    # after this, so a node cannot stay half-drained forever.
                    "terminationGracePeriod": pool.termination_grace_period,
                },
            },
            "limits": {"cpu": str(cpu), "memory": f"{memory}Gi", "nvidia.com/gpu": str(plan.gpu_limit)},
            "disruption": disruption(pool),
        },
    }


def pool_manifests(plans: list[NodePoolPlan], cluster_name: str, node_role_name: str, zones: list[str],
                   image_sources: Mapping[str, Any] | None = None) -> list[Manifest]:
    """EC2NodeClass then NodePool of every planned NodePool (attribution.plan_node_pools), in order.
    `image_sources`: pool name -> components.coldstart.imagecache.ImageSource (plain pull when absent)."""
    docs: list[Manifest] = []
    for plan in plans:
        source = (image_sources or {}).get(plan.pool.name)
        kind, snapshot = (source.kind, source.snapshot_id) if source else ("pull", None)
        docs.append(ec2_node_class(plan, cluster_name, node_role_name, kind, snapshot))
        docs.append(node_pool(plan, zones))
    return docs


def dump(docs: list[Manifest]) -> str:
    return yaml.safe_dump_all(docs, sort_keys=False, default_flow_style=False, width=120)
