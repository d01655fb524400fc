"""SystemNodeGroup: the on-demand managed node group for cluster services (tainted CriticalAddonsOnly)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.cluster.iam import NODE_MANAGED_POLICIES, managed_policy_arn, node_trust
from components.cluster.models import SystemNodesConfig
from components.cluster.render import SYSTEM_LABELS, SYSTEM_TAINT, metadata_options, root_volume
from components.cluster.versions import SYSTEM_NODE_AMI_TYPE
from components.tagging import resource_tags

COMPONENT = "cluster"


@dataclass
class SystemNodeGroupArgs:
    config: SystemNodesConfig
    cluster_name: pulumi.Input[str]
    kubernetes_version: str
    subnet_ids: list[pulumi.Input[str]]
    security_group_ids: list[pulumi.Input[str]]
    boundary_arn: pulumi.Input[str]
    partition: pulumi.Input[str]
    name_prefix: str
    stack_tags: dict[str, str] = field(default_factory=dict)


class SystemNodeGroup(pulumi.ComponentResource):
    node_group: aws.eks.NodeGroup
    role: aws.iam.Role

    def __init__(self, name: str, args: SystemNodeGroupArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:cluster:SystemNodeGroup", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)
        label = f"{args.name_prefix}-system"
        own_tags = resource_tags(COMPONENT, label)

        self.role = aws.iam.Role(
            f"{name}-node", assume_role_policy=json.dumps(node_trust()), permissions_boundary=args.boundary_arn,
            tags=resource_tags(COMPONENT, f"{label}-node"), opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(
                f"{name}-{policy}", role=self.role.name,
                policy_arn=pulumi.Output.from_input(args.partition).apply(lambda p, policy=policy: managed_policy_arn(p, policy)),
                opts=child,
            )
            for policy in NODE_MANAGED_POLICIES
        ]
        # default_tags do not reach what the node group launches: the instances, volumes and ENIs get
        # the stack's cost tags through the launch template's tag specifications.
        launched_tags = {**args.stack_tags, **own_tags}
        volume = root_volume(cfg.disk_gib)
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"System nodes of {args.name_prefix}",
            update_default_version=True,
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(**metadata_options()),
            block_device_mappings=[aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                device_name=volume["device_name"], ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(**volume["ebs"]),
            )],
            vpc_security_group_ids=args.security_group_ids,
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(resource_type=kind, tags=launched_tags)
                for kind in ("instance", "volume", "network-interface")
            ],
            tags=own_tags, opts=child,
        )
        self.node_group = aws.eks.NodeGroup(
            f"{name}-ng",
            cluster_name=args.cluster_name,
            node_role_arn=self.role.arn,
            subnet_ids=args.subnet_ids,
            version=args.kubernetes_version,
            ami_type=SYSTEM_NODE_AMI_TYPE,
            capacity_type="ON_DEMAND",
            instance_types=list(cfg.instance_types),
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=cfg.min_size, desired_size=cfg.desired_size, max_size=cfg.max_size,
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(id=template.id, version=template.latest_version.apply(lambda v: str(int(v)))),
            taints=[aws.eks.NodeGroupTaintArgs(**SYSTEM_TAINT)],
            node_repair_config=aws.eks.NodeGroupNodeRepairConfigArgs(enabled=True),
            labels=dict(SYSTEM_LABELS),
            tags=own_tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=attachments),
        )
        self.register_outputs({"nodeGroupName": self.node_group.node_group_name, "roleArn": self.role.arn})
