"""Boundary: the two managed IAM policies the stack's roles carry as permissions boundaries."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.boundary.actions import CONTROLLER, WORKLOAD
from components.boundary.iam import boundary_arn, controller_boundary, workload_boundary
from components.boundary.models import BOUNDARY_PATH, boundary_name
from components.tagging import resource_tags

COMPONENT = "boundary"


@dataclass
class BoundaryArgs:
    cluster_name: str
    region: str
    # The one role the controller boundary lets its roles pass (Karpenter's node role).
    passed_role_name: str


class Boundary(pulumi.ComponentResource):
    workload_arn: pulumi.Output[str]
    controller_arn: pulumi.Output[str]
    # The boundary a role gets unless it launches nodes: the workload one.
    policy_arn: pulumi.Output[str]

    def __init__(self, name: str, args: BoundaryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:boundary:Boundary", name, None, opts)
        invoke = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke).account_id
        partition = aws.get_partition_output(opts=invoke).partition
        cluster, region = args.cluster_name, args.region
        documents = {
            WORKLOAD: lambda arn: workload_boundary(arn, region, cluster),
            CONTROLLER: lambda arn: controller_boundary(arn, region, cluster, args.passed_role_name),
        }
        arns: dict[str, pulumi.Output[str]] = {}
        for kind, document in documents.items():
            policy_name = boundary_name(cluster, kind)
            expected_arn = pulumi.Output.all(partition, account_id).apply(
                lambda pa, policy_name=policy_name: boundary_arn(pa[0], pa[1], policy_name, BOUNDARY_PATH)
            )
            policy = aws.iam.Policy(
                f"{name}-{kind}-boundary",
                name=policy_name,
                path=BOUNDARY_PATH,
                description=f"Permissions boundary of the {kind} roles of {cluster}",
                policy=expected_arn.apply(lambda arn, document=document: json.dumps(document(arn))),
                tags=resource_tags(COMPONENT, policy_name),
                opts=pulumi.ResourceOptions(parent=self),
            )
            arns[kind] = policy.arn
        self.workload_arn = arns[WORKLOAD]
        self.controller_arn = arns[CONTROLLER]
        self.policy_arn = self.workload_arn
        self.register_outputs({"workloadArn": self.workload_arn, "controllerArn": self.controller_arn})
