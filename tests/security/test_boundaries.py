"""The two permissions boundaries contain: each covers what its roles use (derived from every
synthesized stack, AWS managed policies included), allows nothing of the deny list, the workload
one allows no IAM, no instance launch and no EKS writes, and only node-launching roles carry the
controller one."""

from __future__ import annotations

import json

import pytest

from components.boundary.actions import CONTROLLER, DENIED, WORKLOAD, WORKLOAD_DENIED
from components.boundary.iam import controller_boundary, permits, workload_boundary
from infra.providers import cluster_name
from tests.security.iam_usage import MANAGED, as_doc, used_actions
from tests.support.paths import REFERENCE, STACKS

ACCOUNT = "123456789012"
# Withheld from the workload boundary on purpose (no IAM for workloads): the LB controller's
# service-linked-role creation (create it once per account: `aws iam create-service-linked-role
# --aws-service-name elasticloadbalancing.amazonaws.com`) and IAM server certificates (the stack
# terminates TLS with ACM certificates only).
WITHHELD = {"iam:CreateServiceLinkedRole", "iam:GetServerCertificate", "iam:ListServerCertificates"}
LAUNCHES_NODES = {"ec2:RunInstances", "ec2:CreateFleet", "autoscaling:UpdateAutoScalingGroup"}


def boundaries(stack, configs):
    cluster = cluster_name(configs[stack])
    arn = f"arn:aws:iam::{ACCOUNT}:policy/{cluster}-{{}}-boundary"
    return {
        WORKLOAD: workload_boundary(arn.format(WORKLOAD), configs[stack].region, cluster),
        CONTROLLER: controller_boundary(arn.format(CONTROLLER), configs[stack].region, cluster, f"{cluster}-karpenter-node"),
    }


@pytest.mark.parametrize("stack", STACKS)
def test_synthesized_boundaries_are_the_documents_tested_here(stack, inventories, configs):
    cluster = cluster_name(configs[stack])
    synthesized = {p.inputs["name"]: as_doc(p.inputs["policy"]) for p in inventories[stack].of_type("aws:iam/policy:Policy")}
    for kind, doc in boundaries(stack, configs).items():
        assert synthesized[f"{cluster}-{kind}-boundary"] == doc


@pytest.mark.parametrize("stack", STACKS)
def test_each_boundary_covers_every_action_its_roles_use(stack, inventories, configs):
    docs = boundaries(stack, configs)
    used = used_actions(inventories[stack])
    roles = {r.name: r for r in inventories[stack].of_type("aws:iam/role:Role")}
    kinds = {name: r.inputs["permissionsBoundary"].rsplit("-", 2)[-2] for name, r in roles.items()}
    assert set(kinds.values()) == {WORKLOAD, CONTROLLER}
    outside = {name: sorted(a for a in actions if not permits(docs[kinds[name]], a)) for name, actions in used.items()}
    withheld = set().union(*outside.values())
    assert withheld <= WITHHELD, {n: a for n, a in outside.items() if set(a) - WITHHELD}
    # Only roles that launch nodes carry the controller boundary, and every such role does.
    controllers = sorted(n for n, k in kinds.items() if k == CONTROLLER)
    assert controllers == sorted(n for n, a in used.items() if a & LAUNCHES_NODES)
    assert any(n.endswith("karpenter-controller") for n in controllers)


@pytest.mark.parametrize("kind", [WORKLOAD, CONTROLLER])
def test_no_boundary_permits_anything_of_the_deny_list(kind, configs):
    doc = boundaries("prod", configs)[kind]
    denied = [a for actions in DENIED.values() for a in actions]
    assert len(denied) > 30
    assert [a for a in denied if permits(doc, a)] == []
    # Assuming a role is possible only for the stack's own roles.
    [assume] = [s for s in doc["Statement"] if s["Sid"] == "DenyAssumingForeignRoles"]
    assert assume == {"Sid": "DenyAssumingForeignRoles", "Effect": "Deny", "Action": ["sts:AssumeRole"],
                      "NotResource": f"arn:aws:iam::{ACCOUNT}:role/llm-platform-prod-*"}


def test_workload_boundary_allows_no_iam_no_launch_and_no_eks_writes(configs):
    doc = boundaries("prod", configs)[WORKLOAD]
    for action in ("iam:PassRole", "iam:CreateRole", "iam:CreateServiceLinkedRole", "ec2:RunInstances", "ec2:CreateFleet",
                   "eks:CreateAccessEntry", "eks:UpdateClusterConfig", "eks:CreateNodegroup", "eks:DeleteCluster",
                   "ec2:ModifyInstanceAttribute", "sts:AssumeRole"):
        assert not permits(doc, action), action
    allowed = {a for s in doc["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    assert not [a for a in allowed if a.startswith(("iam:", "sts:")) or a.endswith(":*")]
    assert set(WORKLOAD_DENIED) <= {a for s in doc["Statement"] if s["Effect"] == "Deny" for a in s.get("Action", [])}


def test_controller_boundary_passes_only_the_node_role_and_never_touches_user_data(configs):
    doc = {s["Sid"]: s for s in boundaries("prod", configs)[CONTROLLER]["Statement"]}
    node_role = f"arn:aws:iam::{ACCOUNT}:role/llm-platform-prod-karpenter-node"
    assert doc["AllowPassingTheNodeRole"]["Resource"] == node_role
    assert doc["DenyPassingOtherRoles"]["NotResource"] == node_role
    assert [s for s in doc.values() if s["Effect"] == "Allow" and "iam:PassRole" in s["Action"] and s["Resource"] != node_role] == []
    assert doc["DenyUserDataChanges"]["Action"] == ["ec2:ModifyInstanceAttribute"]
    assert doc["DenyUserDataChanges"]["Condition"] == {"StringEqualsIgnoreCase": {"ec2:Attribute": "userData"}}
    assert doc["AllowLoadBalancingServiceLinkedRole"]["Condition"] == {
        "StringEquals": {"iam:AWSServiceName": ["elasticloadbalancing.amazonaws.com"]}}


def test_managed_policies_are_pinned_with_version_and_date():
    assert "z0ph/MAMIP" in MANAGED["source"]
    for name, entry in MANAGED["policies"].items():
        assert entry["version"].startswith("v") and len(entry["date"]) == 10 and entry["actions"], name
        assert entry["actions"] == sorted(set(entry["actions"])), name


def test_boundary_region_pin_exempts_only_global_services(configs):
    doc = {s["Sid"]: s for s in boundaries("prod", configs)[WORKLOAD]["Statement"]}
    assert doc["DenyOutsideRegion"]["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": [configs["prod"].region]}}
    assert set(doc["DenyOutsideRegion"]["NotAction"]) == {"iam:*", "sts:*", "pricing:*", "shield:*"}
    assert doc["DenyBoundaryEdit"]["Resource"] == f"arn:aws:iam::{ACCOUNT}:policy/llm-platform-prod-workload-boundary"
    assert {"iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:SetDefaultPolicyVersion"} <= set(doc["DenyBoundaryEdit"]["Action"])


def _reference_actions(node, out: set[str]) -> set[str]:
    """Every allowed action in a (derived) upstream reference document, nested JSON strings included."""
    if isinstance(node, dict):
        if node.get("Effect") == "Allow" and "Action" in node and "Principal" not in node:  # identity statements only
            out.update([node["Action"]] if isinstance(node["Action"], str) else node["Action"])
        for value in node.values():
            _reference_actions(value, out)
    elif isinstance(node, list):
        for value in node:
            _reference_actions(value, out)
    elif isinstance(node, str) and '"Statement"' in node:
        _reference_actions(json.loads(node), out)
    return out


def test_upstream_reference_policies_fit_their_boundaries(configs):
    """The LB controller's reference policy fits the workload boundary (IAM withheld on purpose),
    Karpenter's reference CloudFormation fits the controller boundary."""
    docs = boundaries("prod", configs)
    alb = _reference_actions(json.loads((REFERENCE / "aws-load-balancer-controller-iam-policy.json").read_text()), set())
    karpenter = _reference_actions(json.loads((REFERENCE / "karpenter-v1.14-cloudformation.json").read_text()), set())
    assert len(alb) > 40 and len(karpenter) > 20
    assert {a for a in alb if not permits(docs[WORKLOAD], a)} == WITHHELD
    # Node-role managed policies of the reference are the workload side; the controller's own
    # statements must all fit the controller boundary.
    assert sorted(a for a in karpenter if not permits(docs[CONTROLLER], a) and not permits(docs[WORKLOAD], a)) == []
