"""Carve a VPC CIDR into public, private and intra subnets, one of each per AZ (pure).

Layout of the VPC (slots = AZ count rounded up to a power of two, so every AZ gets the same size):
  first half      private subnets (nodes and pods; VPC CNI prefix delegation eats addresses fast)
  next eighth     public subnets (NAT gateways, internet-facing load balancers)
  next sixteenth  intra subnets (EKS control-plane ENIs, no route to the internet)
  rest            free for later (e.g. a second node CIDR)
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

# EKS needs at least 6 free addresses in a control-plane subnet (it recommends /28 or larger).
MIN_INTRA_PREFIX = 28


@dataclass(frozen=True)
class SubnetPlan:
    private: tuple[IPv4Network, ...]
    public: tuple[IPv4Network, ...]
    intra: tuple[IPv4Network, ...]

    def all(self) -> list[IPv4Network]:
        return [*self.private, *self.public, *self.intra]


def _slot_bits(az_count: int) -> int:
    return max(az_count - 1, 1).bit_length()


def plan_subnets(vpc: IPv4Network, az_count: int) -> SubnetPlan:
    if az_count < 1:
        raise ValueError("az_count must be at least 1")
    bits = _slot_bits(az_count)
    halves = list(vpc.subnets(prefixlen_diff=1))
    eighths = list(halves[1].subnets(prefixlen_diff=2))  # each an eighth of the VPC
    public_block = eighths[0]
    intra_block = next(eighths[1].subnets(prefixlen_diff=1))  # a sixteenth
    private = list(halves[0].subnets(prefixlen_diff=bits))[:az_count]
    public = list(public_block.subnets(prefixlen_diff=bits))[:az_count]
    intra = list(intra_block.subnets(prefixlen_diff=bits))[:az_count]
    if intra[0].prefixlen > MIN_INTRA_PREFIX:
        raise ValueError(f"{vpc} is too small for {az_count} AZs: intra subnets would be /{intra[0].prefixlen}")
    return SubnetPlan(tuple(private), tuple(public), tuple(intra))
