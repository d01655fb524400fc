"""Network: the VPC over N AZs, NAT, VPC endpoints and flow logs for one EKS cluster."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.catalog import availability_zones
from components.kms import log_key_policy
from components.network.iam import flow_log_policy, flow_log_trust
from components.network.models import NetworkConfig
from components.network.subnets import plan_subnets
from components.tagging import resource_tags

COMPONENT = "network"


@dataclass
class NetworkArgs:
    config: NetworkConfig
    cluster_name: str
    region: str
    boundary_arn: pulumi.Input[str]


class Network(pulumi.ComponentResource):
    vpc_id: pulumi.Output[str]
    vpc_cidr: str
    private_subnet_ids: list[pulumi.Output[str]]
    public_subnet_ids: list[pulumi.Output[str]]
    intra_subnet_ids: list[pulumi.Output[str]]
    azs: list[str]

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:network:Network", name, None, opts)
        cfg, cluster = args.config, args.cluster_name
        child = pulumi.ResourceOptions(parent=self)
        # Zones from the catalog rather than an invoke: the plan (and every logical name) must not
        # shift when AWS adds a zone; the config already rejects azCount > zones of the region.
        self.azs = availability_zones(args.region, cfg.az_count)
        self.vpc_cidr = str(cfg.cidr)
        plan = plan_subnets(cfg.cidr, cfg.az_count)

        def tags(res: str, **extra: str) -> dict[str, str]:
            return resource_tags(COMPONENT, f"{name}-{res}", **extra)

        self.vpc = aws.ec2.Vpc(
            f"{name}-vpc", cidr_block=self.vpc_cidr, enable_dns_support=True, enable_dns_hostnames=True,
            tags=tags("vpc"), opts=child,
        )
        # CIS AWS 5.4: the default security group allows nothing.
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=self.vpc.id, tags=tags("default-sg"), opts=child)
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=self.vpc.id, tags=tags("igw"), opts=child)

        public, private, intra = [], [], []
        for i, az in enumerate(self.azs):
            suffix = az[-1]
            public.append(aws.ec2.Subnet(
                f"{name}-public-{suffix}", vpc_id=self.vpc.id, cidr_block=str(plan.public[i]), availability_zone=az,
                map_public_ip_on_launch=False,
                tags=tags(f"public-{suffix}", tier="public", **{"kubernetes.io/role/elb": "1"}), opts=child,
            ))
            private.append(aws.ec2.Subnet(
                f"{name}-private-{suffix}", vpc_id=self.vpc.id, cidr_block=str(plan.private[i]), availability_zone=az,
                tags=tags(f"private-{suffix}", tier="private", **{"kubernetes.io/role/internal-elb": "1", "karpenter.sh/discovery": cluster}),
                opts=child,
            ))
            intra.append(aws.ec2.Subnet(
                f"{name}-intra-{suffix}", vpc_id=self.vpc.id, cidr_block=str(plan.intra[i]), availability_zone=az,
                tags=tags(f"intra-{suffix}", tier="intra"), opts=child,
            ))

        public_rt = aws.ec2.RouteTable(f"{name}-public-rt", vpc_id=self.vpc.id, tags=tags("public-rt"), opts=child)
        aws.ec2.Route(f"{name}-public-default", route_table_id=public_rt.id, destination_cidr_block="0.0.0.0/0",
                      gateway_id=igw.id, opts=child)
        for subnet, az in zip(public, self.azs, strict=True):
            aws.ec2.RouteTableAssociation(f"{name}-public-{az[-1]}", subnet_id=subnet.id, route_table_id=public_rt.id, opts=child)

        nat_azs = self.azs if cfg.nat_gateways == "perAz" else self.azs[:1]
        nats = []
        for az, subnet in zip(nat_azs, public, strict=False):
            eip = aws.ec2.Eip(f"{name}-nat-{az[-1]}", domain="vpc", tags=tags(f"nat-{az[-1]}"), opts=child)
            nats.append(aws.ec2.NatGateway(
                f"{name}-nat-{az[-1]}", allocation_id=eip.id, subnet_id=subnet.id, connectivity_type="public",
                tags=tags(f"nat-{az[-1]}"), opts=pulumi.ResourceOptions(parent=self, depends_on=[igw]),
            ))

        private_rts = []
        for i, (subnet, az) in enumerate(zip(private, self.azs, strict=True)):
            rt = aws.ec2.RouteTable(f"{name}-private-rt-{az[-1]}", vpc_id=self.vpc.id, tags=tags(f"private-rt-{az[-1]}"), opts=child)
            nat = nats[i] if cfg.nat_gateways == "perAz" else nats[0]
            aws.ec2.Route(f"{name}-private-rt-{az[-1]}-default", route_table_id=rt.id, destination_cidr_block="0.0.0.0/0",
                          nat_gateway_id=nat.id, opts=child)
            aws.ec2.RouteTableAssociation(f"{name}-private-{az[-1]}", subnet_id=subnet.id, route_table_id=rt.id, opts=child)
            private_rts.append(rt)

        # Intra subnets only route inside the VPC: the control-plane ENIs never need the internet.
        intra_rt = aws.ec2.RouteTable(f"{name}-intra-rt", vpc_id=self.vpc.id, tags=tags("intra-rt"), opts=child)
        for subnet, az in zip(intra, self.azs, strict=True):
            aws.ec2.RouteTableAssociation(f"{name}-intra-{az[-1]}", subnet_id=subnet.id, route_table_id=intra_rt.id, opts=child)

        self._endpoints(name, args, private, private_rts, tags)
        self._flow_logs(name, args, tags)

        self.vpc_id = self.vpc.id
        self.public_subnet_ids = [s.id for s in public]
        self.private_subnet_ids = [s.id for s in private]
        self.intra_subnet_ids = [s.id for s in intra]
        self.register_outputs({
            "vpcId": self.vpc_id, "vpcCidr": self.vpc_cidr, "azs": self.azs,
            "publicSubnetIds": self.public_subnet_ids, "privateSubnetIds": self.private_subnet_ids,
            "intraSubnetIds": self.intra_subnet_ids,
        })

    def _endpoints(self, name: str, args: NetworkArgs, private: list, private_rts: list, tags) -> None:
        child = pulumi.ResourceOptions(parent=self)
        self.private_route_table_ids = [rt.id for rt in private_rts]  # for the gateway endpoints of other components
        # Image pulls (S3-backed ECR layers) and model downloads from S3 stay off the NAT.
        aws.ec2.VpcEndpoint(
            f"{name}-s3", vpc_id=self.vpc.id, service_name=f"com.amazonaws.{args.region}.s3", vpc_endpoint_type="Gateway",
            route_table_ids=[rt.id for rt in private_rts], tags=tags("s3"), opts=child,
        )
        if not args.config.interface_endpoints:
            return
        sg = aws.ec2.SecurityGroup(
            f"{name}-endpoints", vpc_id=self.vpc.id, description="HTTPS from inside the VPC to interface endpoints",
            ingress=[aws.ec2.SecurityGroupIngressArgs(
                protocol="tcp", from_port=443, to_port=443, cidr_blocks=[self.vpc_cidr], description="HTTPS from the VPC",
            )],
            egress=[], tags=tags("endpoints"), opts=child,
        )
        # All zones by default; fewer (dev) saves an ENI-hour per zone per endpoint, and pods in
        # the other zones reach them across zones (private DNS resolves to the ENIs that exist).
        zones = private[: args.config.interface_endpoint_zones or len(private)]
        for service in args.config.interface_endpoints:
            key = service.replace(".", "-")
            aws.ec2.VpcEndpoint(
                f"{name}-{key}", vpc_id=self.vpc.id, service_name=f"com.amazonaws.{args.region}.{service}",
                vpc_endpoint_type="Interface", private_dns_enabled=True, subnet_ids=[s.id for s in zones],
                security_group_ids=[sg.id], tags=tags(key), opts=child,
            )

    def _flow_logs(self, name: str, args: NetworkArgs, tags) -> None:
        child = pulumi.ResourceOptions(parent=self)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        group_name = f"/aws/vpc/{args.cluster_name}/flow-logs"
        key = aws.kms.Key(
            f"{name}-flow-logs", description=f"VPC flow logs of {args.cluster_name}", enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(account_id, partition).apply(
                lambda ap: json.dumps(log_key_policy(ap[0], ap[1], args.region, group_name))
            ),
            tags=tags("flow-logs-key"), opts=child,
        )
        aws.kms.Alias(f"{name}-flow-logs", name=f"alias/{args.cluster_name}/flow-logs", target_key_id=key.key_id, opts=child)
        group = aws.cloudwatch.LogGroup(
            f"{name}-flow-logs", name=group_name, retention_in_days=args.config.flow_log_retention_days, kms_key_id=key.arn,
            tags=tags("flow-logs"), opts=child,
        )
        role = aws.iam.Role(
            f"{name}-flow-logs",
            assume_role_policy=pulumi.Output.all(account_id, partition).apply(
                lambda ap: json.dumps(flow_log_trust(ap[0], ap[1], args.region))
            ),
            permissions_boundary=args.boundary_arn, tags=tags("flow-logs-role"), opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-flow-logs", role=role.id, policy=group.arn.apply(lambda arn: json.dumps(flow_log_policy(arn))), opts=child,
        )
        aws.ec2.FlowLog(
            f"{name}-flow-logs", vpc_id=self.vpc.id, traffic_type="ALL", log_destination_type="cloud-watch-logs",
            log_destination=group.arn, iam_role_arn=role.arn, max_aggregation_interval=60, tags=tags("flow-logs"), opts=child,
        )
