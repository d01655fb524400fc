"""Boundary: the managed IAM policy every role of the stack carries as its permissions boundary."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.boundary.iam import boundary_arn, boundary_policy
from components.boundary.models import BOUNDARY_PATH, boundary_name
from components.tagging import resource_tags

COMPONENT = "boundary"


@dataclass
class BoundaryArgs:
    cluster_name: str
    region: str


class Boundary(pulumi.ComponentResource):
    policy_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BoundaryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:boundary:Boundary", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        policy_name = boundary_name(args.cluster_name)
        expected_arn = pulumi.Output.all(partition, account_id).apply(
            lambda pa: boundary_arn(pa[0], pa[1], policy_name, BOUNDARY_PATH)
        )
        self.policy = aws.iam.Policy(
            f"{name}-boundary",
            name=policy_name,
            path=BOUNDARY_PATH,
            description=f"Permissions boundary of every IAM role of {args.cluster_name}",
            policy=expected_arn.apply(lambda arn: json.dumps(boundary_policy(arn, args.region, args.cluster_name))),
            tags=resource_tags(COMPONENT, policy_name),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.policy_arn = self.policy.arn
        self.register_outputs({"policyArn": self.policy_arn})
