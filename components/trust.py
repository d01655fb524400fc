"""Who may assume a role (trust policies), how stack roles are named, and who administers a KMS
key: statements shared by every component that creates roles or keys."""

from __future__ import annotations

import hashlib
from typing import Any

# IAM role names are at most 64 characters (docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html).
ROLE_NAME_MAX = 64


def service_trust(service: str, actions: tuple[str, ...] = ("sts:AssumeRole",)) -> dict[str, Any]:
    """An AWS service principal may assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}],
    }


def pod_identity_trust(account_id: str, cluster_name: str, namespace: str, service_account: str) -> dict[str, Any]:
    """EKS Pod Identity, scoped: the agent may assume the role only from this account and only for
    the (cluster, namespace, service account) it serves. Pod Identity sets those three as session
    tags, which is why sts:TagSession is required and why the tags can be conditioned on
    (docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html, pod-id-abac.html#pod-id-abac-tags).
    Without them a PodIdentityAssociation in any cluster of the account could bind the role."""
    trust = service_trust("pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession"))
    trust["Statement"][0] = {
        "Sid": "EksPodIdentity",
        **trust["Statement"][0],
        "Condition": {
            "StringEquals": {
                "aws:SourceAccount": account_id,
                "aws:RequestTag/eks-cluster-name": cluster_name,
                "aws:RequestTag/kubernetes-namespace": namespace,
                "aws:RequestTag/kubernetes-service-account": service_account,
            }
        },
    }
    return trust


def account_of(arn: str) -> str:
    """The account id field of an ARN (arn:partition:service:region:account:...)."""
    parts = arn.split(":")
    if len(parts) < 6 or not parts[4].isdigit():
        raise ValueError(f"not an account-scoped ARN: {arn!r}")
    return parts[4]


def role_name(cluster_name: str, *parts: str) -> str:
    """`<cluster>-<parts>`: every stack role carries its cluster's name, so roles of two stacks in
    one account never collide and the boundary can name the stack's roles by prefix. Names over the
    IAM limit keep the prefix and end in a short digest of the full name."""
    full = "-".join((cluster_name, *parts))
    if len(full) <= ROLE_NAME_MAX:
        return full
    digest = hashlib.sha256(full.encode()).hexdigest()[:8]
    return f"{full[: ROLE_NAME_MAX - 9]}-{digest}"


def account_administers_key(account_id: str, partition: str) -> dict[str, Any]:
    """Key-policy statement leaving the key's administration to the account's IAM policies (the
    default key policy's root statement), so no key becomes unmanageable."""
    return {
        "Sid": "AccountAdministers",
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
        "Action": "kms:*",
        "Resource": "*",
    }
