"""Boundary, Network and Cluster under fresh recording mocks: child inputs and config toggles."""

from __future__ import annotations

import json
from ipaddress import IPv4Network

import pytest

from components.boundary.component import Boundary, BoundaryArgs
from components.cluster.component import Cluster, ClusterArgs
from components.cluster.models import ClusterConfig
from components.network.component import Network, NetworkArgs
from components.network.models import NetworkConfig
from llmctl.synth.mocks import MOCK_ACCOUNT
from llmctl.synth.runner import record

CONFIG = {"aws:region": "us-west-2"}
BOUNDARY = f"arn:aws:iam::{MOCK_ACCOUNT}:policy/t-boundary"


def network(**settings):
    cfg = NetworkConfig(cidr=IPv4Network("10.40.0.0/16"), **settings)
    return record(lambda: Network("t", NetworkArgs(cfg, "llm-platform-t", "us-west-2", BOUNDARY)), stack="t", config=CONFIG)


def cluster(**settings):
    cfg = ClusterConfig(**settings)
    args = ClusterArgs(cfg, "llm-platform-t", "us-west-2", "vpc-1", "10.40.0.0/16", ["subnet-p1", "subnet-p2"],
                       ["subnet-i1", "subnet-i2"], BOUNDARY, BOUNDARY, stack_tags={"team": "ml-platform"})
    return record(lambda: Cluster("t", args), stack="t", config=CONFIG)


def by_name(inventory, type_):
    return {r.name: r for r in inventory.of_type(type_)}


# ---- boundary -----------------------------------------------------------------------------

def test_boundaries_name_themselves_and_expose_the_arns_they_name():
    inv = record(lambda: Boundary("b", BoundaryArgs("llm-platform-t", "us-west-2", "llm-platform-t-karpenter-node")), stack="t", config=CONFIG)
    policies = {p.inputs["name"]: p for p in inv.of_type("aws:iam/policy:Policy")}
    assert set(policies) == {"llm-platform-t-workload-boundary", "llm-platform-t-controller-boundary"}
    [component] = inv.of_type("llm-platform:boundary:Boundary")
    for name, policy in policies.items():
        doc = json.loads(policy.inputs["policy"])
        assert {s["Sid"]: s for s in doc["Statement"]}["DenyBoundaryEdit"]["Resource"] == f"arn:aws:iam::{MOCK_ACCOUNT}:policy/{name}"
        assert policy.inputs["path"] == "/" and policy.parent == component.urn


# ---- network ------------------------------------------------------------------------------

@pytest.mark.parametrize(("nat", "expected"), [("perAz", 3), ("single", 1)])
def test_nat_gateways_per_az_or_single_and_every_private_route_uses_one(nat, expected):
    inv = network(nat_gateways=nat)
    nats = inv.of_type("aws:ec2/natGateway:NatGateway")
    assert len(nats) == expected == len(inv.of_type("aws:ec2/eip:Eip"))
    public_ids = {r.inputs.get("cidrBlock") for r in inv.of_type("aws:ec2/subnet:Subnet") if r.tags["tier"] == "public"}
    assert len(public_ids) == 3
    private_routes = [r for r in inv.of_type("aws:ec2/route:Route") if "natGatewayId" in r.inputs]
    assert len(private_routes) == 3 and all(r.inputs["destinationCidrBlock"] == "0.0.0.0/0" for r in private_routes)
    assert len({r.inputs["natGatewayId"] for r in private_routes}) == expected


def test_subnet_tiers_carry_the_load_balancer_and_karpenter_discovery_tags():
    subnets = network().of_type("aws:ec2/subnet:Subnet")
    tiers = {tier: [s for s in subnets if s.tags["tier"] == tier] for tier in ("public", "private", "intra")}
    assert all(len(v) == 3 for v in tiers.values())
    assert {s.inputs["availabilityZone"] for s in tiers["private"]} == {"us-west-2a", "us-west-2b", "us-west-2c"}
    for s in tiers["public"]:
        assert s.tags["kubernetes.io/role/elb"] == "1" and "karpenter.sh/discovery" not in s.tags
        assert s.inputs.get("mapPublicIpOnLaunch") is False
    for s in tiers["private"]:
        assert s.tags["kubernetes.io/role/internal-elb"] == "1" and s.tags["karpenter.sh/discovery"] == "llm-platform-t"
    for s in tiers["intra"]:
        assert not {"kubernetes.io/role/elb", "kubernetes.io/role/internal-elb", "karpenter.sh/discovery"} & set(s.tags)


def test_intra_subnets_have_no_route_out_of_the_vpc():
    inv = network()
    associations = inv.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    intra_tables = {a.inputs["routeTableId"] for a in associations if "-intra-" in a.name}
    private_tables = {a.inputs["routeTableId"] for a in associations if "-private-" in a.name}
    assert len(intra_tables) == 1 and len(private_tables) == 3
    routes = inv.of_type("aws:ec2/route:Route")
    assert len(routes) == 1 + 3  # public default + one per private route table
    assert not {r.inputs["routeTableId"] for r in routes} & intra_tables
    assert {r.inputs["routeTableId"] for r in routes if "natGatewayId" in r.inputs} == private_tables


def test_endpoints_s3_gateway_on_private_route_tables_and_interface_endpoints_with_private_dns():
    inv = network(interface_endpoints=["ecr.api", "ecr.dkr", "sts"])
    endpoints = {r.inputs["serviceName"]: r for r in inv.of_type("aws:ec2/vpcEndpoint:VpcEndpoint")}
    assert set(endpoints) == {f"com.amazonaws.us-west-2.{s}" for s in ("s3", "ecr.api", "ecr.dkr", "sts")}
    s3 = endpoints.pop("com.amazonaws.us-west-2.s3")
    assert s3.inputs["vpcEndpointType"] == "Gateway" and len(s3.inputs["routeTableIds"]) == 3
    for ep in endpoints.values():
        assert ep.inputs["vpcEndpointType"] == "Interface" and ep.inputs["privateDnsEnabled"] is True
        assert len(ep.inputs["subnetIds"]) == 3
    [sg] = inv.of_type("aws:ec2/securityGroup:SecurityGroup")
    assert sg.inputs["ingress"] == [{"cidrBlocks": ["10.40.0.0/16"], "description": "HTTPS from the VPC", "fromPort": 443,
                                     "protocol": "tcp", "toPort": 443}]
    assert sg.inputs["egress"] == []


def test_flow_logs_all_traffic_to_an_encrypted_group_with_retention_through_a_bounded_role():
    inv = network(flow_log_retention_days=30)
    [flow] = inv.of_type("aws:ec2/flowLog:FlowLog")
    [group] = inv.of_type("aws:cloudwatch/logGroup:LogGroup")
    [role] = inv.of_type("aws:iam/role:Role")
    [key] = inv.of_type("aws:kms/key:Key")
    assert flow.inputs["trafficType"] == "ALL" and flow.inputs["logDestinationType"] == "cloud-watch-logs"
    assert group.inputs["retentionInDays"] == 30 and group.inputs["kmsKeyId"].startswith("arn:aws:kms:us-west-2:")
    assert key.inputs["enableKeyRotation"] is True
    assert role.inputs["permissionsBoundary"] == BOUNDARY
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
    [default_sg] = inv.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert not default_sg.inputs.get("ingress") and not default_sg.inputs.get("egress")


def test_every_network_child_is_parented_and_tagged_by_the_component():
    inv = network()
    [component] = inv.of_type("llm-platform:network:Network")
    for r in inv.resources:
        if r.type.startswith("aws:"):
            assert r.parent == component.urn, r.name
            assert r.name.startswith("t-"), r.name
            if r.tags is not None:
                assert r.tags["component"] == "network" and r.tags["Name"].startswith("t-"), r.name


# ---- cluster ------------------------------------------------------------------------------

def test_private_endpoint_by_default_public_only_from_listed_cidrs():
    [eks] = cluster().of_type("aws:eks/cluster:Cluster")
    vpc = eks.inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is False and "publicAccessCidrs" not in vpc
    assert vpc["subnetIds"] == ["subnet-i1", "subnet-i2"]
    [eks] = cluster(public_access_cidrs=["203.0.113.0/24"]).of_type("aws:eks/cluster:Cluster")
    assert eks.inputs["vpcConfig"]["endpointPublicAccess"] is True
    assert eks.inputs["vpcConfig"]["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_one_access_entry_and_cluster_admin_association_per_admin_role():
    arns = ["arn:aws:iam::111122223333:role/platform-admin", "arn:aws:iam::111122223333:role/ops/Break_Glass"]
    inv = cluster(admin_role_arns=arns)
    entries = inv.of_type("aws:eks/accessEntry:AccessEntry")
    assocs = inv.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert sorted(e.inputs["principalArn"] for e in entries) == sorted(arns)
    assert all(e.inputs["type"] == "STANDARD" for e in entries)
    assert sorted(a.inputs["principalArn"] for a in assocs) == sorted(arns)
    for a in assocs:
        assert a.inputs["policyArn"] == "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
        assert a.inputs["accessScope"] == {"type": "cluster"}
    assert not cluster().of_type("aws:eks/accessEntry:AccessEntry")


def test_log_group_retention_and_kubernetes_version_follow_config():
    inv = cluster(log_retention_days=7, kubernetes_version="1.35")
    groups = {g.inputs["name"]: g for g in inv.of_type("aws:cloudwatch/logGroup:LogGroup")}
    assert groups["/aws/eks/llm-platform-t/cluster"].inputs["retentionInDays"] == 7
    [eks] = inv.of_type("aws:eks/cluster:Cluster")
    [ng] = inv.of_type("aws:eks/nodeGroup:NodeGroup")
    assert eks.inputs["version"] == ng.inputs["version"] == "1.35"
    addons = {a.inputs["addonName"]: a.inputs["addonVersion"] for a in inv.of_type("aws:eks/addon:Addon")}
    assert addons["kube-proxy"].startswith("v1.35.")


def test_system_node_group_sizes_tags_and_security_groups():
    inv = cluster(system_nodes={"instance_types": ["m7i.large"], "min_size": 1, "desired_size": 2, "max_size": 5, "disk_gib": 80})
    [ng] = inv.of_type("aws:eks/nodeGroup:NodeGroup")
    assert ng.inputs["scalingConfig"] == {"minSize": 1, "desiredSize": 2, "maxSize": 5}
    assert ng.inputs["subnetIds"] == ["subnet-p1", "subnet-p2"] and ng.inputs["instanceTypes"] == ["m7i.large"]
    [lt] = inv.of_type("aws:ec2/launchTemplate:LaunchTemplate")
    assert lt.inputs["blockDeviceMappings"][0]["ebs"]["volumeSize"] == 80
    assert ng.inputs["launchTemplate"]["version"] == "1"
    # Instances and volumes are tagged with the stack's cost tags (default_tags do not reach them).
    kinds = {spec["resourceType"]: spec["tags"] for spec in lt.inputs["tagSpecifications"]}
    assert set(kinds) == {"instance", "volume", "network-interface"}
    assert all(t["team"] == "ml-platform" and t["component"] == "cluster" for t in kinds.values())
    node_sg = by_name(inv, "aws:ec2/securityGroup:SecurityGroup")["t-nodes"]
    assert node_sg.tags["karpenter.sh/discovery"] == "llm-platform-t"
    assert len(lt.inputs["vpcSecurityGroupIds"]) == 2
    [tag] = inv.of_type("aws:ec2/tag:Tag")
    assert tag.inputs["key"] == "karpenter.sh/discovery" and tag.inputs["value"] == "llm-platform-t"


def test_ebs_csi_gets_a_bounded_pod_identity_role():
    inv = cluster()
    [assoc] = inv.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    assert (assoc.inputs["namespace"], assoc.inputs["serviceAccount"]) == ("kube-system", "ebs-csi-controller-sa")
    roles = by_name(inv, "aws:iam/role:Role")
    assert assoc.inputs["roleArn"].endswith(roles["t-ebs-csi"].inputs.get("name", "t-ebs-csi"))
    attached = {a.inputs["policyArn"] for a in inv.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")}
    assert "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy" in attached
    assert all(r.inputs["permissionsBoundary"] == BOUNDARY for r in roles.values())


def test_kubernetes_provider_uses_server_side_apply_and_an_exec_kubeconfig():
    [provider] = cluster().of_type("pulumi:providers:kubernetes")
    assert provider.inputs["enableServerSideApply"] in (True, "true")
    doc = json.loads(provider.inputs["kubeconfig"])
    assert doc["users"][0]["user"]["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", "llm-platform-t"]
    assert doc["clusters"][0]["cluster"]["server"].startswith("https://")


def test_every_cluster_child_is_parented_inside_the_component_and_named_from_it():
    inv = cluster(admin_role_arns=["arn:aws:iam::111122223333:role/platform-admin"])
    [component] = inv.of_type("llm-platform:cluster:Cluster")
    [nodes] = inv.of_type("llm-platform:cluster:SystemNodeGroup")
    assert nodes.parent == component.urn
    for r in inv.resources:
        if r.type.startswith(("aws:", "pulumi:providers:kubernetes")):
            assert r.parent in (component.urn, nodes.urn), r.name
            assert r.name.startswith("t-"), r.name
            if r.tags is not None:
                assert r.tags["component"] == "cluster" and r.tags["Name"].startswith("llm-platform-t"), r.name


def test_security_group_rules_between_nodes_control_plane_and_vpc():
    inv = cluster()
    ingress = {r.name: r.inputs for r in inv.of_type("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")}
    assert ingress["t-cluster-from-vpc"]["cidrIpv4"] == "10.40.0.0/16"
    assert (ingress["t-cluster-from-vpc"]["fromPort"], ingress["t-cluster-from-vpc"]["toPort"]) == (443, 443)
    assert ingress["t-nodes-self"]["ipProtocol"] == "-1"
    assert ingress["t-nodes-cluster-443"]["fromPort"] == 443
    # Only the VPC CIDR is ever a source; nothing is open to the internet.
    assert not any(r.get("cidrIpv4") == "0.0.0.0/0" for r in ingress.values())
