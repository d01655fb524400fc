"""IAM, trust and KMS documents of the core (pure functions): exact principals, scoped resources,
and a boundary that caps the region and closes every IAM escalation path."""

from __future__ import annotations

import pytest

from components.boundary.iam import boundary_arn, boundary_policy
from components.cluster.iam import (
    NODE_MANAGED_POLICIES,
    access_policy_arn,
    cluster_kms_policy,
    cluster_trust,
    managed_policy_arn,
    node_trust,
    secrets_key_policy,
)
from components.kms import log_key_policy
from components.network.iam import flow_log_policy, flow_log_trust
from components.trust import pod_identity_trust

ARN = "arn:aws:iam::111122223333:policy/llm-platform-t-boundary"


def statements(doc):
    return {s.get("Sid", str(i)): s for i, s in enumerate(doc["Statement"])}


def denied_actions(doc, resource="*"):
    out = set()
    for s in doc["Statement"]:
        if s["Effect"] == "Deny" and "Action" in s and s["Resource"] == resource:
            out.update(s["Action"])
    return out


# ---- boundary ---------------------------------------------------------------------------------

def test_boundary_arn_is_computable_before_the_policy_exists():
    assert boundary_arn("aws", "111122223333", "llm-platform-t-boundary") == ARN
    assert boundary_arn("aws-cn", "1", "b", "/x/") == "arn:aws-cn:iam::1:policy/x/b"


def test_boundary_scopes_everything_but_global_services_to_the_stack_region():
    deny = statements(boundary_policy(ARN, "eu-west-1", "llm-platform-t"))["DenyOutsideRegion"]
    assert deny["Effect"] == "Deny" and deny["Resource"] == "*"
    assert deny["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}
    # Global services answer from us-east-1 whatever the stack region: they must stay usable.
    assert {"iam:*", "sts:*", "pricing:*"} <= set(deny["NotAction"])
    assert not {"ec2:*", "eks:*", "s3:*", "kms:*"} & set(deny["NotAction"])


@pytest.mark.parametrize("action", ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile",
                                    "iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary"])
def test_boundary_denies_escalation_outright(action):
    assert action in denied_actions(boundary_policy(ARN, "us-west-2", "llm-platform-t"))


def test_boundary_denies_editing_or_deleting_itself():
    assert {"iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion"} <= denied_actions(
        boundary_policy(ARN, "us-west-2", "llm-platform-t"), resource=ARN
    )


def test_boundary_denies_roles_and_boundary_changes_that_do_not_carry_this_boundary():
    stmt = statements(boundary_policy(ARN, "us-west-2", "llm-platform-t"))["DenyPrincipalsWithoutThisBoundary"]
    assert stmt["Effect"] == "Deny"
    assert set(stmt["Action"]) == {"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary"}
    assert stmt["Condition"] == {"StringNotEquals": {"iam:PermissionsBoundary": ARN}}


def test_boundary_allows_no_iam_wildcard_and_no_escalating_action():
    doc = boundary_policy(ARN, "us-west-2", "llm-platform-t")
    allowed = {a for s in doc["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    assert "iam:*" not in allowed and "*" not in allowed
    iam_allowed = {a for a in allowed if a.startswith("iam:")}
    assert not iam_allowed & denied_actions(doc)
    assert not {"iam:CreateRole", "iam:AttachRolePolicy", "iam:PutRolePolicy", "iam:CreatePolicyVersion"} & iam_allowed
    # What Karpenter and the controllers legitimately need.
    assert {"iam:PassRole", "iam:CreateInstanceProfile", "iam:AddRoleToInstanceProfile", "iam:CreateServiceLinkedRole",
            "sts:AssumeRoleWithWebIdentity", "sts:TagSession", "pricing:GetProducts", "ec2:*", "sqs:*", "eks-auth:*"} <= allowed


def test_boundary_lets_only_the_stack_own_roles_be_passed():
    doc = boundary_policy(ARN, "us-west-2", "llm-platform-t")
    passing = [s for s in doc["Statement"] if s["Effect"] == "Allow" and "iam:PassRole" in s["Action"]]
    assert passing == [{"Sid": "AllowPassingStackRoles", "Effect": "Allow", "Action": ["iam:PassRole"],
                        "Resource": "arn:aws:iam::111122223333:role/llm-platform-t-*"}]


# ---- trust policies -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("doc", "service", "actions"),
    [
        (cluster_trust(), "eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]),
        (node_trust(), "ec2.amazonaws.com", ["sts:AssumeRole"]),
        (pod_identity_trust(), "pods.eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]),
    ],
)
def test_trust_names_exactly_one_service_principal(doc, service, actions):
    [stmt] = doc["Statement"]
    stmt = {k: v for k, v in stmt.items() if k != "Sid"}
    assert stmt == {"Effect": "Allow", "Principal": {"Service": service}, "Action": actions}


def test_flow_log_trust_is_guarded_against_confused_deputy():
    [stmt] = flow_log_trust("111122223333", "aws", "us-east-1")["Statement"]
    assert stmt["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"} and stmt["Action"] == "sts:AssumeRole"
    assert stmt["Condition"]["StringEquals"] == {"aws:SourceAccount": "111122223333"}
    assert stmt["Condition"]["ArnLike"] == {"aws:SourceArn": "arn:aws:ec2:us-east-1:111122223333:vpc-flow-log/*"}


def test_flow_log_role_writes_only_its_own_group():
    group = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/vpc/x/flow-logs"
    write, describe = flow_log_policy(group)["Statement"]
    assert write["Resource"] == [group, f"{group}:*"]
    assert set(write["Action"]) == {"logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"}
    assert describe["Action"] == ["logs:DescribeLogGroups"]


# ---- KMS --------------------------------------------------------------------------------------

def test_log_key_is_usable_by_cloudwatch_logs_only_for_the_named_groups():
    doc = log_key_policy("111122223333", "aws", "us-east-1", "/aws/eks/llm-platform-prod/")
    admin, logs = doc["Statement"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        "arn:aws:logs:us-east-1:111122223333:log-group:/aws/eks/llm-platform-prod/*"
    )
    assert not any(a.startswith("kms:Delete") or a == "kms:*" for a in logs["Action"])


def test_secrets_key_is_administered_by_the_account_and_used_by_the_cluster_role():
    [admin] = secrets_key_policy("111122223333", "aws")["Statement"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    [use] = cluster_kms_policy("arn:aws:kms:us-east-1:111122223333:key/k")["Statement"]
    assert use["Resource"] == "arn:aws:kms:us-east-1:111122223333:key/k"
    assert set(use["Action"]) == {"kms:Encrypt", "kms:Decrypt", "kms:ListGrants", "kms:DescribeKey"}


def test_managed_policy_and_access_policy_arns():
    assert managed_policy_arn("aws", "AmazonEKSWorkerNodePolicy") == "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy"
    assert access_policy_arn("aws", "AmazonEKSClusterAdminPolicy") == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
    assert set(NODE_MANAGED_POLICIES) == {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy", "AmazonEC2ContainerRegistryPullOnly"}
