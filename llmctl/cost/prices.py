"""The pinned price table (prices.json, shipped with the package) and its live refresh.

Live prices: the AWS Pricing API (only in us-east-1) for on-demand rates and EC2 spot price
history for spot, used only when boto3 finds credentials. moto has no Pricing API, so callers
and tests pass their own clients at this boundary.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib import resources
from typing import Any

HOURS_PER_MONTH = 730

# The Pricing API filters on the region's display name, not its code.
PRICING_LOCATIONS = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-2": "US West (Oregon)",
    "ca-central-1": "Canada (Central)",
    "eu-west-1": "EU (Ireland)",
    "eu-west-2": "EU (London)",
    "eu-central-1": "EU (Frankfurt)",
    "eu-north-1": "EU (Stockholm)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ap-south-1": "Asia Pacific (Mumbai)",
}


class PriceError(Exception):
    """No usable price; str() is the one-line message for the user."""


@dataclass(frozen=True)
class RegionPrices:
    region: str
    as_of: str
    eks_cluster_hour: float
    nat_gateway_hour: float
    nat_gateway_gb: float
    interface_endpoint_az_hour: float
    alb_hour: float
    alb_lcu_hour: float
    ebs_gp3_gb_month: float
    kms_key_month: float
    instances: dict[str, float]
    # Live spot prices by instance type; empty means "on-demand x (1 - spot discount)".
    spot: dict[str, float] = field(default_factory=dict)

    def on_demand(self, instance_type: str) -> float | None:
        return self.instances.get(instance_type)

    def spot_price(self, instance_type: str, discount_pct: float) -> float | None:
        if instance_type in self.spot:
            return self.spot[instance_type]
        od = self.on_demand(instance_type)
        return None if od is None else od * (1 - discount_pct / 100)


def table() -> dict[str, Any]:
    return json.loads(resources.files("llmctl.cost").joinpath("prices.json").read_text())


def pinned(region: str) -> RegionPrices:
    doc = table()
    regions = doc["regions"]
    if region not in regions:
        raise PriceError(f"no pinned prices for region {region}; pinned regions: {', '.join(sorted(regions))} (or use --live)")
    row = dict(regions[region])
    return RegionPrices(region=region, as_of=doc["metadata"]["as_of"], instances=dict(row.pop("instances")), **row)


# ---- live refresh ---------------------------------------------------------------------------

def has_credentials() -> bool:
    import boto3

    return boto3.session.Session().get_credentials() is not None


def on_demand_from_pricing(pricing: Any, region: str, instance_types: list[str]) -> dict[str, float]:
    """Hourly on-demand Linux/shared price per type from the Pricing API (`pricing` client)."""
    location = PRICING_LOCATIONS.get(region)
    if location is None:
        raise PriceError(f"no Pricing API location name for region {region}")
    found: dict[str, float] = {}
    for itype in instance_types:
        filters = [
            {"Type": "TERM_MATCH", "Field": key, "Value": value}
            for key, value in (
                ("instanceType", itype), ("location", location), ("operatingSystem", "Linux"),
                ("tenancy", "Shared"), ("preInstalledSw", "NA"), ("capacitystatus", "Used"),
            )
        ]
        response = pricing.get_products(ServiceCode="AmazonEC2", Filters=filters, MaxResults=10)
        for item in response.get("PriceList", []):
            product = json.loads(item) if isinstance(item, str) else item
            price = _first_usd(product)
            if price:
                found[itype] = price
                break
    return found


def _first_usd(product: dict[str, Any]) -> float | None:
    for term in (product.get("terms", {}).get("OnDemand") or {}).values():
        for dimension in (term.get("priceDimensions") or {}).values():
            usd = (dimension.get("pricePerUnit") or {}).get("USD")
            if usd and float(usd) > 0:
                return float(usd)
    return None


def spot_from_history(ec2: Any, instance_types: list[str], now: datetime | None = None) -> dict[str, float]:
    """Median over availability zones of each type's latest Linux spot price."""
    if not instance_types:
        return {}
    latest: dict[tuple[str, str], tuple[datetime, float]] = {}
    paginator = ec2.get_paginator("describe_spot_price_history")
    pages = paginator.paginate(InstanceTypes=instance_types, ProductDescriptions=["Linux/UNIX"], StartTime=now or datetime.now(UTC))
    for page in pages:
        for row in page.get("SpotPriceHistory", []):
            key = (row["InstanceType"], row.get("AvailabilityZone", ""))
            stamp = row.get("Timestamp") or datetime.min.replace(tzinfo=UTC)
            if key not in latest or stamp > latest[key][0]:
                latest[key] = (stamp, float(row["SpotPrice"]))
    by_type: dict[str, list[float]] = {}
    for (itype, _), (_, price) in latest.items():
        by_type.setdefault(itype, []).append(price)
    return {itype: statistics.median(prices) for itype, prices in by_type.items()}


def refreshed(base: RegionPrices, instance_types: list[str], pricing: Any = None, ec2: Any = None) -> RegionPrices:
    """`base` with live on-demand and spot prices for `instance_types` (clients built from the
    environment unless given; the Pricing API lives only in us-east-1)."""
    import boto3

    pricing = pricing or boto3.client("pricing", region_name="us-east-1")
    ec2 = ec2 or boto3.client("ec2", region_name=base.region)
    on_demand = on_demand_from_pricing(pricing, base.region, instance_types)
    spot = spot_from_history(ec2, instance_types)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H:%MZ")
    return replace(base, as_of=f"live {stamp} (pinned {base.as_of} where missing)", instances={**base.instances, **on_demand}, spot=spot)
