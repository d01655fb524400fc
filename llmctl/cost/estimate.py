"""Monthly cost of a stack from what it runs (capacity.py) and a price table (prices.py).

Scenarios (730 hours a month):
  min       every slot at its minimum replicas, on spot wherever its pool allows spot;
            system node groups at minSize.
  expected  the live slot of each endpoint at max(min replicas, 1) (a scale-to-zero slot is
            counted as serving), idle slots at their floor (standby replicas); pools allowing
            both capacity types run `spotSharePct` of their hours on spot, spot-only pools all,
            on-demand-only pools none; system node groups at desiredSize.
  max       every slot at its maximum replicas, all on-demand; system node groups at maxSize.
The line items are the expected scenario. `savings_vs_on_demand_pct` compares it with the
same replicas all on-demand. Each replica is priced as one node of the cheapest pool type it
fits on; fixed costs (control plane, NAT, endpoints, ALB, KMS) are the same in every scenario.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from llmctl.cost.capacity import Capacity, Pool, Slot, fitting_types
from llmctl.cost.prices import HOURS_PER_MONTH, PriceError, RegionPrices

SCENARIOS = ("min", "expected", "max")


@dataclass(frozen=True)
class Assumptions:
    spot_discount_pct: float = 60.0
    spot_share_pct: float = 90.0
    nat_data_gb_per_month: float = 100.0
    alb_lcus: float = 1.0

    @classmethod
    def from_config(cls, cost: Any) -> Assumptions:
        return cls(cost.spot_discount_pct, cost.spot_share_pct, cost.nat_data_gb_per_month, cost.alb_lcus)


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float
    unit_usd: float

    @property
    def monthly_usd(self) -> float:
        return self.quantity * self.unit_usd

    def to_json(self) -> dict[str, Any]:
        return {"item": self.item, "quantity": round(self.quantity, 2), "unit_usd": round(self.unit_usd, 5), "monthly_usd": round(self.monthly_usd, 2)}


def spot_share(pool: Pool, scenario: str, a: Assumptions) -> float:
    """Fraction of a pool's GPU hours on spot in a scenario."""
    if scenario in ("max", "on_demand") or not pool.spot:
        return 0.0
    if not pool.on_demand or scenario == "min":
        return 1.0
    return a.spot_share_pct / 100


def cheapest(pool: Pool, slot: Slot, prices: RegionPrices, a: Assumptions, spot: bool) -> tuple[str, float]:
    """The cheapest priced instance type of `pool` one replica of `slot` fits on."""
    priced = []
    for name in fitting_types(pool, slot):
        price = prices.spot_price(name, a.spot_discount_pct) if spot else prices.on_demand(name)
        if price is not None:
            priced.append((price, name))
    if not priced:
        raise PriceError(
            f"{slot.endpoint}/{slot.slot}: no priced instance type in pool {pool.name} fits {slot.gpus} GPU(s), "
            f"{slot.cpu:g} vCPU, {slot.memory_gib:g} GiB in {prices.region}; add prices to components/cost/prices.json or use --live"
        )
    price, name = min(priced)
    return name, price


def _replicas(slot: Slot, scenario: str) -> int:
    return {"min": slot.min, "expected": slot.expected, "on_demand": slot.expected, "max": slot.max}[scenario]


def lines(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    h = HOURS_PER_MONTH
    out: list[Line] = []
    if cap.clusters:
        out.append(Line(f"EKS control plane ({cap.clusters} x {h} h)", cap.clusters * h, prices.eks_cluster_hour))
    if cap.nat_gateways:
        out.append(Line(f"NAT gateways ({cap.nat_gateways} x {h} h)", cap.nat_gateways * h, prices.nat_gateway_hour))
        out.append(Line(f"NAT data processing (assumed {a.nat_data_gb_per_month:g} GB/month)", a.nat_data_gb_per_month, prices.nat_gateway_gb))
    if cap.interface_endpoint_enis:
        out.append(Line(
            f"Interface VPC endpoints ({cap.interface_endpoints} endpoints, {cap.interface_endpoint_enis} AZ ENIs x {h} h)",
            cap.interface_endpoint_enis * h, prices.interface_endpoint_az_hour,
        ))
    if cap.albs:
        out.append(Line(f"ALB ({cap.albs} x {h} h)", cap.albs * h, prices.alb_hour))
        out.append(Line(f"ALB LCUs (assumed {a.alb_lcus:g} LCU x {cap.albs} ALB x {h} h)", a.alb_lcus * cap.albs * h, prices.alb_lcu_hour))
    if cap.kms_keys:
        out.append(Line(f"KMS keys ({cap.kms_keys})", cap.kms_keys, prices.kms_key_month))
    for group in cap.node_groups:
        count = {"min": group.min, "max": group.max}.get(scenario, group.desired)
        price = prices.on_demand(group.instance_type)
        if price is None:
            raise PriceError(f"node group {group.name}: no {prices.region} price for {group.instance_type}; add it to components/cost/prices.json or use --live")
        out.append(Line(f"System nodes {group.name} ({count} x {group.instance_type} on-demand x {h} h)", count * h, price))
        out.append(Line(f"System node volumes {group.name} ({count} x {group.disk_gib} GiB gp3)", count * group.disk_gib, prices.ebs_gp3_gb_month))
    for slot in cap.slots:
        replicas = _replicas(slot, scenario)
        if replicas <= 0:
            continue
        pool = cap.pools.get(slot.pool)
        if pool is None:
            raise PriceError(f"{slot.endpoint}/{slot.slot}: its pool {slot.pool!r} is not in the stack (pools: {', '.join(cap.pools) or 'none'})")
        share = spot_share(pool, scenario, a)
        label = f"GPU {slot.endpoint}/{slot.slot}"
        if share > 0:
            itype, price = cheapest(pool, slot, prices, a, spot=True)
            out.append(Line(f"{label} ({replicas} x {itype} spot, {share:.0%} of {h} h)", replicas * h * share, price))
        if share < 1:
            itype, price = cheapest(pool, slot, prices, a, spot=False)
            out.append(Line(f"{label} ({replicas} x {itype} on-demand, {1 - share:.0%} of {h} h)", replicas * h * (1 - share), price))
        out.append(Line(f"{label} node volumes ({replicas} x {pool.volume_gib} GiB gp3)", replicas * pool.volume_gib, prices.ebs_gp3_gb_month))
    return out


def replica_hour(pool: Pool, slot: Slot, prices: RegionPrices, a: Assumptions) -> tuple[str | None, str | None, float | None, float]:
    """(spot type, on-demand type, on-demand $/h, expected $/h) of one replica of `slot`."""
    od_type, od_price = cheapest(pool, slot, prices, a, spot=False) if pool.on_demand else (None, None)
    spot_type, spot_price = cheapest(pool, slot, prices, a, spot=True) if pool.spot else (None, None)
    share = spot_share(pool, "expected", a)
    return spot_type, od_type, od_price, share * (spot_price or 0) + (1 - share) * (od_price or 0)


def standby(cap: Capacity, prices: RegionPrices, a: Assumptions, cold_starts: dict[tuple[str, str], dict[str, float]]) -> list[dict[str, Any]]:
    """Per endpoint: what its warm replicas cost a month next to the cold start they avoid. Standby
    = the idle slot's replicas (a gate or rollback without waiting); floor = the live slot's
    minimum replicas (load arriving before a scale-up's cold start finishes)."""
    rows: dict[str, dict[str, Any]] = {}
    for slot in cap.slots:
        pool = cap.pools.get(slot.pool)
        if pool is None or not slot.model or slot.min <= 0:
            continue
        hourly = replica_hour(pool, slot, prices, a)[3]
        row = rows.setdefault(slot.endpoint, {"endpoint": slot.endpoint, "team": slot.team, "standby_replicas": 0, "standby_monthly_usd": 0.0,
                                              "floor_replicas": 0, "floor_monthly_usd": 0.0, "cold_start_seconds": None})
        kind = "floor" if slot.live else "standby"
        row[f"{kind}_replicas"] += slot.min
        row[f"{kind}_monthly_usd"] = round(row[f"{kind}_monthly_usd"] + slot.min * hourly * HOURS_PER_MONTH, 2)
        if slot.live and (slot.endpoint, slot.slot) in cold_starts:
            row["cold_start_seconds"] = cold_starts[(slot.endpoint, slot.slot)]
    return list(rows.values())


def per_slot(cap: Capacity, prices: RegionPrices, a: Assumptions) -> list[dict[str, Any]]:
    """Per slot: the node it runs on and what a million output tokens cost at its configured
    tokens/s per replica, fully loaded (a replica busy all hour)."""
    rows = []
    for slot in cap.slots:
        pool = cap.pools.get(slot.pool)
        if pool is None or not slot.model:
            continue
        spot_type, od_type, od_price, hourly = replica_hour(pool, slot, prices, a)
        tokens_per_hour = slot.tokens_per_second * 3600
        rows.append({
            "endpoint": slot.endpoint, "slot": slot.slot, "model": slot.model, "team": slot.team, "pool": slot.pool,
            "live": slot.live, "gpus_per_replica": slot.gpus,
            "instance_type": spot_type or od_type,
            "replicas": {"min": slot.min, "expected": slot.expected, "max": slot.max},
            "hourly_usd_per_replica": round(hourly, 4),
            "tokens_per_second": slot.tokens_per_second,
            "usd_per_1m_output_tokens": round(hourly / tokens_per_hour * 1e6, 4),
            "usd_per_1m_output_tokens_on_demand": round(od_price / tokens_per_hour * 1e6, 4) if od_price else None,
        })
    return rows


def estimate(cap: Capacity, prices: RegionPrices, a: Assumptions, cold_starts: dict[tuple[str, str], dict[str, float]] | None = None) -> dict[str, Any]:
    totals = {s: sum(line.monthly_usd for line in lines(cap, prices, a, s)) for s in (*SCENARIOS, "on_demand")}
    expected = lines(cap, prices, a, "expected")
    notes = []
    for pool in cap.pools.values():
        peak = sum(s.max * s.gpus for s in cap.slots if s.pool == pool.name)
        if pool.gpu_limit is not None and peak > pool.gpu_limit:
            notes.append(f"pool {pool.name}: slots may ask for {peak} GPUs at max replicas but the pool is limited to {pool.gpu_limit}; max overstates")
    saving = (totals["on_demand"] - totals["expected"]) / totals["on_demand"] * 100 if totals["on_demand"] else 0.0
    return {
        "stack": cap.stack,
        "region": cap.region,
        "prices_as_of": prices.as_of,
        "items": [line.to_json() for line in expected],
        "total_monthly_usd": {s: round(totals[s], 2) for s in SCENARIOS},
        "savings_vs_on_demand_pct": round(saving, 1),
        "per_slot": per_slot(cap, prices, a),
        "standby": standby(cap, prices, a, cold_starts or {}),
        "assumptions": {"hours_per_month": HOURS_PER_MONTH, **asdict(a)},
        "notes": notes,
    }


def render_text(result: dict[str, Any]) -> str:
    t = result["total_monthly_usd"]
    out = [f"cost estimate {result['stack']} ({result['region']}, prices {result['prices_as_of']}), expected month:"]
    for item in result["items"]:
        out.append(f"  {item['monthly_usd']:>11,.2f}  {item['item']}")
    out.append(f"  monthly USD: min {t['min']:,.2f}  expected {t['expected']:,.2f}  max {t['max']:,.2f}")
    out.append(f"  spot saving vs all on-demand (expected): {result['savings_vs_on_demand_pct']:.1f}%")
    for row in result["per_slot"]:
        out.append(
            f"  {row['endpoint']}/{row['slot']} {row['model']} on {row['instance_type']}: "
            f"${row['hourly_usd_per_replica']:.3f}/replica-hour, ${row['usd_per_1m_output_tokens']:.3f} per 1M output tokens "
            f"at {row['tokens_per_second']:g} tok/s"
        )
    for row in result.get("standby", []):
        cold = row["cold_start_seconds"]
        start = f"cold start {cold['cached']:.0f} s cached / {cold['first_start']:.0f} s first (llmctl coldstart)" if cold else "cold start not computed"
        out.append(f"  {row['endpoint']}: warm replicas {row['floor_replicas']} live floor ${row['floor_monthly_usd']:,.2f}/month + "
                   f"{row['standby_replicas']} standby ${row['standby_monthly_usd']:,.2f}/month; {start}")
    out.extend(f"  note: {note}" for note in result["notes"])
    return "\n".join(out)
