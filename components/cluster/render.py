"""Pure renderers of the cluster: add-on configuration values, launch-template settings, kubeconfig."""

from __future__ import annotations

from typing import Any

from components.placement import SystemPlacement

LOG_TYPES = ("api", "audit", "authenticator", "controllerManager", "scheduler")
SYSTEM_TAINT = {"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"}
SYSTEM_LABELS = {"node-role": "system"}
# What the system node group offers cluster services; infra/__main__.py passes it on.
SYSTEM_PLACEMENT = SystemPlacement(node_labels=SYSTEM_LABELS, taint_key=SYSTEM_TAINT["key"])


def addon_configuration(addon: str, volume_tags: dict[str, str] | None = None) -> dict[str, Any] | None:
    """configurationValues of a managed add-on (validated by EKS against the add-on's schema,
    `aws eks describe-addon-configuration`); None keeps the add-on's defaults. `volume_tags`: the
    EBS CSI driver's extraVolumeTags (components/cost/volumes.py)."""
    if addon == "vpc-cni":
        # Prefix delegation: /28 prefixes per ENI slot, so GPU nodes are not capped by ENI IP count
        # (https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses.html).
        # enableNetworkPolicy: the add-on's network policy agent enforces Kubernetes NetworkPolicies
        # (the serving namespaces admit only the vLLM port from inside the VPC)
        # (https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html).
        return {"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}, "enableNetworkPolicy": "true"}
    if addon == "coredns":
        return {"tolerations": SYSTEM_PLACEMENT.tolerations}
    if addon == "eks-node-monitoring-agent":
        # The agent's DCGM server must run on the GPU nodes, which carry the nvidia.com/gpu taint
        # (docs.aws.amazon.com/eks/latest/userguide/node-health-nma.html): without it no GPU fault
        # becomes a node condition and node repair never sees one.
        return {"dcgmAgent": {"tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]}}
    if addon == "aws-ebs-csi-driver":
        # The controller lives on the tainted system nodes; the node plugin runs everywhere, GPU nodes included.
        controller: dict[str, Any] = {"tolerations": SYSTEM_PLACEMENT.tolerations}
        if volume_tags:
            controller["extraVolumeTags"] = dict(volume_tags)
        return {"controller": controller, "node": {"tolerateAllTaints": True}}
    return None


def root_volume(disk_gib: int) -> dict[str, Any]:
    """The system nodes' root EBS volume (AL2023 root device /dev/xvda)."""
    return {
        "device_name": "/dev/xvda",
        "ebs": {"volume_size": disk_gib, "volume_type": "gp3", "encrypted": "true", "delete_on_termination": "true"},
    }


def metadata_options() -> dict[str, Any]:
    """IMDSv2 only, hop limit 1: pods cannot reach the node role's credentials through IMDS."""
    return {"http_endpoint": "enabled", "http_tokens": "required", "http_put_response_hop_limit": 1,
            "instance_metadata_tags": "disabled"}


def kubeconfig(cluster_name: str, endpoint: str, ca_data: str, region: str) -> dict[str, Any]:
    """A kubeconfig whose credentials come from `aws eks get-token` at every use (never stored)."""
    context = f"aws-{cluster_name}"
    return {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": cluster_name, "cluster": {"server": endpoint, "certificate-authority-data": ca_data}}],
        "contexts": [{"name": context, "context": {"cluster": cluster_name, "user": context}}],
        "current-context": context,
        "users": [{
            "name": context,
            "user": {"exec": {
                "apiVersion": "client.authentication.k8s.io/v1beta1",
                "command": "aws",
                "args": ["eks", "get-token", "--cluster-name", cluster_name, "--region", region, "--output", "json"],
                "interactiveMode": "Never",
            }},
        }],
    }
