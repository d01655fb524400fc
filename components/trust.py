"""IAM trust policies (who may assume a role), shared by every component that creates roles."""

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
