"""The pinned price table and its live refresh (Pricing API stubbed, spot history from moto)."""

from __future__ import annotations

import json

import pytest

from components.catalog import INSTANCE_TYPES
from llmctl.cost.prices import on_demand_from_pricing, pinned, refreshed, spot_from_history, table

US_REGIONS = ("us-east-1", "us-west-2")


def test_table_has_date_sources_and_three_regions():
    doc = table()
    meta = doc["metadata"]
    assert meta["as_of"] and meta["hours_per_month"] == 730
    assert all(url.startswith("https://") for url in meta["sources"].values())
    assert {"us-east-1", "us-west-2", "eu-west-1"} <= set(doc["regions"])
    for region in doc["regions"]:
        prices = pinned(region)
        assert prices.eks_cluster_hour == 0.10
        assert 0.04 <= prices.nat_gateway_hour <= 0.07 and 0.009 <= prices.interface_endpoint_az_hour <= 0.015
        assert prices.nlb_hour > 0 and prices.nlcu_hour > 0
        assert all(name in INSTANCE_TYPES for name in prices.instances), "prices only for catalogued types"


@pytest.mark.parametrize("region", US_REGIONS)
def test_us_regions_price_every_g5_g6_g6e_size_plus_p4d_p5_and_system_types(region):
    prices = pinned(region)
    wanted = [t for t in INSTANCE_TYPES.values() if t.family in ("g5", "g6", "g6e", "p4d", "p5", "m6i", "m7i")]
    assert [t.name for t in wanted if prices.on_demand(t.name) is None] == []
    # Sanity of the transcription: 8 x H100 > 8 x A100 > half of 8 x L40S.
    assert prices.on_demand("p5.48xlarge") > prices.on_demand("p4d.24xlarge") > prices.on_demand("g6e.48xlarge") / 2


def test_every_type_a_stack_can_pick_has_a_price(configs):
    for stack, cfg in configs.items():
        prices = pinned(cfg.region)
        types = {t for pool in cfg.gpu.pools for t in pool.instance_types} | set(cfg.cluster.system_nodes.instance_types)
        assert sorted(t for t in types if prices.on_demand(t) is None) == [], stack


def test_spot_assumption_is_a_discount_of_on_demand():
    prices = pinned("us-west-2")
    assert prices.spot_price("g6.xlarge", 60) == pytest.approx(0.8048 * 0.4)


class FakePricing:
    """The Pricing API at our boundary (moto has none): records filters, answers a PriceList."""

    def __init__(self, prices: dict[str, str]):
        self.prices = prices
        self.calls: list[dict] = []

    def get_products(self, **kwargs):
        self.calls.append(kwargs)
        filters = {f["Field"]: f["Value"] for f in kwargs["Filters"]}
        price = self.prices.get(filters["instanceType"])
        if price is None:
            return {"PriceList": []}
        product = {"product": {"attributes": filters}, "terms": {"OnDemand": {"T1": {"priceDimensions": {"D1": {"unit": "Hrs", "pricePerUnit": {"USD": price}}}}}}}
        return {"PriceList": [json.dumps(product)]}


def test_on_demand_from_the_pricing_api_filters_linux_shared_in_the_region():
    fake = FakePricing({"g6.xlarge": "0.8100000000"})
    found = on_demand_from_pricing(fake, "us-west-2", ["g6.xlarge", "g5.xlarge"])
    assert found == {"g6.xlarge": 0.81}
    filters = {f["Field"]: f["Value"] for f in fake.calls[0]["Filters"]}
    assert filters == {
        "instanceType": "g6.xlarge", "location": "US West (Oregon)", "operatingSystem": "Linux",
        "tenancy": "Shared", "preInstalledSw": "NA", "capacitystatus": "Used",
    }
    assert fake.calls[0]["ServiceCode"] == "AmazonEC2"


def test_spot_history_and_refresh_against_moto(aws_credentials):
    import boto3
    from moto import mock_aws

    with mock_aws():
        ec2 = boto3.client("ec2", region_name="us-west-2")
        spot = spot_from_history(ec2, ["g5.xlarge", "m7i.large"])
        assert set(spot) <= {"g5.xlarge", "m7i.large"} and spot, spot
        assert all(price > 0 for price in spot.values())
        live = refreshed(pinned("us-west-2"), ["g5.xlarge"], pricing=FakePricing({"g5.xlarge": "1.1"}), ec2=ec2)
    assert live.on_demand("g5.xlarge") == 1.1 and live.on_demand("g6.xlarge") == 0.8048  # pinned where not refreshed
    assert live.as_of.startswith("live ")
    if "g5.xlarge" in live.spot:
        assert live.spot_price("g5.xlarge", 60) == live.spot["g5.xlarge"]
