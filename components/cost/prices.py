"""The pinned price table (prices.json beside this file) as typed, per-region prices.

Facts both sides use: the program prices a slot's replica-hour for its dashboard, and
`llmctl cost estimate` prices a whole inventory (llmctl/cost refreshes them live when asked).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

HOURS_PER_MONTH = 730


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
    interface_endpoint_gb: float  # data processed by an interface endpoint (first PB tier)
    nlb_hour: float  # the gateway's Network Load Balancer (components/gateway/platform.py)
    nlcu_hour: float
    ebs_gp3_gb_month: float
    kms_key_month: float
    instances: dict[str, float]
    # S3 Express One Zone (the shared weight cache): storage per GB-month and retrieval per GB of the
    # part of each GET above 512 KB; None where no price is pinned.
    s3_express_gb_month: float | None = None
    s3_express_retrieval_gb: float | None = None
    # Live spot prices by instance type; empty means "on-demand x (1 - spot discount)".
    spot: dict[str, float] = field(default_factory=dict)
    # ElastiCache for Valkey on-demand node prices by node type (the gateway's quota store).
    elasticache_valkey_node_hour: dict[str, float] = field(default_factory=dict)

    def on_demand(self, instance_type: str) -> float | None:
        return self.instances.get(instance_type)

    def spot_price(self, instance_type: str, discount_pct: float) -> float | None:
        if instance_type in self.spot:
            return self.spot[instance_type]
        od = self.on_demand(instance_type)
        return None if od is None else od * (1 - discount_pct / 100)


@cache
def _table_text() -> str:
    return resources.files("components.cost").joinpath("prices.json").read_text()


def table() -> dict[str, Any]:
    return json.loads(_table_text())


def pinned(region: str) -> RegionPrices:
    doc = table()
    regions = doc["regions"]
    if region not in regions:
        raise PriceError(f"no pinned prices for region {region}; pinned regions: {', '.join(sorted(regions))} (or use --live)")
    row = dict(regions[region])
    return RegionPrices(region=region, as_of=doc["metadata"]["as_of"], instances=dict(row.pop("instances")), **row)


def spot_fraction(capacity_types: list[str] | tuple[str, ...], spot_share_pct: float) -> float:
    """Expected share of a pool's hours on spot: all of them for a spot-only pool, none for an
    on-demand-only pool, the configured share when Karpenter may use either."""
    if "spot" not in capacity_types:
        return 0.0
    return 1.0 if "on-demand" not in capacity_types else spot_share_pct / 100


def replica_hour_usd(region: str, instance_types: list[str], spot_share: float, spot_discount_pct: float) -> float | None:
    """Expected $/hour of one replica on the cheapest pinned-priced type of `instance_types` at
    `spot_share` of its hours on spot; None when the region or the types are not in the table."""
    try:
        prices = pinned(region)
    except PriceError:
        return None
    priced = [(price, name) for name in instance_types if (price := prices.on_demand(name)) is not None]
    if not priced:
        return None
    on_demand, name = min(priced)
    spot = prices.spot_price(name, spot_discount_pct) or on_demand
    return round(spot_share * spot + (1 - spot_share) * on_demand, 4)
