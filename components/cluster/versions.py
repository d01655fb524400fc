"""Pinned EKS versions: the Kubernetes calendar and the managed add-on builds per Kubernetes minor.

The one place to bump them. `llmctl preflight STACK` re-checks every pin against the live
`eks:DescribeAddonVersions` and this calendar against the day of the run.

Where each pin was read (all read on 2026-12-01):
- kube-proxy: the EKS user guide "Manage kube-proxy", table "kube-proxy versions"
  (docs.aws.amazon.com/ja_jp/eks/latest/userguide/managing-kube-proxy.md; the English page in the
  index was an older generation of the same table). 1.36 -> v1.36.0-eksbuild.14, 1.35 -> v1.35.3-eksbuild.13.
- CoreDNS: the EKS user guide "Manage CoreDNS", table "CoreDNS versions"
  (docs.aws.amazon.com/ja_jp/eks/latest/userguide/managing-coredns.md). 1.35 and 1.36 -> v1.14.3-eksbuild.3.
- vpc-cni, eks-pod-identity-agent, aws-ebs-csi-driver: their user-guide tables found here stop at 1.33,
  so these are the builds a public record shows EKS resolving on a 1.36 cluster (vpc-cni v1.22.4-eksbuild.3,
  eks-pod-identity-agent v1.3.10-eksbuild.3) and a public 1.36 configuration pinning
  (aws-ebs-csi-driver v1.63.1-eksbuild.1). They are not tied to a Kubernetes minor; run
  `llmctl preflight` (DescribeAddonVersions) before the first deploy to confirm them in your region.
- Calendar: the EKS user guide "Kubernetes release calendar" (kubernetes-versions.adoc, rows up to 1.34),
  endoflife.date/amazon-eks for 1.35, and EKS's 1.36 launch (2026-06-02; standard support through
  2027-08-02) as reported by the 1.36 release notes' readers. EKS gives 14 months of standard and 12 of
  extended support from its release (same page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

# The three kube-proxy builds an earlier user-guide table listed but EKS never published are
# named only in the test that proves they appear nowhere (tests/core/test_versions.py).

_COMMON = {
    "vpc-cni": "v1.22.4-eksbuild.3",
    "eks-pod-identity-agent": "v1.3.10-eksbuild.3",
    "aws-ebs-csi-driver": "v1.63.1-eksbuild.1",
    # GPU/kernel/runtime health as node conditions (AcceleratedHardwareReady) that Karpenter's
    # node repair acts on. v1.7.x is the line published with EKS 1.35 and 1.36 clusters
    # (v1.7.0-eksbuild.1 beside kube-proxy v1.35.3, v1.7.2-eksbuild.1 beside v1.36.0 in public
    # add-on pins; module github.com/aws/eks-node-monitoring-agent v1.7.0, Aug 2026).
    "eks-node-monitoring-agent": "v1.7.2-eksbuild.1",
}

# kube-proxy follows the cluster's minor exactly; CoreDNS is the build EKS lists for that minor.
ADDON_VERSIONS: dict[str, dict[str, str]] = {
    "1.35": {**_COMMON, "kube-proxy": "v1.35.3-eksbuild.13", "coredns": "v1.14.3-eksbuild.3"},
    "1.36": {**_COMMON, "kube-proxy": "v1.36.0-eksbuild.14", "coredns": "v1.14.3-eksbuild.3"},
}
# CoreDNS builds EKS lists per Kubernetes minor (same table), for the minor-match test and preflight.
COREDNS_FOR_MINOR: dict[str, str] = {"1.35": "v1.14", "1.36": "v1.14"}


@dataclass(frozen=True)
class EksVersion:
    minor: str
    eks_release: date
    end_of_standard: date
    end_of_extended: date


CALENDAR: dict[str, EksVersion] = {
    v.minor: v
    for v in (
        EksVersion("1.33", date(2025, 5, 29), date(2026, 7, 29), date(2027, 7, 29)),
        EksVersion("1.34", date(2025, 10, 2), date(2026, 12, 2), date(2027, 12, 2)),
        EksVersion("1.35", date(2026, 1, 27), date(2027, 3, 27), date(2028, 3, 27)),
        EksVersion("1.36", date(2026, 6, 2), date(2027, 8, 2), date(2028, 8, 2)),
    )
}
SUPPORTED_KUBERNETES_VERSIONS: tuple[str, ...] = tuple(ADDON_VERSIONS)
# Warn this many days before a support window ends (EKS announces an end of standard support >= 60 days ahead).
SUPPORT_WARNING_DAYS = 60

# AMI family of the system node group (EKS picks the AMI release matching the cluster version).
SYSTEM_NODE_AMI_TYPE = "AL2023_x86_64_STANDARD"
