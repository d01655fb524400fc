"""What each permissions boundary allows and denies, as explicit action lists.

The allow lists are the union of the actions the bounded roles use (the stack's own identity
policies plus the AWS managed policies in managed_policies.json); tests/security/test_boundaries.py
derives that union from every synthesized stack and proves each boundary covers its roles and
nothing of the deny lists. A role that needs a new action fails that test until it is added here.
"""

from __future__ import annotations

WORKLOAD = "workload"
CONTROLLER = "controller"

# ---- workload: serving slots, KEDA, add-ons (EBS CSI, LB controller), nodes, flow logs ---------
_NODE = (  # AmazonEKSWorkerNodePolicy, AmazonEKS_CNI_Policy, AmazonEC2ContainerRegistryPullOnly
    "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses", "ec2:AttachNetworkInterface",
    "ec2:CreateNetworkInterface", "ec2:DeleteNetworkInterface", "ec2:DetachNetworkInterface",
    "ec2:ModifyNetworkInterfaceAttribute", "ecr:BatchGetImage", "ecr:BatchImportUpstreamImage",
    "ecr:GetAuthorizationToken", "ecr:GetDownloadUrlForLayer", "eks-auth:AssumeRoleForPodIdentity", "eks:DescribeCluster",
)
_SSM_AGENT = (  # AmazonSSMManagedInstanceCore: the agent on the instance, not commands sent to it
    "ssm:DescribeAssociation", "ssm:DescribeDocument", "ssm:GetDeployablePatchSnapshotForInstance", "ssm:GetDocument",
    "ssm:GetManifest", "ssm:GetParameter", "ssm:GetParameters", "ssm:ListAssociations", "ssm:ListInstanceAssociations",
    "ssm:PutComplianceItems", "ssm:PutConfigurePackageResult", "ssm:PutInventory", "ssm:UpdateAssociationStatus",
    "ssm:UpdateInstanceAssociationStatus", "ssm:UpdateInstanceInformation",
    "ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
    "ssmmessages:OpenDataChannel", "ec2messages:AcknowledgeMessage", "ec2messages:DeleteMessage",
    "ec2messages:FailMessage", "ec2messages:GetEndpoint", "ec2messages:GetMessages", "ec2messages:SendReply",
)
_VOLUMES = (  # AmazonEBSCSIDriverPolicy
    "ec2:AttachVolume", "ec2:DetachVolume", "ec2:CreateVolume", "ec2:DeleteVolume", "ec2:ModifyVolume",
    "ec2:CreateSnapshot", "ec2:DeleteSnapshot", "ec2:EnableFastSnapshotRestores",
    # the stack's EBS key (components/cluster/iam.py ebs_csi_kms_policy): data keys, and grants
    # only for AWS resources (the grant goes to the instance the volume attaches to)
    "kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey",
    "kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant",
)
_LOAD_BALANCERS = (  # the AWS Load Balancer Controller's reference policy, minus its IAM actions
    "acm:DescribeCertificate", "acm:ListCertificates", "cognito-idp:DescribeUserPoolClient",
    "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:CreateSecurityGroup",
    "ec2:DeleteSecurityGroup", "ec2:GetCoipPoolUsage", "ec2:GetSecurityGroupsForVpc",
    "elasticloadbalancing:Describe*", "elasticloadbalancing:AddListenerCertificates", "elasticloadbalancing:AddTags",
    "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateRule",
    "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteListener", "elasticloadbalancing:DeleteLoadBalancer",
    "elasticloadbalancing:DeleteRule", "elasticloadbalancing:DeleteTargetGroup", "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:ModifyCapacityReservation", "elasticloadbalancing:ModifyIpPools", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyLoadBalancerAttributes",
    "elasticloadbalancing:ModifyRule", "elasticloadbalancing:ModifyTargetGroup", "elasticloadbalancing:ModifyTargetGroupAttributes",
    "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:RemoveListenerCertificates", "elasticloadbalancing:RemoveTags",
    "elasticloadbalancing:SetIpAddressType", "elasticloadbalancing:SetRulePriorities", "elasticloadbalancing:SetSecurityGroups",
    "elasticloadbalancing:SetSubnets", "elasticloadbalancing:SetWebAcl",
    "shield:CreateProtection", "shield:DeleteProtection", "shield:DescribeProtection", "shield:GetSubscriptionState",
    "waf-regional:AssociateWebACL", "waf-regional:DisassociateWebACL", "waf-regional:GetWebACL", "waf-regional:GetWebACLForResource",
    "wafv2:AssociateWebACL", "wafv2:DisassociateWebACL", "wafv2:GetWebACL", "wafv2:GetWebACLForResource",
)
_DATA = (  # serving (model weights, the shared weight cache, its compile cache), VPC flow logs, Alertmanager (SNS receivers)
    "s3:GetObject", "s3:ListBucket", "kms:Decrypt", "sns:Publish", "s3:PutObject", "kms:GenerateDataKey", "s3express:CreateSession",
    "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams",
)
WORKLOAD_ACTIONS = tuple(sorted({"ec2:Describe*", "ec2:CreateTags", "ec2:DeleteTags", *_NODE, *_SSM_AGENT, *_VOLUMES, *_LOAD_BALANCERS, *_DATA}))

# ---- controller: the roles that launch nodes (Karpenter; the EKS cluster role scales managed
# node groups through autoscaling:UpdateAutoScalingGroup) ------------------------------------
_KARPENTER = (
    "ec2:RunInstances", "ec2:CreateFleet", "ec2:CreateLaunchTemplate", "ec2:DeleteLaunchTemplate", "ec2:TerminateInstances",
    "iam:AddRoleToInstanceProfile", "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile",
    "iam:ListInstanceProfiles", "iam:RemoveRoleFromInstanceProfile", "iam:TagInstanceProfile",
    "eks:DescribeCluster", "pricing:GetProducts", "ssm:GetParameter", "arc-zonal-shift:GetManagedResource",
    "sqs:DeleteMessage", "sqs:GetQueueUrl", "sqs:ReceiveMessage",
)
_EKS_SERVICE = (  # AmazonEKSClusterPolicy + the cluster's KMS policy
    "autoscaling:DescribeAutoScalingGroups", "autoscaling:UpdateAutoScalingGroup",
    "ec2:AttachVolume", "ec2:DetachVolume", "ec2:CreateVolume", "ec2:DeleteVolume", "ec2:ModifyVolume",
    "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:CreateSecurityGroup", "ec2:DeleteSecurityGroup",
    "ec2:CreateRoute", "ec2:DeleteRoute", "ec2:ModifyInstanceAttribute",
    "elasticloadbalancing:Describe*", "elasticloadbalancing:AddTags", "elasticloadbalancing:ApplySecurityGroupsToLoadBalancer",
    "elasticloadbalancing:AttachLoadBalancerToSubnets", "elasticloadbalancing:ConfigureHealthCheck",
    "elasticloadbalancing:CreateListener", "elasticloadbalancing:CreateLoadBalancer", "elasticloadbalancing:CreateLoadBalancerListeners",
    "elasticloadbalancing:CreateLoadBalancerPolicy", "elasticloadbalancing:CreateTargetGroup", "elasticloadbalancing:DeleteListener",
    "elasticloadbalancing:DeleteLoadBalancer", "elasticloadbalancing:DeleteLoadBalancerListeners", "elasticloadbalancing:DeleteTargetGroup",
    "elasticloadbalancing:DeregisterInstancesFromLoadBalancer", "elasticloadbalancing:DeregisterTargets",
    "elasticloadbalancing:DetachLoadBalancerFromSubnets", "elasticloadbalancing:ModifyListener",
    "elasticloadbalancing:ModifyLoadBalancerAttributes", "elasticloadbalancing:ModifyTargetGroup",
    "elasticloadbalancing:ModifyTargetGroupAttributes", "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
    "elasticloadbalancing:RegisterTargets", "elasticloadbalancing:SetLoadBalancerPoliciesForBackendServer",
    "elasticloadbalancing:SetLoadBalancerPoliciesOfListener",
    "kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:ListGrants",
)
CONTROLLER_ACTIONS = tuple(sorted({"ec2:Describe*", "ec2:CreateTags", *_KARPENTER, *_EKS_SERVICE}))
# Creating the ELB service-linked role (AmazonEKSClusterPolicy): allowed to the controller
# boundary for that one service only.
SERVICE_LINKED_ROLE_SERVICES = ("elasticloadbalancing.amazonaws.com",)

# ---- denied to every role, whatever an identity policy grants -----------------------------
DENIED = {
    # Cluster admin and identity binding: an access entry is cluster-admin, a Pod Identity
    # association binds any role of the account to any service account.
    "DenyClusterAccessAndIdentityBinding": (
        "eks:CreateAccessEntry", "eks:UpdateAccessEntry", "eks:DeleteAccessEntry", "eks:AssociateAccessPolicy",
        "eks:DisassociateAccessPolicy", "eks:CreatePodIdentityAssociation", "eks:UpdatePodIdentityAssociation",
        "eks:DeletePodIdentityAssociation",
    ),
    # Commands and shells on nodes (the SSM agent's own calls stay allowed to the node role).
    "DenyNodeCommands": ("ssm:SendCommand", "ssm:StartSession", "ssm:ResumeSession", "ssm:CreateAssociation"),
    "DenyKeyDestruction": ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:DisableKeyRotation", "kms:PutKeyPolicy"),
    "DenyAuditLogDeletion": ("logs:DeleteLogGroup", "logs:DeleteLogStream", "logs:PutRetentionPolicy"),
    "DenyBucketExposure": (
        "s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPublicAccessBlock", "s3:PutAccountPublicAccessBlock",
        "s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutBucketOwnershipControls",
    ),
    # New user data reaches instances through launch template versions; Karpenter creates whole
    # templates and never versions them.
    "DenyLaunchTemplateRewrites": ("ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate"),
    "DenyIamEscalation": (
        "iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
        "iam:DeleteRolePermissionsBoundary", "iam:DeleteUserPermissionsBoundary", "iam:AttachUserPolicy",
        "iam:PutUserPolicy", "iam:AddUserToGroup", "iam:AttachRolePolicy", "iam:PutRolePolicy",
        "iam:UpdateAssumeRolePolicy", "iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion",
    ),
}
# What the workload boundary never allows: no IAM, no instance launch, no EKS writes.
WORKLOAD_DENIED = (
    "iam:*", "ec2:RunInstances", "ec2:CreateFleet", "ec2:RequestSpotInstances", "ec2:RequestSpotFleet",
    "ec2:ModifyInstanceAttribute", "autoscaling:*",
    "eks:Create*", "eks:Update*", "eks:Delete*", "eks:Associate*", "eks:Disassociate*", "eks:TagResource", "eks:UntagResource",
)
BOUNDARY_EDIT_ACTIONS = (
    "iam:CreatePolicyVersion", "iam:DeletePolicy", "iam:DeletePolicyVersion", "iam:SetDefaultPolicyVersion",
    "iam:TagPolicy", "iam:UntagPolicy",
)
# Creating or re-bounding a principal is allowed only with this very boundary attached.
BOUNDARY_REQUIRED_ACTIONS = ("iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutUserPermissionsBoundary")
# Global services answer from us-east-1 whatever the stack's region: exempt from the region pin.
GLOBAL_SERVICE_ACTIONS = ("iam:*", "sts:*", "pricing:*", "shield:*")
