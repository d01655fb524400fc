"""IAM, trust and KMS documents of the core (pure functions): exact principals, scoped resources,
and a boundary that caps the region and closes every IAM escalation path."""

from __future__ import annotations

import pytest

from components.boundary.iam import boundary_arn, controller_boundary, workload_boundary
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
        if s["Effect"] == "Deny" and "Action" in s and s.get("Resource") == resource:
            out.update(s["Action"])
    return out


# ---- boundary (tests/security/test_boundaries.py covers the documents) ----------------------

def test_boundary_arn_is_computable_before_the_policy_exists():
    assert boundary_arn("aws", "111122223333", "llm-platform-t-boundary") == ARN
    assert boundary_arn("aws-cn", "1", "b", "/x/") == "arn:aws-cn:iam::1:policy/x/b"


@pytest.mark.parametrize("doc", [workload_boundary(ARN, "eu-west-1", "llm-platform-t"),
                                 controller_boundary(ARN, "eu-west-1", "llm-platform-t", "llm-platform-t-karpenter-node")])
def test_boundaries_pin_the_region_close_escalation_and_guard_themselves(doc):
    by_sid = statements(doc)
    assert by_sid["DenyOutsideRegion"]["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1"]}}
    assert {"iam:CreateUser", "iam:CreateAccessKey", "iam:DeleteRolePermissionsBoundary", "iam:AttachRolePolicy"} <= denied_actions(doc)
    assert {"iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"} <= denied_actions(doc, resource=ARN)
    stmt = by_sid["DenyPrincipalsWithoutThisBoundary"]
    assert set(stmt["Action"]) == {"iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary"}
    assert stmt["Condition"] == {"StringNotEquals": {"iam:PermissionsBoundary": ARN}}
    allowed = {a for s in doc["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    assert "*" not in allowed and not [a for a in allowed if a.endswith(":*")]


# ---- trust policies -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("doc", "service", "actions"),
    [
        (cluster_trust(), "eks.amazonaws.com", ["sts:AssumeRole", "sts:TagSession"]),
        (node_trust(), "ec2.amazonaws.com", ["sts:AssumeRole"]),
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


def test_pod_identity_trust_is_scoped_to_account_cluster_namespace_and_service_account():
    [stmt] = pod_identity_trust("111122223333", "llm-platform-t", "llm-chat", "chat-blue-vllm")["Statement"]
    assert stmt["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    # TagSession is required: Pod Identity passes the session tags the conditions read.
    assert stmt["Action"] == ["sts:AssumeRole", "sts:TagSession"]
    assert stmt["Condition"] == {"StringEquals": {
        "aws:SourceAccount": "111122223333",
        "aws:RequestTag/eks-cluster-name": "llm-platform-t",
        "aws:RequestTag/kubernetes-namespace": "llm-chat",
        "aws:RequestTag/kubernetes-service-account": "chat-blue-vllm",
    }}


def test_role_names_carry_the_cluster_and_fit_iam_limit():
    from components.trust import account_of, role_name

    assert role_name("llm-platform-prod", "chat", "blue") == "llm-platform-prod-chat-blue"
    long = role_name("llm-platform-prod", "a" * 80, "green")
    assert len(long) == 64 and long.startswith("llm-platform-prod-aaa")
    assert long != role_name("llm-platform-prod", "a" * 80, "blue")
    assert account_of("arn:aws:iam::111122223333:policy/x") == "111122223333"
    with pytest.raises(ValueError, match="not an account-scoped ARN"):
        account_of("arn:aws:s3:::bucket")
