"""Who may assume a role (trust policies) and who administers a KMS key: statements shared by every
component that creates roles or keys."""

from __future__ import annotations

from typing import Any


def service_trust(service: str, actions: tuple[str, ...] = ("sts:AssumeRole",)) -> dict[str, Any]:
    """An AWS service principal may assume the role."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}],
    }


def pod_identity_trust() -> dict[str, Any]:
    """EKS Pod Identity: the agent assumes the role for the (cluster, namespace, service account)
    a PodIdentityAssociation pins and tags the session with them (sts:TagSession)
    (docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html)."""
    trust = service_trust("pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession"))
    trust["Statement"][0] = {"Sid": "EksPodIdentity", **trust["Statement"][0]}
    return trust


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
