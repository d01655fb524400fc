"""Cluster: a private EKS control plane on pulumi_aws primitives, its add-ons and system nodes."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.cluster.iam import (
    CLUSTER_ADMIN_ACCESS_POLICY,
    CLUSTER_MANAGED_POLICIES,
    EBS_CSI_MANAGED_POLICIES,
    access_policy_arn,
    cluster_kms_policy,
    cluster_trust,
    ebs_csi_kms_policy,
    managed_policy_arn,
    secrets_key_policy,
)
from components.cluster.models import ClusterConfig
from components.cluster.nodes import SystemNodeGroup, SystemNodeGroupArgs
from components.cluster.render import LOG_TYPES, addon_configuration, kubeconfig
from components.cluster.versions import ADDON_VERSIONS
from components.cost.volumes import extra_volume_tags
from components.kms import log_key_policy
from components.pod_identity import pod_identity_role
from components.tagging import resource_tags

COMPONENT = "cluster"
# Tag on the EKS cluster while `cluster.bootstrap` opens its public endpoint (read by the eks-bootstrap-open rule).
BOOTSTRAP_TAG = "llm-platform-bootstrap"
# Add-ons nodes need before they can become Ready (CNI, kube-proxy) or before pods get AWS
# credentials (Pod Identity agent); the others need running nodes to become ACTIVE.
ADDONS_BEFORE_NODES = ("vpc-cni", "kube-proxy", "eks-pod-identity-agent")
ADDONS_AFTER_NODES = ("coredns", "aws-ebs-csi-driver", "eks-node-monitoring-agent")


@dataclass
class ClusterArgs:
    config: ClusterConfig
    cluster_name: str
    region: str
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    private_subnet_ids: list[pulumi.Input[str]]
    intra_subnet_ids: list[pulumi.Input[str]]
    boundary_arn: pulumi.Input[str]
    # The cluster role scales managed node groups (AmazonEKSClusterPolicy): the controller boundary.
    controller_boundary_arn: pulumi.Input[str]
    stack_tags: dict[str, str] = field(default_factory=dict)


class Cluster(pulumi.ComponentResource):
    name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    arn: pulumi.Output[str]
    oidc_issuer: pulumi.Output[str]
    node_security_group_id: pulumi.Output[str]
    k8s_provider: k8s.Provider
    kubernetes_version: str
    system_node_group: aws.eks.NodeGroup
    ebs_key: aws.kms.Key  # encrypts the volumes of the default StorageClass (components/cost/storage.py)

    def __init__(self, name: str, args: ClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:cluster:Cluster", name, None, opts)
        # Stack tags on every EBS CSI volume; the claim's team comes from the StorageClass.
        self._volume_tags = extra_volume_tags(args.stack_tags)
        self._name, self._args, cfg = name, args, args.config
        invoke = pulumi.InvokeOutputOptions(parent=self)
        self._account_id = aws.get_caller_identity_output(opts=invoke).account_id
        self._partition = aws.get_partition_output(opts=invoke).partition
        self.kubernetes_version = cfg.kubernetes_version

        role, attachments = self._control_plane_role()
        key, kms_use = self._secrets_key(role)
        log_group = self._logs()
        node_sg = aws.ec2.SecurityGroup(
            f"{name}-nodes", vpc_id=args.vpc_id, description=f"EKS nodes of {args.cluster_name}",
            # No kubernetes.io/cluster/<name> tag: the EKS cluster security group carries it, and the AWS
            # LB controller wants exactly one such group per node ENI.
            tags=self._tags("nodes", **{"karpenter.sh/discovery": args.cluster_name}),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.cluster = self._eks(role, key, depends_on=[log_group, kms_use, *attachments])
        cluster_sg = self.cluster.vpc_config.cluster_security_group_id
        self._node_sg_rules(name, node_sg, cluster_sg, args.vpc_cidr, self._tags)
        # Karpenter selects security groups by the discovery tag: tagging the EKS-created cluster
        # security group too gives its nodes the same pair of groups as the system nodes.
        aws.ec2.Tag(
            f"{name}-cluster-sg-discovery", resource_id=cluster_sg, key="karpenter.sh/discovery", value=args.cluster_name,
            opts=pulumi.ResourceOptions(parent=self),
        )
        admin_access = self._access_entries()
        self.system_node_group = self._addons_and_system_nodes(cluster_sg, node_sg)

        self.name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.arn = self.cluster.arn
        self.oidc_issuer = self.cluster.identities.apply(lambda ids: ids[0].oidcs[0].issuer if ids else "")
        self.node_security_group_id = node_sg.id
        self.k8s_provider = self._kubernetes_provider(admin_access)
        self.register_outputs({
            "name": self.name, "endpoint": self.endpoint, "arn": self.arn, "oidcIssuer": self.oidc_issuer,
            "nodeSecurityGroupId": self.node_security_group_id, "kubernetesVersion": self.kubernetes_version,
        })

    def _tags(self, res: str, **extra: str) -> dict[str, str]:
        return resource_tags(COMPONENT, f"{self._args.cluster_name}-{res}", **extra)

    def _managed(self, policy: str) -> pulumi.Output[str]:
        return self._partition.apply(lambda p: managed_policy_arn(p, policy))

    def _control_plane_role(self) -> tuple[aws.iam.Role, list[aws.iam.RolePolicyAttachment]]:
        name, child = self._name, pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-cluster", assume_role_policy=json.dumps(cluster_trust()), permissions_boundary=self._args.controller_boundary_arn,
            tags=self._tags("cluster-role"), opts=child,
        )
        attachments = [
            aws.iam.RolePolicyAttachment(f"{name}-cluster-{p}", role=role.name, policy_arn=self._managed(p), opts=child)
            for p in CLUSTER_MANAGED_POLICIES
        ]
        return role, attachments

    def _secrets_key(self, role: aws.iam.Role) -> tuple[aws.kms.Key, aws.iam.RolePolicy]:
        name, cluster_name, child = self._name, self._args.cluster_name, pulumi.ResourceOptions(parent=self)
        key = aws.kms.Key(
            f"{name}-secrets", description=f"EKS secrets envelope encryption for {cluster_name}", enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(self._account_id, self._partition).apply(lambda ap: json.dumps(secrets_key_policy(ap[0], ap[1]))),
            tags=self._tags("secrets-key"), opts=child,
        )
        aws.kms.Alias(f"{name}-secrets", name=f"alias/{cluster_name}/eks-secrets", target_key_id=key.key_id, opts=child)
        kms_use = aws.iam.RolePolicy(
            f"{name}-cluster-kms", role=role.id, policy=key.arn.apply(lambda arn: json.dumps(cluster_kms_policy(arn))), opts=child,
        )
        return key, kms_use

    def _logs(self) -> aws.cloudwatch.LogGroup:
        """Control-plane logs, created before the cluster so the retention applies from the first line."""
        name, args, child = self._name, self._args, pulumi.ResourceOptions(parent=self)
        logs_key = aws.kms.Key(
            f"{name}-logs", description=f"EKS control-plane logs of {args.cluster_name}", enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(self._account_id, self._partition).apply(
                lambda ap: json.dumps(log_key_policy(ap[0], ap[1], args.region, f"/aws/eks/{args.cluster_name}/"))
            ),
            tags=self._tags("logs-key"), opts=child,
        )
        aws.kms.Alias(f"{name}-logs", name=f"alias/{args.cluster_name}/eks-logs", target_key_id=logs_key.key_id, opts=child)
        return aws.cloudwatch.LogGroup(
            f"{name}-logs", name=f"/aws/eks/{args.cluster_name}/cluster", retention_in_days=args.config.log_retention_days,
            kms_key_id=logs_key.arn, tags=self._tags("logs"), opts=child,
        )

    def _eks(self, role: aws.iam.Role, key: aws.kms.Key, depends_on: list) -> aws.eks.Cluster:
        cfg, cluster_name = self._args.config, self._args.cluster_name
        public = cfg.endpoint_public_cidrs
        # While bootstrapping, the cluster says so on its own tags: `llmctl check` reports it until closed.
        extra = {BOOTSTRAP_TAG: "open"} if cfg.in_bootstrap else {}
        return aws.eks.Cluster(
            f"{self._name}-eks",
            name=cluster_name,
            version=cfg.kubernetes_version,
            role_arn=role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=self._args.intra_subnet_ids,
                endpoint_private_access=True,
                endpoint_public_access=bool(public),
                public_access_cidrs=public or None,
            ),
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=False,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=key.arn), resources=["secrets"],
            ),
            enabled_cluster_log_types=list(LOG_TYPES),
            kubernetes_network_config=aws.eks.ClusterKubernetesNetworkConfigArgs(
                service_ipv4_cidr=str(cfg.service_cidr), ip_family="ipv4",
            ),
            # A per-environment decision (cluster.upgradePolicy): STANDARD lets AWS upgrade the control plane
            # at the end of standard support; EXTENDED keeps the version at the extended-support price.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(support_type=cfg.upgrade_policy),
            # The managed add-ons replace EKS's unmanaged vpc-cni/kube-proxy/CoreDNS (nothing to adopt).
            bootstrap_self_managed_addons=False,
            # ARC zonal shift: traffic can be moved off an impaired AZ (Karpenter honours it too).
            zonal_shift_config=aws.eks.ClusterZonalShiftConfigArgs(enabled=True),
            deletion_protection=cfg.deletion_protection,
            tags=self._tags("eks", **extra),
            opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _access_entries(self) -> list[aws.eks.AccessPolicyAssociation]:
        """Admins through the EKS API (access entries), no aws-auth ConfigMap."""
        name, admin_access = self._name, []
        for arn in self._args.config.admin_role_arns:
            key_name = re.sub(r"[^a-z0-9-]+", "-", arn.rsplit("/", 1)[-1].lower())
            entry = aws.eks.AccessEntry(
                f"{name}-admin-{key_name}", cluster_name=self.cluster.name, principal_arn=arn, type="STANDARD",
                tags=self._tags(f"admin-{key_name}"), opts=pulumi.ResourceOptions(parent=self),
            )
            admin_access.append(aws.eks.AccessPolicyAssociation(
                f"{name}-admin-{key_name}", cluster_name=self.cluster.name, principal_arn=arn,
                policy_arn=self._partition.apply(lambda p: access_policy_arn(p, CLUSTER_ADMIN_ACCESS_POLICY)),
                access_scope=aws.eks.AccessPolicyAssociationAccessScopeArgs(type="cluster"),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[entry]),
            ))
        return admin_access

    def _addons_and_system_nodes(self, cluster_sg: pulumi.Output[str], node_sg: aws.ec2.SecurityGroup) -> aws.eks.NodeGroup:
        name, args, cfg, child = self._name, self._args, self._args.config, pulumi.ResourceOptions(parent=self)
        versions = ADDON_VERSIONS[cfg.kubernetes_version]
        early = [self._addon(name, a, versions[a], self._tags, []) for a in ADDONS_BEFORE_NODES]
        nodes = SystemNodeGroup(
            f"{name}-system",
            SystemNodeGroupArgs(
                config=cfg.system_nodes, cluster_name=self.cluster.name, kubernetes_version=cfg.kubernetes_version,
                subnet_ids=args.private_subnet_ids, security_group_ids=[cluster_sg, node_sg.id],
                boundary_arn=args.boundary_arn, partition=self._partition, stack_tags=args.stack_tags, name_prefix=args.cluster_name,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=early),
        )
        ebs_role, ebs_identity = pod_identity_role(
            f"{name}-ebs-csi", f"{name}-ebs-csi", name=f"{args.cluster_name}-ebs-csi", cluster_name=self.cluster.name, namespace="kube-system",
            service_account="ebs-csi-controller-sa", boundary_arn=args.boundary_arn, tags=self._tags("ebs-csi"), opts=child,
        )
        for p in EBS_CSI_MANAGED_POLICIES:
            aws.iam.RolePolicyAttachment(f"{name}-ebs-csi-{p.rsplit('/', 1)[-1]}", role=ebs_role.name, policy_arn=self._managed(p), opts=child)
        key_use = self._ebs_key(ebs_role)
        deps = {"aws-ebs-csi-driver": [nodes.node_group, ebs_identity, key_use], "coredns": [nodes.node_group],
                "eks-node-monitoring-agent": [nodes.node_group]}
        for addon in ADDONS_AFTER_NODES:
            self._addon(name, addon, versions[addon], self._tags, deps[addon])
        return nodes.node_group

    def _ebs_key(self, ebs_role: aws.iam.Role) -> aws.iam.RolePolicy:
        """The stack's key for EBS volumes the CSI driver creates (Prometheus and any other claim)."""
        name, cluster_name, child = self._name, self._args.cluster_name, pulumi.ResourceOptions(parent=self)
        self.ebs_key = aws.kms.Key(
            f"{name}-ebs", description=f"EBS volumes of {cluster_name}'s persistent volume claims", enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(self._account_id, self._partition).apply(lambda ap: json.dumps(secrets_key_policy(ap[0], ap[1]))),
            tags=self._tags("ebs-key"), opts=child,
        )
        aws.kms.Alias(f"{name}-ebs", name=f"alias/{cluster_name}/ebs", target_key_id=self.ebs_key.key_id, opts=child)
        # The key policy delegates to IAM; this grants the CSI controller's Pod Identity role its use.
        return aws.iam.RolePolicy(
            f"{name}-ebs-csi-kms", role=ebs_role.id, policy=self.ebs_key.arn.apply(lambda arn: json.dumps(ebs_csi_kms_policy(arn))), opts=child,
        )

    def _kubernetes_provider(self, admin_access: list) -> k8s.Provider:
        config = pulumi.Output.all(self.cluster.name, self.cluster.endpoint, self.cluster.certificate_authority.data).apply(
            lambda v: json.dumps(kubeconfig(v[0], v[1], v[2], self._args.region))
        )
        # Kubernetes objects wait for the admins' access: the deployer has no implicit cluster-admin.
        return k8s.Provider(
            f"{self._name}-k8s", kubeconfig=config, enable_server_side_apply=True,
            opts=pulumi.ResourceOptions(parent=self, depends_on=admin_access),
        )

    def _addon(self, name: str, addon: str, version: str, tags, depends_on: list) -> aws.eks.Addon:
        values = addon_configuration(addon, self._volume_tags)
        return aws.eks.Addon(
            f"{name}-{addon}", cluster_name=self.cluster.name, addon_name=addon, addon_version=version,
            configuration_values=json.dumps(values) if values is not None else None,
            resolve_conflicts_on_create="OVERWRITE", resolve_conflicts_on_update="OVERWRITE",
            tags=tags(addon), opts=pulumi.ResourceOptions(parent=self, depends_on=depends_on),
        )

    def _node_sg_rules(self, name: str, node_sg: aws.ec2.SecurityGroup, cluster_sg: pulumi.Output[str], vpc_cidr: str, tags) -> None:
        """Nodes talk to each other freely; the control plane reaches kubelets and webhooks on the nodes;
        nodes and in-VPC operators (CI runner, VPN) reach the private API endpoint; nodes reach the
        internet through the NAT (model downloads)."""
        child = pulumi.ResourceOptions(parent=self)
        rules = [
            ("self", dict(referenced_security_group_id=node_sg.id, ip_protocol="-1"), "node to node"),
            ("cluster-443", dict(referenced_security_group_id=cluster_sg, ip_protocol="tcp", from_port=443, to_port=443),
             "control plane to webhooks"),
            ("cluster-ephemeral", dict(referenced_security_group_id=cluster_sg, ip_protocol="tcp", from_port=1025, to_port=65535),
             "control plane to kubelet and webhooks"),
        ]
        for key, kwargs, description in rules:
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-nodes-{key}", security_group_id=node_sg.id, description=description,
                tags=tags(f"nodes-{key}"), opts=child, **kwargs,
            )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-cluster-from-nodes", security_group_id=cluster_sg, referenced_security_group_id=node_sg.id,
            ip_protocol="tcp", from_port=443, to_port=443, description="nodes to the API server",
            tags=tags("cluster-from-nodes"), opts=child,
        )
        aws.vpc.SecurityGroupIngressRule(
            f"{name}-cluster-from-vpc", security_group_id=cluster_sg, cidr_ipv4=vpc_cidr,
            ip_protocol="tcp", from_port=443, to_port=443, description="in-VPC operators to the private API endpoint",
            tags=tags("cluster-from-vpc"), opts=child,
        )
        # Operators on a VPN or peered network reach the private endpoint too; only the private ranges
        # listed in cluster.operatorCidrs (validated: never public, never 0.0.0.0/0).
        for i, cidr in enumerate(self._args.config.operator_cidrs):
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-cluster-from-operators-{i}", security_group_id=cluster_sg, cidr_ipv4=str(cidr),
                ip_protocol="tcp", from_port=443, to_port=443, description=f"operator network {cidr} to the private API endpoint",
                tags=tags(f"cluster-from-operators-{i}"), opts=child,
            )
        aws.vpc.SecurityGroupEgressRule(
            f"{name}-nodes-egress", security_group_id=node_sg.id, cidr_ipv4="0.0.0.0/0", ip_protocol="-1",
            description="nodes to anywhere (registries, model hubs) through the NAT",
            tags=tags("nodes-egress"), opts=child,
        )
