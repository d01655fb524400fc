"""Prices for `llmctl cost`: the pinned table (components/cost/prices.py) and its live refresh.

Live prices: the AWS Pricing API (only in us-east-1) for on-demand rates and EC2 spot price
history for spot, used only when boto3 finds credentials. moto has no Pricing API, so callers
and tests pass their own clients at this boundary.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from components.cost.prices import HOURS_PER_MONTH, PriceError, RegionPrices, pinned, table  # noqa: F401  (re-exported)

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
