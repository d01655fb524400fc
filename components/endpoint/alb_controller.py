"""AlbController: the stack's one AWS Load Balancer Controller (pinned Helm chart), its IAM role
through EKS Pod Identity inside the permissions boundary, and the `alb` IngressClass whose params
pin every endpoint Ingress to the shared, internal-by-default ALB."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.endpoint import controller, iam, versions
from components.endpoint.models import IngressConfig
from components.helm import helm_release
from components.k8s import apply
from components.placement import SystemPlacement
from components.pod_identity import pod_identity_role
from components.tagging import resource_tags

COMPONENT = "endpoint"


@dataclass
class AlbControllerArgs:
    cluster_name: str
    region: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    boundary_arn: pulumi.Input[str]
    ingress: IngressConfig
    stack_tags: dict[str, str]
    system: SystemPlacement  # the system nodes the controller runs on (from the cluster)
    depends_on: list[pulumi.Resource] = field(default_factory=list)  # the system node group, the pod identity agent


class AlbController(pulumi.ComponentResource):
    """Expects opts.providers to hold the AWS provider and the cluster's Kubernetes provider."""

    ingress_class: str
    group_name: str
    role_arn: pulumi.Output[str]
    ready: list[pulumi.Resource]  # what Ingresses must wait for

    def __init__(self, name: str, args: AlbControllerArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:endpoint:AlbController", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster = args.cluster_name
        role_name = f"{cluster}-alb-controller"

        policy = aws.iam.Policy(
            f"{name}-policy",
            name=role_name,
            description=f"AWS Load Balancer Controller {versions.APP_VERSION} of {cluster}",
            policy=json.dumps(iam.controller_policy()),
            tags=resource_tags(COMPONENT, role_name),
            opts=child,
        )
        role, association = pod_identity_role(
            f"{name}-role",
            f"{name}-pod-identity",
            cluster_name=cluster,
            namespace=iam.NAMESPACE,
            service_account=iam.SERVICE_ACCOUNT,
            boundary_arn=args.boundary_arn,
            tags=resource_tags(COMPONENT, role_name),
            opts=child,
            name=role_name,
            description=f"AWS Load Balancer Controller of {cluster} (EKS Pod Identity)",
            max_session_duration=3600,
        )
        attachment = aws.iam.RolePolicyAttachment(f"{name}-policy", role=role.name, policy_arn=policy.arn, opts=child)
        values = pulumi.Output.from_input(args.vpc_id).apply(
            lambda vpc_id: controller.controller_values(cluster, args.region, vpc_id, args.ingress, args.stack_tags, args.system)
        )
        # The chart's crds/ install the IngressClassParams and TargetGroupBinding CRDs on first install.
        release = helm_release(
            f"{name}-release",
            release_name=versions.CHART,
            chart=versions.CHART,
            version=versions.CHART_VERSION,
            repository=versions.CHART_REPOSITORY,
            namespace=iam.NAMESPACE,
            cleanup_on_fail=True,
            values=values,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[association, attachment, *args.depends_on]),
        )
        after_release = pulumi.ResourceOptions(parent=self, depends_on=[release])
        params = apply(f"{name}-class-params", controller.ingress_class_params(cluster, args.ingress, args.vpc_cidr), after_release)
        klass = apply(f"{name}-class", controller.ingress_class(cluster), pulumi.ResourceOptions(parent=self, depends_on=[params]))

        self.ingress_class = controller.INGRESS_CLASS
        self.group_name = cluster
        self.role_arn = role.arn
        self.ready = [release, klass]
        self.register_outputs({"ingressClass": self.ingress_class, "groupName": self.group_name, "roleArn": self.role_arn})
