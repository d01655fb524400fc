"""Pinned EKS managed add-on versions, per Kubernetes minor (the one place to bump them).

From `aws eks describe-addon-versions --kubernetes-version <minor> --addon-name <name>`; kube-proxy and
CoreDNS follow the Kubernetes minor, the others are version-independent.
"""

from __future__ import annotations

_COMMON = {
    "vpc-cni": "v1.20.4-eksbuild.1",
    "eks-pod-identity-agent": "v1.3.9-eksbuild.3",
    "aws-ebs-csi-driver": "v1.51.1-eksbuild.1",
}

ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.32": {**_COMMON, "kube-proxy": "v1.32.6-eksbuild.13", "coredns": "v1.11.4-eksbuild.14"},
    "1.33": {**_COMMON, "kube-proxy": "v1.33.3-eksbuild.11", "coredns": "v1.12.1-eksbuild.2"},
    "1.34": {**_COMMON, "kube-proxy": "v1.34.0-eksbuild.5", "coredns": "v1.12.4-eksbuild.1"},
}

# AMI family of the system node group (EKS picks the AMI release matching the cluster version).
SYSTEM_NODE_AMI_TYPE = "AL2023_x86_64_STANDARD"
