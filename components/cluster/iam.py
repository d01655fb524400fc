"""IAM and KMS documents of the cluster (pure). Managed policies are named here, attached by ARN."""

from __future__ import annotations

from typing import Any

from components.trust import account_administers_key, service_trust

CLUSTER_MANAGED_POLICIES = ("AmazonEKSClusterPolicy",)
NODE_MANAGED_POLICIES = ("AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly")
EBS_CSI_MANAGED_POLICIES = ("service-role/AmazonEBSCSIDriverPolicy",)
CLUSTER_ADMIN_ACCESS_POLICY = "AmazonEKSClusterAdminPolicy"


def managed_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:iam::aws:policy/{name}"


def access_policy_arn(partition: str, name: str) -> str:
    return f"arn:{partition}:eks::aws:cluster-access-policy/{name}"


def cluster_trust() -> dict[str, Any]:
    # TagSession: EKS tags its sessions (required for EKS Auto Mode and harmless otherwise).
    return service_trust("eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession"))


def node_trust() -> dict[str, Any]:
    return service_trust("ec2.amazonaws.com")


def cluster_kms_policy(key_arn: str) -> dict[str, Any]:
    """What the control plane needs on the secrets key (envelope encryption of Secrets in etcd)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"],
                "Resource": key_arn,
            }
        ],
    }


def secrets_key_policy(account_id: str, partition: str) -> dict[str, Any]:
    """The account administers the key through IAM; use is granted by the cluster role's policy."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            account_administers_key(account_id, partition)
        ],
    }


def ebs_csi_kms_policy(key_arn: str) -> dict[str, Any]:
    """What the EBS CSI controller needs to create and attach volumes encrypted with the stack's key:
    data-key use, and grants only for AWS resources (EBS hands the grant to the instance)
    (docs.aws.amazon.com/eks/latest/userguide/ebs-csi.html, "KMS key" policy)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "UseForVolumes",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": key_arn,
            },
            {
                "Sid": "GrantsForAttachments",
                "Effect": "Allow",
                "Action": ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"],
                "Resource": key_arn,
                "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}},
            },
        ],
    }
