"""Monthly cost of a stack from what it runs (capacity.py) and a price table (prices.py).

Scenarios (`hours_per_month` hours, 730 unless `--set hours_per_month=...`):
  min       every slot at its minimum replicas, on spot wherever its pool allows spot;
            system node groups at minSize.
  expected  the live slot of each endpoint at max(min replicas, 1) (a scale-to-zero slot is
            counted as serving), idle slots at their floor (standby replicas); pools allowing
            both capacity types run `spot_share_pct` of their hours on spot, spot-only pools all,
            on-demand-only pools none; system node groups at desiredSize.
  max       every slot at its maximum replicas, all on-demand; system node groups at maxSize.
Reserved capacity (ODCRs, Capacity Blocks) is paid in every scenario whether used or not, and
replicas of a pool with reservations fill them first (Karpenter prefers reserved capacity).
The line items are the expected scenario; each is `fixed` (the platform) or `gpu` (GPU nodes,
their volumes, reservations): `fixed_monthly_usd` is the total minus the GPU lines.

Line items come from the functions in LINE_ITEMS, one per cost source: a new source (a volume,
standby capacity) is one more function there.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from components.catalog.models import model_facts as catalog_facts
from llmctl.cost.assumptions import AssumptionError, Assumptions
from llmctl.cost.capacity import Capacity, Pool, Reservation, Slot, fitting_types
from llmctl.cost.prices import PriceError, RegionPrices

__all__ = ["AssumptionError", "Assumptions", "LINE_ITEMS", "Line", "estimate", "lines", "per_slot", "render_text"]

SCENARIOS = ("min", "expected", "max")
FIXED, GPU = "fixed", "gpu"


@dataclass(frozen=True)
class Line:
    item: str
    quantity: float
    unit_usd: float
    category: str = FIXED

    @property
    def monthly_usd(self) -> float:
        return self.quantity * self.unit_usd

    def to_json(self) -> dict[str, Any]:
        return {"item": self.item, "category": self.category, "quantity": round(self.quantity, 2),
                "unit_usd": round(self.unit_usd, 5), "monthly_usd": round(self.monthly_usd, 2)}


def spot_share(pool: Pool, scenario: str, a: Assumptions) -> float:
    """Fraction of a pool's (unreserved) GPU hours on spot in a scenario."""
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


# ---- line items, one function per cost source ----------------------------------------------

LineItems = Callable[[Capacity, RegionPrices, Assumptions, str], list[Line]]


def control_plane(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    h = a.hours_per_month
    return [Line(f"EKS control plane ({cap.clusters} x {h:g} h)", cap.clusters * h, prices.eks_cluster_hour)] if cap.clusters else []


def nat(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    if not cap.nat_gateways:
        return []
    h = a.hours_per_month
    return [
        Line(f"NAT gateways ({cap.nat_gateways} x {h:g} h)", cap.nat_gateways * h, prices.nat_gateway_hour),
        Line(f"NAT data processing (assumed {a.nat_data_gb_per_month:g} GB/month)", a.nat_data_gb_per_month, prices.nat_gateway_gb),
    ]


def interface_endpoints(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    if not cap.interface_endpoint_enis:
        return []
    h = a.hours_per_month
    return [Line(
        f"Interface VPC endpoints ({cap.interface_endpoints} endpoints, {cap.interface_endpoint_enis} AZ ENIs x {h:g} h)",
        cap.interface_endpoint_enis * h, prices.interface_endpoint_az_hour,
    )]


def load_balancers(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    """The gateway's NLB: hourly, plus NLCU-hours (the highest of new flows, active flows and bytes,
    an assumption: `nlb_lcus`)."""
    if not cap.nlbs:
        return []
    h = a.hours_per_month
    return [
        Line(f"NLB ({cap.nlbs} x {h:g} h)", cap.nlbs * h, prices.nlb_hour),
        Line(f"NLB NLCUs (assumed {a.nlb_lcus:g} NLCU x {cap.nlbs} NLB x {h:g} h)", a.nlb_lcus * cap.nlbs * h, prices.nlcu_hour),
    ]


def kms(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    return [Line(f"KMS keys ({cap.kms_keys})", cap.kms_keys, prices.kms_key_month)] if cap.kms_keys else []


def rate_limit_store(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    """The ElastiCache nodes holding the gateway's token-quota counters (components/ratelimit)."""
    h = a.hours_per_month
    out = []
    for node_type, count in sorted(cap.cache_nodes.items()):
        price = prices.elasticache_valkey_node_hour.get(node_type)
        if price is None:
            raise PriceError(f"no ElastiCache for Valkey price for {node_type} in {prices.region}; add it to components/cost/prices.json")
        out.append(Line(f"ElastiCache Valkey quota store ({count} x {node_type} x {h:g} h)", count * h, price))
    return out


def system_nodes(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    out = []
    h = a.hours_per_month
    for group in cap.node_groups:
        count = {"min": group.min, "max": group.max}.get(scenario, group.desired)
        price = prices.on_demand(group.instance_type)
        if price is None:
            raise PriceError(f"node group {group.name}: no {prices.region} price for {group.instance_type}; add it to components/cost/prices.json or use --live")
        out.append(Line(f"System nodes {group.name} ({count} x {group.instance_type} on-demand x {h:g} h)", count * h, price))
        out.append(Line(f"System node volumes {group.name} ({count} x {group.disk_gib} GiB gp3)", count * group.disk_gib, prices.ebs_gp3_gb_month))
    return out


def reservation_price(r: Reservation, prices: RegionPrices) -> float:
    price = r.hourly_usd if r.hourly_usd is not None else prices.on_demand(r.instance_type)
    if price is None:
        raise PriceError(f"pool {r.pool}: no {prices.region} price for reserved {r.instance_type}; set hourlyUsd on the reservation")
    return price


def reserved_capacity(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    """Every reserved instance-hour, used or not (a Capacity Block for its length within the month)."""
    out = []
    for r in cap.reservations:
        hours = min(r.hours, a.hours_per_month) if r.hours is not None else a.hours_per_month
        kind = "Capacity Block" if r.kind == "capacity-block" else "ODCR"
        out.append(Line(f"Reserved {r.pool} ({r.count} x {r.instance_type} {kind} x {hours:g} h, paid used or not)", r.count * hours,
                        reservation_price(r, prices), GPU))
    return out


def _in_reservations(cap: Capacity, pool: Pool, slot: Slot, replicas: int, free: dict[str, int]) -> tuple[int, str | None]:
    """Replicas of `slot` the pool's reservations hold (taking from `free`, instances left per
    pool+type), and the reserved type they run on."""
    if not pool.reserved:
        return 0, None
    placed = 0
    for r in cap.reservations:
        key = f"{r.pool}/{r.instance_type}"
        if r.pool != pool.base or r.instance_type not in fitting_types(pool, slot) or free.get(key, 0) <= 0:
            continue
        per_node = max(1, _gpus_of(r.instance_type) // max(slot.gpus, 1))
        take = min(replicas - placed, free[key] * per_node)
        free[key] -= math.ceil(take / per_node)
        placed += take
        if placed == replicas:
            return placed, r.instance_type
    return placed, next((r.instance_type for r in cap.reservations if r.pool == pool.base), None)


def _gpus_of(instance_type: str) -> int:
    from components.catalog import INSTANCE_TYPES

    return INSTANCE_TYPES[instance_type].gpus


def gpu_slots(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    h = a.hours_per_month
    out: list[Line] = []
    free = {f"{r.pool}/{r.instance_type}": r.count for r in cap.reservations}
    for slot in cap.slots:
        replicas = _replicas(slot, scenario)
        if replicas <= 0:
            continue
        pool = cap.pools.get(slot.pool)
        if pool is None:
            raise PriceError(f"{slot.endpoint}/{slot.slot}: its pool {slot.pool!r} is not in the stack (pools: {', '.join(cap.pools) or 'none'})")
        label = f"GPU {slot.endpoint}/{slot.slot}"
        reserved, rtype = _in_reservations(cap, pool, slot, replicas, free)
        if reserved:
            out.append(Line(f"{label} ({reserved} x {rtype} in reserved capacity, paid above)", reserved * h, 0.0, GPU))
        rest = replicas - reserved
        if rest and (pool.spot or pool.on_demand):
            share = spot_share(pool, scenario, a)
            if share > 0:
                itype, price = cheapest(pool, slot, prices, a, spot=True)
                out.append(Line(f"{label} ({rest} x {itype} spot, {share:.0%} of {h:g} h)", rest * h * share, price, GPU))
            if share < 1:
                itype, price = cheapest(pool, slot, prices, a, spot=False)
                out.append(Line(f"{label} ({rest} x {itype} on-demand, {1 - share:.0%} of {h:g} h)", rest * h * (1 - share), price, GPU))
        placed = replicas if pool.spot or pool.on_demand else reserved
        if placed:
            out.append(Line(f"{label} node volumes ({placed} x {pool.volume_gib} GiB gp3)", placed * pool.volume_gib, prices.ebs_gp3_gb_month, GPU))
    return out


def standby(cap: Capacity, slot_rows: list[dict[str, Any]], hours: float, cold_starts: dict[tuple[str, str], dict[str, float]]) -> list[dict[str, Any]]:
    """Per endpoint: what its warm replicas cost a month next to the cold start they avoid. Standby
    = the idle slot's replicas (a gate or rollback without waiting); floor = the live slot's
    minimum replicas (load arriving before a scale-up's cold start finishes). Priced at per_slot's
    $/replica-hour."""
    hourly = {(r["endpoint"], r["slot"]): r["hourly_usd_per_replica"] for r in slot_rows}
    rows: dict[str, dict[str, Any]] = {}
    for slot in cap.slots:
        if (slot.endpoint, slot.slot) not in hourly or slot.min <= 0:
            continue
        row = rows.setdefault(slot.endpoint, {"endpoint": slot.endpoint, "team": slot.team, "standby_replicas": 0, "standby_monthly_usd": 0.0,
                                              "floor_replicas": 0, "floor_monthly_usd": 0.0, "cold_start_seconds": None})
        kind = "floor" if slot.live else "standby"
        row[f"{kind}_replicas"] += slot.min
        row[f"{kind}_monthly_usd"] = round(row[f"{kind}_monthly_usd"] + slot.min * hourly[(slot.endpoint, slot.slot)] * hours, 2)
        if slot.live and (slot.endpoint, slot.slot) in cold_starts:
            row["cold_start_seconds"] = cold_starts[(slot.endpoint, slot.slot)]
    return list(rows.values())


def weight_cache(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    """The shared weight cache (S3 Express One Zone): each cached model's storage a month; every
    replica cold start also pays retrieval on what its ranks stream (in the label, not the month)."""
    out = []
    for model in cap.weight_caches:
        facts = catalog_facts(model)
        if facts is None:
            continue
        if prices.s3_express_gb_month is None or prices.s3_express_retrieval_gb is None:
            raise PriceError(f"no pinned S3 Express One Zone price for {cap.region} (the shared weight cache); pinned: us-east-1")
        ranks = max((s.gpus for s in cap.slots if s.model == model), default=1)
        per_start = facts.weights_gb * ranks * prices.s3_express_retrieval_gb
        out.append(Line(f"Shared weight cache {model} (S3 Express One Zone, {facts.weights_gb:g} GB; "
                        f"+${per_start:.2f} retrieval per replica cold start)", facts.weights_gb, prices.s3_express_gb_month))
    return out


LINE_ITEMS: tuple[LineItems, ...] = (
    control_plane, nat, interface_endpoints, load_balancers, kms, rate_limit_store, system_nodes, reserved_capacity, gpu_slots, weight_cache,
)


def lines(cap: Capacity, prices: RegionPrices, a: Assumptions, scenario: str) -> list[Line]:
    return [line for source in LINE_ITEMS for line in source(cap, prices, a, scenario)]
def per_slot(cap: Capacity, prices: RegionPrices, a: Assumptions) -> list[dict[str, Any]]:
    """Per slot: the node it runs on and what a million output tokens cost at its configured
    tokens/s per replica, fully loaded (a replica busy all hour)."""
    rows = []
    for slot in cap.slots:
        pool = cap.pools.get(slot.pool)
        if pool is None or not slot.model:
            continue
        od_type, od_price = cheapest(pool, slot, prices, a, spot=False) if pool.on_demand else (None, None)
        spot_type, spot_price = cheapest(pool, slot, prices, a, spot=True) if pool.spot else (None, None)
        share = spot_share(pool, "expected", a)
        hourly = share * (spot_price or 0) + (1 - share) * (od_price or 0)
        reserved = next((r for r in cap.reservations if r.pool == pool.base and r.instance_type in fitting_types(pool, slot)), None)
        if reserved is not None and not (pool.spot or pool.on_demand):
            # Only reservations: a replica costs its share of the reserved instance's hour.
            spot_type = reserved.instance_type
            hourly = reservation_price(reserved, prices) * slot.gpus / _gpus_of(reserved.instance_type)
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


def break_even_gb(prices: RegionPrices, a: Assumptions) -> float:
    """GB a month through one interface endpoint ENI at which it costs what NAT processing of the
    same traffic would: below this, routing that service through the NAT is cheaper."""
    saving_per_gb = prices.nat_gateway_gb - prices.interface_endpoint_gb
    return prices.interface_endpoint_az_hour * a.hours_per_month / saving_per_gb if saving_per_gb > 0 else math.inf


def estimate(cap: Capacity, prices: RegionPrices, a: Assumptions, cold_starts: dict[tuple[str, str], dict[str, float]] | None = None) -> dict[str, Any]:
    by_scenario = {s: lines(cap, prices, a, s) for s in (*SCENARIOS, "on_demand")}
    slots = per_slot(cap, prices, a)
    totals = {s: sum(line.monthly_usd for line in items) for s, items in by_scenario.items()}
    fixed = {s: sum(line.monthly_usd for line in by_scenario[s] if line.category == FIXED) for s in SCENARIOS}
    notes = []
    for pool in cap.pools.values():
        peak = sum(s.max * s.gpus for s in cap.slots if s.pool == pool.name)
        if pool.gpu_limit is not None and peak > pool.gpu_limit:
            notes.append(f"pool {pool.name}: slots may ask for {peak} GPUs at max replicas but the pool is limited to {pool.gpu_limit}; max overstates")
    if cap.interface_endpoint_enis:
        notes.append(f"an interface endpoint ENI pays for itself above {break_even_gb(prices, a):,.0f} GB/month of its service's traffic "
                     f"(${prices.interface_endpoint_az_hour * a.hours_per_month:.2f}/month vs NAT ${prices.nat_gateway_gb}/GB)")
    saving = (totals["on_demand"] - totals["expected"]) / totals["on_demand"] * 100 if totals["on_demand"] else 0.0
    return {
        "stack": cap.stack,
        "region": cap.region,
        "prices_as_of": prices.as_of,
        "items": [line.to_json() for line in by_scenario["expected"]],
        "total_monthly_usd": {s: round(totals[s], 2) for s in SCENARIOS},
        "fixed_monthly_usd": {s: round(fixed[s], 2) for s in SCENARIOS},
        "savings_vs_on_demand_pct": round(saving, 1),
        "per_slot": slots,
        "standby": standby(cap, slots, a.hours_per_month, cold_starts or {}),
        "assumptions": asdict(a),
        "notes": notes,
    }


def render_text(result: dict[str, Any]) -> str:
    t, f = result["total_monthly_usd"], result["fixed_monthly_usd"]
    out = [f"cost estimate {result['stack']} ({result['region']}, prices {result['prices_as_of']}), expected month:"]
    for item in result["items"]:
        out.append(f"  {item['monthly_usd']:>11,.2f}  {item['item']}")
    out.append(f"  monthly USD: min {t['min']:,.2f}  expected {t['expected']:,.2f}  max {t['max']:,.2f}")
    out.append(f"  fixed overhead (all but GPU nodes): min {f['min']:,.2f}  expected {f['expected']:,.2f}  max {f['max']:,.2f}")
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
    out.append("  assumptions (change one with --set key=value): " + ", ".join(f"{k}={v:g}" for k, v in result["assumptions"].items()))
    out.extend(f"  note: {note}" for note in result["notes"])
    return "\n".join(out)
