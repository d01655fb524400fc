"""Karpenter ComponentResource: node role + access entry, interruption queue + rules, controller
role (EKS Pod Identity), and the pinned Helm releases (CRDs, controller)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
from pulumi_kubernetes.helm.v3 import Release

from components.helm import helm_release
from components.karpenter import iam, versions
from components.karpenter.interruption import EVENT_RULES, MESSAGE_RETENTION_SECONDS, TARGET_ID, queue_policy, rule_name
from components.karpenter.models import KarpenterConfig
from components.karpenter.values import karpenter_values
from components.placement import SystemPlacement
from components.pod_identity import pod_identity_role
from components.tagging import resource_tags

COMPONENT = "karpenter"


@dataclass
class KarpenterArgs:
    cluster_name: str
    cluster_arn: pulumi.Input[str]
    boundary_policy_arn: pulumi.Input[str]  # the workload boundary (node role)
    controller_boundary_arn: pulumi.Input[str]  # the controller boundary (controller role: launches nodes)
    # The system nodes the controller runs on (from the cluster).
    system: SystemPlacement
    config: KarpenterConfig = field(default_factory=KarpenterConfig)
    # Resources the controller needs first (the system node group it runs on).
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class Karpenter(pulumi.ComponentResource):
    """Expects opts.providers to hold the AWS provider and the cluster's Kubernetes provider."""

    node_role_name: str
    node_role_arn: pulumi.Output[str]
    controller_role_arn: pulumi.Output[str]
    queue_name: str
    queue_arn: pulumi.Output[str]
    release: Release

    def __init__(self, name: str, args: KarpenterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:karpenter:Karpenter", name, None, opts)
        self._name, self._cluster = name, args.cluster_name
        partition = pulumi.Output.from_input(args.cluster_arn).apply(lambda arn: arn.split(":")[1])

        node_role, node_attachments, access_entry = self._node_role(args.boundary_policy_arn, partition)
        queue, targets = self._interruption_queue()
        controller_role, pod_identity, controller_attachments = self._controller_role(args, node_role, queue)
        self.release = self._helm_releases(
            args, depends_on=[pod_identity, access_entry, queue, *targets, *node_attachments, *controller_attachments]
        )

        self.node_role_arn = node_role.arn
        self.controller_role_arn = controller_role.arn
        self.queue_arn = queue.arn
        self.register_outputs(
            {
                "nodeRoleName": self.node_role_name,
                "nodeRoleArn": self.node_role_arn,
                "controllerRoleArn": self.controller_role_arn,
                "queueName": self.queue_name,
                "queueArn": self.queue_arn,
            }
        )

    def _node_role(self, boundary_arn: pulumi.Input[str], partition: pulumi.Output[str]):
        """What Karpenter-launched instances run as: the role, its managed policies, its access entry."""
        name, cluster, child = self._name, self._cluster, pulumi.ResourceOptions(parent=self)
        self.node_role_name = iam.node_role_name(cluster)
        node_role = aws.iam.Role(
            f"{name}-node",
            name=self.node_role_name,
            description=f"Nodes Karpenter launches for {cluster}",
            assume_role_policy=json.dumps(iam.node_trust_policy()),
            permissions_boundary=boundary_arn,
            tags=resource_tags(COMPONENT, self.node_role_name),
            opts=child,
        )
        attachments: list[pulumi.Resource] = [
            aws.iam.RolePolicyAttachment(
                f"{name}-node-{policy.lower().replace('_', '-')}",
                role=node_role.name,
                policy_arn=partition.apply(lambda p, policy=policy: iam.managed_policy_arn(p, policy)),
                opts=child,
            )
            for policy in iam.NODE_MANAGED_POLICIES
        ]
        # An EC2_LINUX access entry lets the nodes join (no aws-auth ConfigMap; EKS maps the role
        # to system:nodes itself).
        access_entry = aws.eks.AccessEntry(
            f"{name}-node",
            cluster_name=cluster,
            principal_arn=node_role.arn,
            type="EC2_LINUX",
            tags=resource_tags(COMPONENT, f"{cluster}-karpenter-node"),
            opts=child,
        )
        return node_role, attachments, access_entry

    def _interruption_queue(self):
        """The interruption queue and the EventBridge rules that feed it."""
        name, cluster, child = self._name, self._cluster, pulumi.ResourceOptions(parent=self)
        self.queue_name = cluster
        queue = aws.sqs.Queue(
            f"{name}-interruption",
            name=self.queue_name,
            message_retention_seconds=MESSAGE_RETENTION_SECONDS,
            sqs_managed_sse_enabled=True,
            tags=resource_tags(COMPONENT, self.queue_name),
            opts=child,
        )
        queue_policy_resource = aws.sqs.QueuePolicy(
            f"{name}-interruption",
            queue_url=queue.url,
            policy=queue.arn.apply(lambda arn: json.dumps(queue_policy(arn, cluster))),
            opts=child,
        )
        targets: list[pulumi.Resource] = []
        for kind, pattern in EVENT_RULES.items():
            rule = aws.cloudwatch.EventRule(
                f"{name}-{kind}",
                name=rule_name(cluster, kind),
                description=f"Karpenter interruption handling for {cluster}: {pattern['detail-type'][0]}",
                event_pattern=json.dumps(pattern),
                tags=resource_tags(COMPONENT, f"{cluster}-karpenter-{kind}"),
                opts=child,
            )
            targets.append(
                aws.cloudwatch.EventTarget(
                    f"{name}-{kind}",
                    rule=rule.name,
                    arn=queue.arn,
                    target_id=TARGET_ID,
                    opts=pulumi.ResourceOptions(parent=self, depends_on=[queue_policy_resource]),
                )
            )
        return queue, targets

    def _controller_role(self, args: KarpenterArgs, node_role: aws.iam.Role, queue: aws.sqs.Queue):
        """The controller's role, bound to its service account through Pod Identity, and its policies."""
        name, cluster, child = self._name, self._cluster, pulumi.ResourceOptions(parent=self)
        controller_role, pod_identity = pod_identity_role(
            f"{name}-controller",
            f"{name}-controller",
            cluster_name=cluster,
            namespace=args.config.namespace,
            service_account=iam.SERVICE_ACCOUNT,
            boundary_arn=args.controller_boundary_arn,
            tags=resource_tags(COMPONENT, f"{cluster}-karpenter-controller"),
            opts=child,
            name=f"{cluster}-karpenter-controller",
            description=f"Karpenter controller of {cluster} (EKS Pod Identity)",
        )
        documents = pulumi.Output.all(args.cluster_arn, node_role.arn, queue.arn).apply(
            lambda a: iam.controller_policies(cluster, a[0], a[1], a[2])
        )
        attachments: list[pulumi.Resource] = []
        for short in ("node-lifecycle", "iam-integration", "eks-integration", "interruption", "zonal-shift", "resource-discovery"):
            policy = aws.iam.Policy(
                f"{name}-{short}",
                name=f"{cluster}-karpenter-{short}",
                description=f"Karpenter controller ({short}) for {cluster}",
                policy=documents.apply(lambda docs, short=short: json.dumps(docs[short])),
                tags=resource_tags(COMPONENT, f"{cluster}-karpenter-{short}"),
                opts=child,
            )
            attachments.append(
                aws.iam.RolePolicyAttachment(f"{name}-controller-{short}", role=controller_role.name, policy_arn=policy.arn, opts=child)
            )
        return controller_role, pod_identity, attachments

    def _helm_releases(self, args: KarpenterArgs, depends_on: list[pulumi.Resource]) -> Release:
        """CRDs in their own release, then the controller."""
        name, cfg = self._name, args.config
        # CRDs come from the karpenter-crd chart rather than the main chart's crds/ folder: Helm
        # installs crds/ once and never upgrades them, so a chart bump would leave v1.14 CRDs
        # behind a newer controller (karpenter.sh/docs/upgrading/upgrade-guide/#crd-upgrades).
        crds = helm_release(
            f"{name}-crd",
            release_name="karpenter-crd",
            chart=f"{versions.CHART_REPOSITORY}/{versions.CRD_CHART}",
            version=versions.VERSION,
            namespace=cfg.namespace,
            create_namespace=cfg.namespace != "kube-system",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        return helm_release(
            f"{name}-controller",
            release_name="karpenter",
            chart=f"{versions.CHART_REPOSITORY}/{versions.CHART}",
            version=versions.VERSION,
            namespace=cfg.namespace,
            skip_crds=True,
            cleanup_on_fail=True,
            values=karpenter_values(self._cluster, self.queue_name, cfg, args.system),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[crds, *depends_on, *args.depends_on]),
        )
