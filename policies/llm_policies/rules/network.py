"""Network exposure: no world-open ingress except HTTPS to a public ALB, VPC flow logs on."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Context, ResourceView, as_list, get, is_map, number, stack_rule

SG = "aws:ec2/securityGroup:SecurityGroup"
SG_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
SG_INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
WORLD = ("0.0.0.0/0", "::/0")


def _world_cidrs(rule: object) -> list[str]:
    cidrs = [*as_list(get(rule, "cidrBlocks")), *as_list(get(rule, "ipv6CidrBlocks")),
             get(rule, "cidrIpv4"), get(rule, "cidrIpv6")]
    return [c for c in cidrs if c in WORLD]


def _is_https(rule: object) -> bool:
    protocol = str(get(rule, "protocol", default=get(rule, "ipProtocol", default=""))).lower()
    return number(get(rule, "fromPort")) == 443 and number(get(rule, "toPort")) == 443 and protocol in ("tcp", "6")


def _ingress_rules(r: ResourceView) -> list[tuple[str, object]]:
    if r.type == SG:
        return [(f"ingress[{i}]", rule) for i, rule in enumerate(as_list(get(r.props, "ingress"))) if is_map(rule)]
    if r.type == SG_RULE and get(r.props, "type") == "ingress":
        return [("", r.props)]
    if r.type == SG_INGRESS:
        return [("", r.props)]
    return []


@stack_rule(
    "no-public-ingress", "network",
    "No security group admits 0.0.0.0/0 or ::/0, except TCP 443 when the stack has a public (internet-facing) "
    "endpoint (an internet-facing gateway NLB, or policy config publicEndpoint: true).", config_keys=("publicEndpoint",),
)
def no_public_ingress(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    for r in resources:
        for where, rule in _ingress_rules(r):
            world = _world_cidrs(rule)
            if not world or (ctx.public_endpoint and _is_https(rule)):
                continue
            at = f" {where}" if where else ""
            allowed = "only TCP 443 of an internet-facing endpoint may be" if ctx.public_endpoint else "nothing may be (the stack has no public endpoint)"
            yield r, f"{r.display}{at}: ingress from {', '.join(world)}; {allowed} open to the world: use the VPC CIDR or a prefix list"


@stack_rule(
    "vpc-flow-logs", "network",
    "Every VPC has a flow log (all or rejected traffic) in the same component.",
)
def vpc_flow_logs(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    logs = [r for r in resources if r.type == FLOW_LOG and get(r.props, "trafficType", default="ALL") in ("ALL", "REJECT")
            and (get(r.props, "vpcId") or get(r.props, "resourceId"))]
    for vpc in (r for r in resources if r.type == VPC):
        if not any(log.parent == vpc.parent for log in logs):
            yield vpc, f"{vpc.display}: no VPC flow log; add an aws.ec2.FlowLog (trafficType ALL) for this VPC"
