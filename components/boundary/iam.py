"""The permissions boundary document: the most any role of the stack may ever do.

Identity policies grant the least privilege each workload needs; the boundary caps them all, so a
leaked or over-broad identity policy still cannot leave the region, escalate through IAM or edit
the boundary itself. Pattern: AWS "Permissions boundaries for IAM entities" (delegated role creation)
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
"""

from __future__ import annotations

from typing import Any

# Services the stack's roles call (nodes, Karpenter, EBS CSI, LB controller, KEDA, flow logs,
# serving pods pulling images and model weights).
REGIONAL_SERVICES = (
    "autoscaling", "cloudwatch", "ec2", "ecr", "eks", "eks-auth", "elasticloadbalancing", "events",
    "kms", "logs", "s3", "sqs", "ssm", "acm", "waf-regional", "wafv2", "shield", "cognito-idp", "tag",
    "secretsmanager", "aps", "xray", "arc-zonal-shift", "sns",  # sns: Alertmanager's receivers
)
# Global services (their endpoint is us-east-1 whatever the stack's region), so the region
# condition must not apply to them. Karpenter reads on-demand prices from the Pricing API.
GLOBAL_SERVICE_ACTIONS = ("iam:*", "sts:*", "pricing:*", "ce:*", "budgets:*", "route53:*", "health:*")
# The IAM actions stack roles need: Karpenter manages instance profiles for the node role, the LB
# controller and Karpenter create their service-linked roles, the LB controller reads server
# certificates, everything may read roles (passing them is scoped to the stack's own roles).
IAM_ACTIONS = (
    "iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile",
    "iam:GetInstanceProfile", "iam:ListInstanceProfiles", "iam:RemoveRoleFromInstanceProfile",
    "iam:TagInstanceProfile", "iam:CreateServiceLinkedRole", "iam:GetRole", "iam:ListRoles",
    "iam:GetServerCertificate", "iam:ListServerCertificates",
)
STS_ACTIONS = ("sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:TagSession", "sts:GetCallerIdentity")
OTHER_GLOBAL_ACTIONS = ("pricing:GetProducts", "pricing:DescribeServices", "ce:Get*", "budgets:View*")

# Escalation paths denied outright, whatever an identity policy says.
DENIED_IAM_ACTIONS = (
    "iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
    "iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary",
    "iam:AttachUserPolicy", "iam:PutUserPolicy", "iam:AddUserToGroup",
)
BOUNDARY_EDIT_ACTIONS = (
    "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy", "iam:UntagPolicy",
)
# Creating or re-bounding a principal is allowed only with this very boundary attached.
BOUNDARY_REQUIRED_ACTIONS = ("iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary")


def boundary_arn(partition: str, account_id: str, name: str, path: str = "/") -> str:
    """The boundary policy's ARN, known before the policy exists (it must name itself)."""
    return f"arn:{partition}:iam::{account_id}:policy{path}{name}"


def stack_role_pattern(policy_arn: str, cluster_name: str) -> str:
    """ARN pattern of the roles this stack names after its cluster (the ones it may pass)."""
    prefix = policy_arn.split(":policy/", 1)[0]
    return f"{prefix}:role/{cluster_name}-*"


def boundary_policy(policy_arn: str, region: str, cluster_name: str) -> dict[str, Any]:
    """`policy_arn` is this boundary's own ARN; only roles named `<cluster_name>-*` may be passed
    (Karpenter passes its node role to EC2), so no stack role can hand a foreign role to a service."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AllowRegionalServices",
                "Effect": "Allow",
                "Action": sorted(f"{service}:*" for service in REGIONAL_SERVICES),
                "Resource": "*",
            },
            {
                "Sid": "AllowGlobalServiceActions",
                "Effect": "Allow",
                "Action": sorted(IAM_ACTIONS + STS_ACTIONS + OTHER_GLOBAL_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "AllowPassingStackRoles",
                "Effect": "Allow",
                "Action": ["iam:PassRole"],
                "Resource": stack_role_pattern(policy_arn, cluster_name),
            },
            {
                "Sid": "DenyOutsideRegion",
                "Effect": "Deny",
                "NotAction": list(GLOBAL_SERVICE_ACTIONS),
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:RequestedRegion": [region]}},
            },
            {
                "Sid": "DenyIamEscalation",
                "Effect": "Deny",
                "Action": sorted(DENIED_IAM_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "DenyBoundaryEdit",
                "Effect": "Deny",
                "Action": sorted(BOUNDARY_EDIT_ACTIONS),
                "Resource": policy_arn,
            },
            {
                "Sid": "DenyPrincipalsWithoutThisBoundary",
                "Effect": "Deny",
                "Action": sorted(BOUNDARY_REQUIRED_ACTIONS),
                "Resource": "*",
                "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": policy_arn}},
            },
        ],
    }


def _matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, `*` and `?` wildcards."""
    from fnmatch import fnmatchcase

    return fnmatchcase(action.lower(), pattern.lower())


def _actions(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def permits(doc: dict[str, Any], action: str) -> bool:
    """Whether `doc` (a boundary) lets an identity policy grant `action` in the stack's region on
    some resource: an Allow matches it and no unconditional Deny on every resource blocks it."""
    allowed = any(
        s["Effect"] == "Allow" and any(_matches(p, action) for p in _actions(s.get("Action", [])))
        for s in doc["Statement"]
    )
    denied = any(
        s["Effect"] == "Deny" and "Condition" not in s and s.get("Resource") == "*"
        and any(_matches(p, action) for p in _actions(s.get("Action", [])))
        for s in doc["Statement"]
    )
    return allowed and not denied
