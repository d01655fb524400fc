"""The permissions boundary documents: the most any role of the stack may ever do.

Identity policies grant the least privilege each workload needs; a boundary caps them, so a leaked
or over-broad identity policy still cannot leave the region, escalate through IAM, make itself
cluster admin, bind roles to service accounts, run commands on nodes, destroy keys or audit logs,
open the model bucket, rewrite instance user data, assume a role outside the stack, or edit the
boundary. Two boundaries: `workload` (no IAM, no instance launch, no EKS writes) and `controller`
(the roles that launch nodes: ec2:RunInstances and iam:PassRole of the one role they pass).
Pattern: docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
"""

from __future__ import annotations

from fnmatch import fnmatchcase
from typing import Any

from components.boundary.actions import (
    BOUNDARY_EDIT_ACTIONS,
    BOUNDARY_REQUIRED_ACTIONS,
    CONTROLLER,
    CONTROLLER_ACTIONS,
    DENIED,
    GLOBAL_SERVICE_ACTIONS,
    SERVICE_LINKED_ROLE_SERVICES,
    WORKLOAD,
    WORKLOAD_ACTIONS,
    WORKLOAD_DENIED,
)

Document = dict[str, Any]


def boundary_arn(partition: str, account_id: str, name: str, path: str = "/") -> str:
    """A boundary policy's ARN, known before the policy exists (it must name itself)."""
    return f"arn:{partition}:iam::{account_id}:policy{path}{name}"


def stack_role_pattern(policy_arn: str, cluster_name: str) -> str:
    """ARN pattern of the roles this stack names after its cluster (components.trust.role_name)."""
    prefix = policy_arn.split(":policy/", 1)[0]
    return f"{prefix}:role/{cluster_name}-*"


def role_arn(policy_arn: str, name: str) -> str:
    return f"{policy_arn.split(':policy/', 1)[0]}:role/{name}"


def _common(policy_arn: str, region: str, cluster_name: str) -> list[Document]:
    """The denies both boundaries carry."""
    deny = [{"Sid": sid, "Effect": "Deny", "Action": sorted(actions), "Resource": "*"} for sid, actions in DENIED.items()]
    return [
        {
            "Sid": "DenyOutsideRegion",
            "Effect": "Deny",
            "NotAction": list(GLOBAL_SERVICE_ACTIONS),
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": [region]}},
        },
        *deny,
        # No way out of the boundary through a role that is not the stack's own.
        {"Sid": "DenyAssumingForeignRoles", "Effect": "Deny", "Action": ["sts:AssumeRole"],
         "NotResource": stack_role_pattern(policy_arn, cluster_name)},
        {"Sid": "DenyBoundaryEdit", "Effect": "Deny", "Action": sorted(BOUNDARY_EDIT_ACTIONS), "Resource": policy_arn},
        {
            "Sid": "DenyPrincipalsWithoutThisBoundary",
            "Effect": "Deny",
            "Action": sorted(BOUNDARY_REQUIRED_ACTIONS),
            "Resource": "*",
            "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": policy_arn}},
        },
    ]


def workload_boundary(policy_arn: str, region: str, cluster_name: str) -> Document:
    """Serving slots, KEDA, add-ons, nodes, flow logs: what they use, and never IAM, instance
    launch or EKS writes (denied explicitly, so a later allow cannot reopen them)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowWorkloadActions", "Effect": "Allow", "Action": list(WORKLOAD_ACTIONS), "Resource": "*"},
            *_common(policy_arn, region, cluster_name),
            {"Sid": "DenyIamLaunchAndEksWrites", "Effect": "Deny", "Action": list(WORKLOAD_DENIED), "Resource": "*"},
        ],
    }


def controller_boundary(policy_arn: str, region: str, cluster_name: str, passed_role: str) -> Document:
    """The roles that launch nodes: their actions, plus iam:PassRole of exactly `passed_role`
    (Karpenter's node role) and nothing else; user data of running instances stays untouchable."""
    passed = role_arn(policy_arn, passed_role)
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AllowControllerActions", "Effect": "Allow", "Action": list(CONTROLLER_ACTIONS), "Resource": "*"},
            {"Sid": "AllowPassingTheNodeRole", "Effect": "Allow", "Action": ["iam:PassRole"], "Resource": passed},
            {
                "Sid": "AllowLoadBalancingServiceLinkedRole",
                "Effect": "Allow",
                "Action": ["iam:CreateServiceLinkedRole"],
                "Resource": "*",
                "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED_ROLE_SERVICES)}},
            },
            *_common(policy_arn, region, cluster_name),
            {"Sid": "DenyPassingOtherRoles", "Effect": "Deny", "Action": ["iam:PassRole"], "NotResource": passed},
            # ModifyInstanceAttribute (AmazonEKSClusterPolicy) minus its user-data form; both the
            # attribute-name and the attribute-key condition of the action are covered.
            {"Sid": "DenyUserDataChanges", "Effect": "Deny", "Action": ["ec2:ModifyInstanceAttribute"], "Resource": "*",
             "Condition": {"StringEqualsIgnoreCase": {"ec2:Attribute": "userData"}}},
            {"Sid": "DenyUserDataValueChanges", "Effect": "Deny", "Action": ["ec2:ModifyInstanceAttribute"], "Resource": "*",
             "Condition": {"Null": {"ec2:Attribute/userData": "false"}}},
        ],
    }


BOUNDARY_KINDS = (WORKLOAD, CONTROLLER)


def _matches(pattern: str, action: str) -> bool:
    """IAM action matching: case-insensitive, `*` and `?` wildcards."""
    return fnmatchcase(action.lower(), pattern.lower())


def _actions(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def permits(doc: Document, action: str) -> bool:
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
