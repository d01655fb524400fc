"""IAM documents of the AWS Load Balancer Controller, as pure functions.

controller_policy() grants what the controller's upstream iam_policy.json (v2.14) grants minus the
ALB-only integrations (WAF, Shield, Cognito) and the ALB resource ARNs (`loadbalancer/app`,
`listener/app`, `listener-rule/app`): the controller builds only the gateway's NLB, so even an
Ingress that slipped past the admission policy could not become an ALB.
tests/gateway/test_lb_iam.py proves it against the pinned reference, action by action and
condition by condition. Statements are grouped by purpose; writes are scoped to resources the controller
tagged `elbv2.k8s.aws/cluster` itself, so it cannot touch load balancers or security groups it
did not create.
"""

from __future__ import annotations

from typing import Any

CLUSTER_TAG = "elbv2.k8s.aws/cluster"
SERVICE_ACCOUNT = "aws-load-balancer-controller"
NAMESPACE = "kube-system"

_ELB = "elasticloadbalancing"
_SG_ARN = "arn:aws:ec2:*:*:security-group/*"
_TG_AND_LB_ARNS = [
    "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*",
    "arn:aws:elasticloadbalancing:*:*:loadbalancer/net/*/*",
]
_LISTENER_ARNS = [
    "arn:aws:elasticloadbalancing:*:*:listener/net/*/*/*",
    "arn:aws:elasticloadbalancing:*:*:listener-rule/net/*/*/*",
]
# Upstream's ARNs of Application Load Balancers and their listeners and rules.
ALB_RESOURCES = frozenset({
    "arn:aws:elasticloadbalancing:*:*:loadbalancer/app/*/*",
    "arn:aws:elasticloadbalancing:*:*:listener/app/*/*/*",
    "arn:aws:elasticloadbalancing:*:*:listener-rule/app/*/*/*",
})

_EC2_READ = ["DescribeAccountAttributes", "DescribeAddresses", "DescribeAvailabilityZones", "DescribeInternetGateways",
             "DescribeVpcs", "DescribeVpcPeeringConnections", "DescribeSubnets", "DescribeSecurityGroups", "DescribeInstances",
             "DescribeNetworkInterfaces", "DescribeTags", "GetCoipPoolUsage", "DescribeCoipPools", "GetSecurityGroupsForVpc",
             "DescribeIpamPools", "DescribeRouteTables"]
_ELB_READ = ["DescribeLoadBalancers", "DescribeLoadBalancerAttributes", "DescribeListeners", "DescribeListenerCertificates",
             "DescribeSSLPolicies", "DescribeRules", "DescribeTargetGroups", "DescribeTargetGroupAttributes", "DescribeTargetHealth",
             "DescribeTags", "DescribeTrustStores", "DescribeListenerAttributes", "DescribeCapacityReservation"]
# Certificates of the NLB's TLS listener.
_INTEGRATIONS = ["acm:ListCertificates", "acm:DescribeCertificate", "iam:ListServerCertificates", "iam:GetServerCertificate"]
# Upstream grants these for ALB Ingress annotations only (WAF ACLs, Shield, Cognito authentication).
ALB_ONLY = frozenset({
    "cognito-idp:DescribeUserPoolClient", "elasticloadbalancing:SetWebAcl",
    *(f"{svc}:{a}" for svc in ("waf-regional", "wafv2") for a in ("GetWebACL", "GetWebACLForResource", "AssociateWebACL", "DisassociateWebACL")),
    "shield:GetSubscriptionState", "shield:DescribeProtection", "shield:CreateProtection", "shield:DeleteProtection",
})
_ELB_MANAGE_OWNED = ["ModifyLoadBalancerAttributes", "SetIpAddressType", "SetSecurityGroups", "SetSubnets", "DeleteLoadBalancer",
                     "ModifyTargetGroup", "ModifyTargetGroupAttributes", "DeleteTargetGroup", "ModifyListenerAttributes",
                     "ModifyCapacityReservation", "ModifyIpPools"]
_ELB_RULES = ["ModifyListener", "AddListenerCertificates", "RemoveListenerCertificates", "ModifyRule", "SetRulePriorities"]

# The request carries the cluster tag (the controller creates it tagged) / the resource already has it.
_REQUEST_TAGGED = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "false"}}
_RESOURCE_TAGGED = {"Null": {f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}
# Retagging an owned resource without changing the ownership tag itself.
_OWNED_NOT_RETAGGED = {"Null": {f"aws:RequestTag/{CLUSTER_TAG}": "true", f"aws:ResourceTag/{CLUSTER_TAG}": "false"}}


def _allow(sid: str, actions: list[str], resource: str | list[str] = "*", condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resource}
    if condition:
        statement["Condition"] = condition
    return statement


def controller_policy() -> dict[str, Any]:
    elb = lambda *names: [f"{_ELB}:{n}" for n in names]  # noqa: E731
    return {
        "Version": "2012-10-17",
        "Statement": [
            _allow("ServiceLinkedRole", ["iam:CreateServiceLinkedRole"],
                   condition={"StringEquals": {"iam:AWSServiceName": "elasticloadbalancing.amazonaws.com"}}),
            _allow("Describe", [*(f"ec2:{a}" for a in _EC2_READ), *elb(*_ELB_READ)]),
            _allow("Integrations", list(_INTEGRATIONS)),
            _allow("SecurityGroupIngress", ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress"]),
            _allow("CreateSecurityGroup", ["ec2:CreateSecurityGroup"]),
            _allow("TagNewSecurityGroup", ["ec2:CreateTags"], _SG_ARN,
                   {"StringEquals": {"ec2:CreateAction": "CreateSecurityGroup"}, **_REQUEST_TAGGED}),
            _allow("TagOwnedSecurityGroup", ["ec2:CreateTags", "ec2:DeleteTags"], _SG_ARN, _OWNED_NOT_RETAGGED),
            _allow("ManageOwnedSecurityGroup", ["ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:DeleteSecurityGroup"],
                   condition=_RESOURCE_TAGGED),
            _allow("CreateTaggedLoadBalancer", elb("CreateLoadBalancer", "CreateTargetGroup"), condition=_REQUEST_TAGGED),
            _allow("ManageListenersAndRules", elb("CreateListener", "DeleteListener", "CreateRule", "DeleteRule")),
            _allow("TagOwnedLoadBalancer", elb("AddTags", "RemoveTags"), list(_TG_AND_LB_ARNS), _OWNED_NOT_RETAGGED),
            _allow("TagListenersAndRules", elb("AddTags", "RemoveTags"), list(_LISTENER_ARNS)),
            _allow("ManageOwnedLoadBalancer", elb(*_ELB_MANAGE_OWNED), condition=_RESOURCE_TAGGED),
            _allow("TagOnCreate", elb("AddTags"), list(_TG_AND_LB_ARNS),
                   {"StringEquals": {f"{_ELB}:CreateAction": ["CreateTargetGroup", "CreateLoadBalancer"]}, **_REQUEST_TAGGED}),
            _allow("RegisterTargets", elb("RegisterTargets", "DeregisterTargets"), "arn:aws:elasticloadbalancing:*:*:targetgroup/*/*"),
            _allow("ModifyListenersAndRules", elb(*_ELB_RULES)),
        ],
    }


