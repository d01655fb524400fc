"""Pinned EKS managed add-on versions, per Kubernetes minor (the one place to bump them).

From `aws eks describe-addon-versions --kubernetes-version <minor> --addon-name <name>`; kube-proxy and
CoreDNS follow the Kubernetes minor, the others are version-independent.
"""

from __future__ import annotations

_COMMON = {
    "vpc-cni": "v1.20.4-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
    "aws-ebs-csi-driver": "v1.51.1-eksbuild.1",
    # GPU/kernel/runtime health as node conditions (AcceleratedHardwareReady) that Karpenter's
    # node repair acts on. v1.7.x is the line published with EKS 1.35 and 1.36 clusters
    # (v1.7.0-eksbuild.1 beside kube-proxy v1.35.3, v1.7.2-eksbuild.1 beside v1.36.0 in public
    # add-on pins; module github.com/aws/eks-node-monitoring-agent v1.7.0, Aug 2026).
    "eks-node-monitoring-agent": "v1.7.2-eksbuild.1",
}

ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.32": {**_COMMON, "kube-proxy": "v1.32.6-eksbuild.13", "coredns": "v1.11.4-eksbuild.14"},
    "1.33": {**_COMMON, "kube-proxy": "v1.33.3-eksbuild.11", "coredns": "v1.12.1-eksbuild.2"},
    "1.34": {**_COMMON, "kube-proxy": "v1.34.0-eksbuild.5", "coredns": "v1.12.4-eksbuild.1"},
}

# AMI family of the system node group (EKS picks the AMI release matching the cluster version).
SYSTEM_NODE_AMI_TYPE = "AL2023_x86_64_STANDARD"
