"""Karpenter IAM documents, as upstream's v1.14 CloudFormation scopes them.

Each controller document mirrors one upstream managed policy (node lifecycle, IAM integration, EKS
integration, interruption, zonal shift, resource discovery), so a diff against
karpenter.sh/docs/reference/cloudformation stays statement-for-statement. They are kept as separate
managed policies because together they exceed the 6,144-character managed-policy limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Document = dict[str, Any]

NODE_MANAGED_POLICIES = (
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryPullOnly",
    "AmazonSSMManagedInstanceCore",
)
SERVICE_ACCOUNT = "karpenter"


def node_role_name(cluster_name: str) -> str:
    """Physical name of the node role: EC2NodeClass.spec.role refers to it by name."""
    return f"{cluster_name}-karpenter-node"


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def node_trust_policy() -> Document:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}],
    }


def _arn_parts(cluster_arn: str) -> tuple[str, str, str]:
    """(partition, region, account) of an EKS cluster ARN."""
    parts = cluster_arn.split(":")
    if len(parts) < 6 or parts[2] != "eks":
        raise ValueError(f"not an EKS cluster ARN: {cluster_arn!r}")
    return parts[1], parts[3], parts[4]


@dataclass(frozen=True)
class _Scope:
    """The cluster a controller policy is scoped to, and the ARN patterns and tag conditions every
    upstream statement repeats."""

    cluster_name: str
    cluster_arn: str
    partition: str
    region: str
    account: str
    region_tag = "topology.kubernetes.io/region"

    @classmethod
    def of(cls, cluster_name: str, cluster_arn: str) -> _Scope:
        return cls(cluster_name, cluster_arn, *_arn_parts(cluster_arn))

    @property
    def ec2(self) -> str:
        return f"arn:{self.partition}:ec2:{self.region}"

    @property
    def profile(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:instance-profile/*"

    @property
    def owned(self) -> dict[str, str]:
        return {f"aws:ResourceTag/kubernetes.io/cluster/{self.cluster_name}": "owned"}

    @property
    def request_owned(self) -> dict[str, str]:
        return {f"aws:RequestTag/kubernetes.io/cluster/{self.cluster_name}": "owned", "aws:RequestTag/eks:eks-cluster-name": self.cluster_name}

    @property
    def launched(self) -> list[str]:
        kinds = ("fleet", "instance", "volume", "network-interface", "launch-template", "spot-instances-request")
        return [f"{self.ec2}:*:{kind}/*" for kind in kinds]


def _document(*statements: Document) -> Document:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def controller_policies(cluster_name: str, cluster_arn: str, node_role_arn: str, queue_arn: str) -> dict[str, Document]:
    """The controller's policy documents by short name."""
    s = _Scope.of(cluster_name, cluster_arn)
    return {
        "node-lifecycle": _node_lifecycle(s),
        "iam-integration": _iam_integration(s, node_role_arn),
        "eks-integration": _document(
            {
                "Sid": "AllowAPIServerEndpointDiscovery",
                "Effect": "Allow",
                "Resource": s.cluster_arn,
                "Action": "eks:DescribeCluster",
            }
        ),
        "interruption": _document(
            {
                "Sid": "AllowInterruptionQueueActions",
                "Effect": "Allow",
                "Resource": queue_arn,
                "Action": ["sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage"],
            }
        ),
        "zonal-shift": _document(
            {
                "Sid": "AllowZonalShiftStatusReadOnly",
                "Effect": "Allow",
                "Resource": "*",
                "Action": ["arc-zonal-shift:GetManagedResource"],
                "Condition": {"StringEquals": {"arc-zonal-shift:ResourceIdentifier": s.cluster_arn}},
            }
        ),
        "resource-discovery": _resource_discovery(s),
    }


def _node_lifecycle(s: _Scope) -> Document:
    """Launch, tag and terminate only what carries this cluster's ownership tags."""
    return _document(
        {
            "Sid": "AllowScopedEC2InstanceAccessActions",
            "Effect": "Allow",
            "Resource": [
                f"{s.ec2}::image/*",
                f"{s.ec2}::snapshot/*",
                f"{s.ec2}:*:security-group/*",
                f"{s.ec2}:*:subnet/*",
                f"{s.ec2}:*:capacity-reservation/*",
                f"{s.ec2}:*:placement-group/*",
            ],
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
        },
        {
            "Sid": "AllowScopedEC2LaunchTemplateAccessActions",
            "Effect": "Allow",
            "Resource": f"{s.ec2}:*:launch-template/*",
            "Action": ["ec2:RunInstances", "ec2:CreateFleet"],
            "Condition": {"StringEquals": s.owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
        },
        {
            "Sid": "AllowScopedEC2InstanceActionsWithTags",
            "Effect": "Allow",
            "Resource": s.launched,
            "Action": ["ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate"],
            "Condition": {"StringEquals": s.request_owned, "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"}},
        },
        {
            "Sid": "AllowScopedResourceCreationTagging",
            "Effect": "Allow",
            "Resource": s.launched,
            "Action": "ec2:CreateTags",
            "Condition": {
                "StringEquals": {**s.request_owned, "ec2:CreateAction": ["RunInstances", "CreateFleet", "CreateLaunchTemplate"]},
                "StringLike": {"aws:RequestTag/karpenter.sh/nodepool": "*"},
            },
        },
        {
            "Sid": "AllowScopedResourceTagging",
            "Effect": "Allow",
            "Resource": f"{s.ec2}:*:instance/*",
            "Action": "ec2:CreateTags",
            "Condition": {
                "StringEquals": s.owned,
                "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"},
                "StringEqualsIfExists": {"aws:RequestTag/eks:eks-cluster-name": s.cluster_name},
                "ForAllValues:StringEquals": {"aws:TagKeys": ["eks:eks-cluster-name", "karpenter.sh/nodeclaim", "Name"]},
            },
        },
        {
            "Sid": "AllowScopedDeletion",
            "Effect": "Allow",
            "Resource": [f"{s.ec2}:*:instance/*", f"{s.ec2}:*:launch-template/*"],
            "Action": ["ec2:TerminateInstances", "ec2:DeleteLaunchTemplate"],
            "Condition": {"StringEquals": s.owned, "StringLike": {"aws:ResourceTag/karpenter.sh/nodepool": "*"}},
        },
    )


def _iam_integration(s: _Scope, node_role_arn: str) -> Document:
    """Instance profiles for the node role, and nothing else to pass."""
    return _document(
        {
            # PassRole only on the node role, only to EC2: the controller cannot hand any other
            # role (or this one to another service) to what it launches.
            "Sid": "AllowPassingInstanceRole",
            "Effect": "Allow",
            "Resource": node_role_arn,
            "Action": "iam:PassRole",
            "Condition": {"StringEquals": {"iam:PassedToService": ["ec2.amazonaws.com", "ec2.amazonaws.com.cn"]}},
        },
        {
            "Sid": "AllowScopedInstanceProfileCreationActions",
            "Effect": "Allow",
            "Resource": s.profile,
            "Action": ["iam:CreateInstanceProfile"],
            "Condition": {
                "StringEquals": {**s.request_owned, f"aws:RequestTag/{s.region_tag}": s.region},
                "StringLike": {"aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileTagActions",
            "Effect": "Allow",
            "Resource": s.profile,
            "Action": ["iam:TagInstanceProfile"],
            "Condition": {
                "StringEquals": {
                    **s.owned,
                    f"aws:ResourceTag/{s.region_tag}": s.region,
                    **s.request_owned,
                    f"aws:RequestTag/{s.region_tag}": s.region,
                },
                "StringLike": {
                    "aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*",
                    "aws:RequestTag/karpenter.k8s.aws/ec2nodeclass": "*",
                },
            },
        },
        {
            "Sid": "AllowScopedInstanceProfileActions",
            "Effect": "Allow",
            "Resource": s.profile,
            "Action": ["iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile", "iam:DeleteInstanceProfile"],
            "Condition": {
                "StringEquals": {**s.owned, f"aws:ResourceTag/{s.region_tag}": s.region},
                "StringLike": {"aws:ResourceTag/karpenter.k8s.aws/ec2nodeclass": "*"},
            },
        },
    )


def _resource_discovery(s: _Scope) -> Document:
    """Read-only discovery of images, capacity, prices and instance profiles."""
    return _document(
        {
            "Sid": "AllowRegionalReadActions",
            "Effect": "Allow",
            "Resource": "*",
            "Action": [
                "ec2:DescribeCapacityReservations",
                "ec2:DescribeImages",
                "ec2:DescribeInstances",
                "ec2:DescribeInstanceStatus",
                "ec2:DescribeInstanceTypeOfferings",
                "ec2:DescribeInstanceTypes",
                "ec2:DescribeLaunchTemplates",
                "ec2:DescribePlacementGroups",
                "ec2:DescribeSecurityGroups",
                "ec2:DescribeSpotPriceHistory",
                "ec2:DescribeSubnets",
            ],
            "Condition": {"StringEquals": {"aws:RequestedRegion": s.region}},
        },
        {
            "Sid": "AllowSSMReadActions",
            "Effect": "Allow",
            "Resource": f"arn:{s.partition}:ssm:{s.region}::parameter/aws/service/*",
            "Action": "ssm:GetParameter",
        },
        {"Sid": "AllowPricingReadActions", "Effect": "Allow", "Resource": "*", "Action": "pricing:GetProducts"},
        {"Sid": "AllowUnscopedInstanceProfileListAction", "Effect": "Allow", "Resource": "*", "Action": "iam:ListInstanceProfiles"},
        {"Sid": "AllowInstanceProfileReadActions", "Effect": "Allow", "Resource": s.profile, "Action": "iam:GetInstanceProfile"},
    )
