"""An IAM role for one Kubernetes service account, bound through EKS Pod Identity: the shape every
component that gives pods AWS access uses (no IRSA annotations, no OIDC trust to maintain)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
import pulumi_aws as aws

from components.trust import account_of, pod_identity_trust


def pod_identity_role(
    role_resource: str,
    association_resource: str,
    *,
    name: pulumi.Input[str],
    cluster_name: pulumi.Input[str],
    namespace: pulumi.Input[str],
    service_account: pulumi.Input[str],
    boundary_arn: pulumi.Input[str],
    tags: dict[str, str],
    opts: pulumi.ResourceOptions,
    association_opts: pulumi.ResourceOptions | None = None,
    **role_args: Any,
) -> tuple[aws.iam.Role, aws.eks.PodIdentityAssociation]:
    """The role (Pod Identity trust scoped to this account, cluster, namespace and service account;
    the boundary `boundary_arn`) and its association. `name` is the role's physical name,
    `<cluster>-...` (components.trust.role_name). Callers attach the role's policies themselves.
    `role_args` passes description, max_session_duration... through to the Role."""
    # The boundary lives in the stack's account: its ARN names the account the trust must pin.
    trust = pulumi.Output.all(boundary_arn, cluster_name, namespace, service_account).apply(
        lambda v: json.dumps(pod_identity_trust(account_of(v[0]), v[1], v[2], v[3]))
    )
    role = aws.iam.Role(
        role_resource,
        name=name,
        assume_role_policy=trust,
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
