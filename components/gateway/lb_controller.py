"""LbController: the stack's AWS Load Balancer Controller (pinned Helm chart), now only the builder
of the gateway proxies' NLB, with its IAM role through EKS Pod Identity inside the boundary."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.gateway import lb_iam, lb_values, versions
from components.gateway.models import GatewayConfig
from components.helm import helm_release
from components.placement import SystemPlacement
from components.pod_identity import pod_identity_role
from components.tagging import resource_tags

COMPONENT = "gateway"


@dataclass
class LbControllerArgs:
    cluster_name: str
    region: str
    vpc_id: pulumi.Input[str]
    boundary_arn: pulumi.Input[str]
    gateway: GatewayConfig
    stack_tags: dict[str, str]
    system: SystemPlacement  # the system nodes the controller runs on (from the cluster)
    depends_on: list[pulumi.Resource] = field(default_factory=list)  # the system node group, the pod identity agent


class LbController(pulumi.ComponentResource):
    """Expects opts.providers to hold the AWS provider and the cluster's Kubernetes provider."""

    role_arn: pulumi.Output[str]
    release: pulumi.Resource

    def __init__(self, name: str, args: LbControllerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:gateway:LbController", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = args.cluster_name
        role_name = f"{cluster}-lb-controller"

        policy = aws.iam.Policy(
            f"{name}-policy",
            name=role_name,
            description=f"AWS Load Balancer Controller {versions.APP_VERSION} of {cluster} (gateway NLB)",
            policy=json.dumps(lb_iam.controller_policy()),
            tags=resource_tags(COMPONENT, role_name),
            opts=child,
        )
        role, association = pod_identity_role(
            f"{name}-role",
            f"{name}-pod-identity",
            cluster_name=cluster,
            namespace=lb_iam.NAMESPACE,
            service_account=lb_iam.SERVICE_ACCOUNT,
            boundary_arn=args.boundary_arn,
            tags=resource_tags(COMPONENT, role_name),
            opts=child,
            name=role_name,
            description=f"AWS Load Balancer Controller of {cluster} (EKS Pod Identity)",
            max_session_duration=3600,
        )
        attachment = aws.iam.RolePolicyAttachment(f"{name}-policy", role=role.name, policy_arn=policy.arn, opts=child)
        values = pulumi.Output.from_input(args.vpc_id).apply(
            lambda vpc_id: lb_values.controller_values(cluster, args.region, vpc_id, args.gateway, args.stack_tags, args.system)
        )
        self.release = helm_release(
            f"{name}-release",
            release_name=versions.CHART,
            chart=versions.CHART,
            version=versions.CHART_VERSION,
            repository=versions.CHART_REPOSITORY,
            namespace=lb_iam.NAMESPACE,
            cleanup_on_fail=True,
            values=values,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[association, attachment, *args.depends_on]),
        )
        self.role_arn = role.arn
        self.register_outputs({"roleArn": self.role_arn})
