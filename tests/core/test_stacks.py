"""The synthesized stacks (the real program): what issue 3 promises for prod and dev, and the
invariants every role and every taggable AWS resource of every stack must keep (all components)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import synthesized
from tests.support.paths import STACKS

REQUIRED_TAGS = ("project", "environment", "team", "cost-center", "owner")


def one(inventory, type_):
    [resource] = inventory.of_type(type_)
    return resource


@pytest.fixture(scope="module")
def prod():
    return synthesized("prod")


def test_prod_network_spans_three_azs_with_a_nat_per_az(prod):
    subnets = prod.of_type("aws:ec2/subnet:Subnet")
    for tier in ("public", "private", "intra"):
        zones = {s.inputs["availabilityZone"] for s in subnets if s.tags.get("tier") == tier}
        assert len(zones) >= 3, tier
    nats = prod.of_type("aws:ec2/natGateway:NatGateway")
    public_subnets = {s.name for s in subnets if s.tags.get("tier") == "public"}
    assert len(nats) == len(public_subnets) >= 3


def test_dev_has_exactly_one_nat_gateway_and_can_be_destroyed():
    dev = synthesized("dev")
    assert len(dev.of_type("aws:ec2/natGateway:NatGateway")) == 1
    assert one(dev, "aws:eks/cluster:Cluster").inputs["deletionProtection"] is False


def test_prod_vpc_endpoints_and_flow_logs(prod):
    region = "us-east-1"
    endpoints = {e.inputs["serviceName"]: e.inputs["vpcEndpointType"] for e in prod.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert endpoints[f"com.amazonaws.{region}.s3"] == "Gateway"
    for service in ("ecr.api", "ecr.dkr", "sts"):
        assert endpoints[f"com.amazonaws.{region}.{service}"] == "Interface"
    flow = one(prod, "aws:ec2/flowLog:FlowLog")
    assert flow.inputs["trafficType"] == "ALL"
    groups = {g.inputs["name"]: g.inputs for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert groups["/aws/vpc/llm-platform-prod/flow-logs"]["retentionInDays"] == 365


def test_prod_cluster_is_private_encrypted_fully_logged_and_api_authenticated(prod):
    eks = one(prod, "aws:eks/cluster:Cluster").inputs
    assert eks["vpcConfig"]["endpointPublicAccess"] is False and eks["vpcConfig"]["endpointPrivateAccess"] is True
    assert eks["encryptionConfig"]["resources"] == ["secrets"]
    key_arn = eks["encryptionConfig"]["provider"]["keyArn"]
    keys = {k.name: k.inputs for k in prod.of_type("aws:kms/key:Key")}
    assert key_arn.startswith("arn:aws:kms:us-east-1:")
    assert all(k["enableKeyRotation"] is True for k in keys.values())
    assert set(eks["enabledClusterLogTypes"]) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    assert eks["accessConfig"] == {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False}
    assert eks["deletionProtection"] is True and eks["bootstrapSelfManagedAddons"] is False
    assert eks["upgradePolicy"] == {"supportType": "EXTENDED"} and eks["zonalShiftConfig"] == {"enabled": True}
    groups = {g.inputs["name"]: g.inputs for g in prod.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert groups["/aws/eks/llm-platform-prod/cluster"]["retentionInDays"] == 365
    admins = {a.inputs["principalArn"] for a in prod.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
              if a.inputs["policyArn"].endswith("/AmazonEKSClusterAdminPolicy")}
    assert admins == {"arn:aws:iam::444455556666:role/platform-admin", "arn:aws:iam::444455556666:role/platform-break-glass"}
    assert admins <= {e.inputs["principalArn"] for e in prod.of_type("aws:eks/accessEntry:AccessEntry")}


def test_prod_core_addons_are_pinned_and_overwrite_on_update(prod):
    addons = {a.inputs["addonName"]: a.inputs for a in prod.of_type("aws:eks/addon:Addon")}
    assert {"vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "aws-ebs-csi-driver"} <= set(addons)
    for name in ("vpc-cni", "coredns", "kube-proxy", "eks-pod-identity-agent", "aws-ebs-csi-driver"):
        assert addons[name]["resolveConflictsOnUpdate"] == "OVERWRITE"
        assert "-eksbuild." in addons[name]["addonVersion"], name
    assert json.loads(addons["vpc-cni"]["configurationValues"])["env"]["ENABLE_PREFIX_DELEGATION"] == "true"
    pairs = {(a.inputs["namespace"], a.inputs["serviceAccount"]) for a in prod.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")}
    assert {("kube-system", "karpenter"), ("kube-system", "ebs-csi-controller-sa")} <= pairs
    # one per slot that streams weights from S3
    assert {p for p in pairs if p[1].endswith("-vllm")} == {
        ("llm-chat", "chat-blue-vllm"), ("llm-chat", "chat-green-vllm"), ("llm-code", "code-blue-vllm"), ("llm-embed", "embed-blue-vllm"),
    }


def test_prod_system_node_group_is_on_demand_imdsv2_and_encrypted(prod):
    groups = [g for g in prod.of_type("aws:eks/nodeGroup:NodeGroup") if g.inputs.get("labels", {}).get("node-role") == "system"]
    [ng] = groups
    assert ng.inputs["capacityType"] == "ON_DEMAND"
    assert ng.inputs["nodeRepairConfig"] == {"enabled": True}
    assert {"key": "CriticalAddonsOnly", "value": "true", "effect": "NO_SCHEDULE"} in ng.inputs["taints"]
    assert ng.inputs["scalingConfig"] == {"minSize": 3, "desiredSize": 3, "maxSize": 6}
    templates = {t.urn: t for t in prod.of_type("aws:ec2/launchTemplate:LaunchTemplate")}
    [lt] = [t for t in templates.values() if t.parent == ng.parent]
    meta = lt.inputs["metadataOptions"]
    assert meta["httpTokens"] == "required" and meta["httpPutResponseHopLimit"] == 1
    [root] = lt.inputs["blockDeviceMappings"]
    assert root["ebs"]["encrypted"] == "true" and root["ebs"]["volumeType"] == "gp3" and root["ebs"]["volumeSize"] == 50
    # What the node group launches is outside default_tags: the cost tags ride on the tag specifications.
    for spec in lt.inputs["tagSpecifications"]:
        assert all(spec["tags"].get(k) for k in REQUIRED_TAGS), spec["resourceType"]
        assert spec["tags"]["environment"] == "prod"


def test_discovery_tag_on_private_subnets_and_the_node_security_group(prod):
    private = [s for s in prod.of_type("aws:ec2/subnet:Subnet") if s.tags.get("tier") == "private"]
    assert private and all(s.tags["karpenter.sh/discovery"] == "llm-platform-prod" for s in private)
    tagged = [g for g in prod.of_type("aws:ec2/securityGroup:SecurityGroup") if g.tags.get("karpenter.sh/discovery") == "llm-platform-prod"]
    assert len(tagged) == 1


# ---- invariants over every stack, every component ----------------------------------------------

@pytest.mark.parametrize("stack", STACKS)
def test_every_iam_role_carries_one_of_the_stack_permissions_boundaries(stack):
    inventory = synthesized(stack)
    names = {f"llm-platform-{stack}-{kind}-boundary" for kind in ("workload", "controller")}
    assert {p.inputs.get("name") for p in inventory.of_type("aws:iam/policy:Policy")} >= names
    expected = {f"arn:aws:iam::123456789012:policy/{n}" for n in names}
    roles = inventory.of_type("aws:iam/role:Role")
    assert roles
    missing = [r.name for r in roles if r.inputs.get("permissionsBoundary") not in expected]
    assert not missing, f"roles without a stack boundary: {missing}"


@pytest.mark.parametrize("stack", STACKS)
def test_every_taggable_aws_resource_has_the_cost_allocation_tags(stack):
    inventory = synthesized(stack)
    taggable = [r for r in inventory.resources if r.tags is not None]
    assert len(taggable) > 40
    missing = {r.name: [k for k in REQUIRED_TAGS if not r.tags.get(k)] for r in taggable}
    missing = {name: keys for name, keys in missing.items() if keys}
    assert not missing, missing
    assert all(r.tags["environment"] == stack for r in taggable)


@pytest.mark.parametrize("stack", STACKS)
def test_every_aws_resource_goes_through_the_explicit_provider(stack):
    inventory = synthesized(stack)
    [provider] = inventory.of_type("pulumi:providers:aws")
    strays = [r.name for r in inventory.resources if r.type.startswith("aws:") and r.provider != provider.urn]
    assert not strays, strays


def test_core_outputs_are_exported(prod):
    assert prod.outputs["oidcIssuer"].startswith("https://oidc.eks.us-east-1.amazonaws.com/id/")
    assert prod.outputs["clusterEndpoint"].startswith("https://") and prod.outputs["vpcId"].startswith("vpc-")
