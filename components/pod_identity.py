"""An IAM role for one Kubernetes service account, bound through EKS Pod Identity: the shape every
component that gives pods AWS access uses (no IRSA annotations, no OIDC trust to maintain)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.trust import pod_identity_trust


def pod_identity_role(
    role_resource: str,
    association_resource: str,
    *,
    cluster_name: pulumi.Input[str],
    namespace: pulumi.Input[str],
    service_account: pulumi.Input[str],
    boundary_arn: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    association_opts: pulumi.ResourceOptions | None = None,
    **role_args: Any,
) -> tuple[aws.iam.Role, aws.eks.PodIdentityAssociation]:
    """The role (Pod Identity trust, the stack's permissions boundary) and its association with
    (cluster, namespace, service account). Callers attach the role's policies themselves.
    `role_args` passes name, description, max_session_duration... through to the Role."""
    role = aws.iam.Role(
        role_resource,
        assume_role_policy=json.dumps(pod_identity_trust()),
        permissions_boundary=boundary_arn,
        tags=tags,
        opts=opts,
        **role_args,
    )
    association = aws.eks.PodIdentityAssociation(
        association_resource,
        cluster_name=cluster_name,
        namespace=namespace,
        service_account=service_account,
        role_arn=role.arn,
        tags=tags,
        opts=association_opts or opts,
    )
    return role, association
