"""Subnet carving: inside the VPC, no overlaps, the right tier sizes, for every VPC size and AZ count."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.network.subnets import MIN_INTRA_PREFIX, plan_subnets


def test_dev_vpc_layout_is_the_documented_one():
    plan = plan_subnets(IPv4Network("10.40.0.0/16"), 3)
    assert [str(n) for n in plan.private] == ["10.40.0.0/19", "10.40.32.0/19", "10.40.64.0/19"]
    assert [str(n) for n in plan.public] == ["10.40.128.0/21", "10.40.136.0/21", "10.40.144.0/21"]
    assert [str(n) for n in plan.intra] == ["10.40.160.0/22", "10.40.164.0/22", "10.40.168.0/22"]


def test_plan_is_stable_when_az_count_grows():
    """Adding an AZ appends subnets; it never renumbers the existing ones (no replacement)."""
    three, four = plan_subnets(IPv4Network("10.60.0.0/16"), 3), plan_subnets(IPv4Network("10.60.0.0/16"), 4)
    assert four.private[:3] == three.private and four.public[:3] == three.public and four.intra[:3] == three.intra


def test_zero_azs_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        plan_subnets(IPv4Network("10.0.0.0/16"), 0)


@settings(max_examples=150, deadline=None)
@given(
    prefix=st.integers(min_value=16, max_value=20),
    az_count=st.integers(min_value=2, max_value=6),
    base=st.sampled_from(["10.0.0.0", "10.128.0.0", "172.16.0.0", "192.168.0.0"]),
)
def test_subnets_are_disjoint_inside_the_vpc_and_sized_by_tier(prefix, az_count, base):
    vpc = IPv4Network(f"{base}/{prefix}")
    plan = plan_subnets(vpc, az_count)
    subnets = plan.all()
    assert len(plan.private) == len(plan.public) == len(plan.intra) == az_count
    for subnet in subnets:
        assert subnet.subnet_of(vpc), subnet
    for i, a in enumerate(subnets):
        for b in subnets[i + 1:]:
            assert not a.overlaps(b), (a, b)
    # Nodes and pods get the most addresses; control-plane ENIs the fewest, but never below /28.
    assert plan.private[0].num_addresses > plan.public[0].num_addresses > plan.intra[0].num_addresses
    assert plan.intra[0].prefixlen <= MIN_INTRA_PREFIX
    # At least 5/16 of the VPC for nodes and pods (the worst case: 5 AZs in 8 equal slots).
    assert sum(s.num_addresses for s in plan.private) >= vpc.num_addresses * 5 // 16
    assert len({s.prefixlen for s in plan.private}) == 1
