"""GPU capacity a first deploy depends on: the pools' instance types offered in the stack's zones, and
the account's GPU vCPU quotas against what the pools and the endpoints' minimum replicas need."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from components.catalog import INSTANCE_TYPES
from llmctl.preflight.rows import BLOCKER, OK, WARN, Row

# EC2 vCPU quotas per instance class and market (Service Quotas, service code ec2); the codes as AWS
# lists them: "Running On-Demand G and VT instances" L-DB2E81BA, "Running On-Demand P instances"
# L-417A185B, "All G and VT Spot Instance Requests" L-3819A6DF, "All P Spot Instance Requests" L-7212CCBC.
QUOTA_CODES: dict[tuple[str, str], str] = {
    ("G and VT", "on-demand"): "L-DB2E81BA",
    ("P", "on-demand"): "L-417A185B",
    ("G and VT", "spot"): "L-3819A6DF",
    ("P", "spot"): "L-7212CCBC",
}


def quota_class(instance_type: str) -> str:
    return "P" if instance_type.startswith("p") else "G and VT"


def offering_rows(ec2: Any, pools: list, zones: list[str]) -> Iterator[Row]:
    types = sorted({t for p in pools for t in p.instance_types})
    offered: dict[str, set[str]] = {}
    request: dict[str, Any] = {"LocationType": "availability-zone", "Filters": [
        {"Name": "instance-type", "Values": types}, {"Name": "location", "Values": zones}]}
    while True:
        page = ec2.describe_instance_type_offerings(**request)
        for o in page.get("InstanceTypeOfferings", []):
            offered.setdefault(o["InstanceType"], set()).add(o["Location"])
        if not page.get("NextToken"):
            break
        request["NextToken"] = page["NextToken"]
    for pool in pools:
        missing = [t for t in pool.instance_types if t not in offered]
        empty_zones = [z for z in zones if not any(z in offered.get(t, ()) for t in pool.instance_types)]
        check = f"offerings {pool.name}"
        if empty_zones:
            yield Row(check, BLOCKER if len(empty_zones) == len(zones) else WARN,
                      f"no type of pool {pool.name} is offered in {', '.join(empty_zones)}",
                      "add families/sizes offered there to the pool, or choose other zones/region")
        elif missing:
            yield Row(check, OK, f"{len(pool.instance_types) - len(missing)}/{len(pool.instance_types)} types offered in every zone's mix; "
                                 f"not offered here: {', '.join(missing)}")
        else:
            yield Row(check, OK, f"all {len(pool.instance_types)} types offered in {', '.join(zones)}")


@dataclass
class Need:
    minimum: int = 0   # vCPUs the endpoints' minimum replicas hold
    maximum: int = 0   # vCPUs at the pools' gpuLimit
    only_path: bool = False  # some pool has no other market to fall back to


def quota_needs(pools: list, endpoints: dict) -> dict[tuple[str, str], Need]:
    needs: dict[tuple[str, str], Need] = {}
    for pool in pools:
        types = [INSTANCE_TYPES[t] for t in pool.instance_types if INSTANCE_TYPES[t].gpus]
        # Minimum replicas count against on-demand when the pool has it (the guaranteed path), else spot.
        floor_market = "on-demand" if "on-demand" in pool.capacity_types else "spot"
        for market in pool.capacity_types:
            for cls in sorted({quota_class(t.name) for t in types}):
                in_class = [t for t in types if quota_class(t.name) == cls]
                need = needs.setdefault((cls, market), Need())
                need.maximum += pool.gpu_limit * max(t.vcpu // t.gpus for t in in_class)
                need.only_path = need.only_path or len(pool.capacity_types) == 1 or market == floor_market
        for endpoint in endpoints.values():
            if endpoint.pool != pool.name:
                continue
            for slot in (endpoint.slots.blue, endpoint.slots.green):
                fits = [t for t in types if t.gpus >= slot.gpus] if not slot.empty else []
                if fits and slot.replicas.min:
                    smallest = min(fits, key=lambda t: t.vcpu)
                    needs.setdefault((quota_class(smallest.name), floor_market), Need()).minimum += slot.replicas.min * smallest.vcpu
    return needs


def quota_rows(quotas: Any, pools: list, endpoints: dict) -> Iterator[Row]:
    for (cls, market), need in sorted(quota_needs(pools, endpoints).items()):
        code = QUOTA_CODES[(cls, market)]
        value = int(quotas.get_service_quota(ServiceCode="ec2", QuotaCode=code)["Quota"]["Value"])
        check = f"quota {cls} {market}"
        ask = f"request an increase of {code} to >= {need.maximum} vCPUs (Service Quotas, ec2)"
        if value == 0 and need.only_path:
            yield Row(check, BLOCKER, f"{code} is 0 vCPUs: no {cls} {market} instance can launch", ask)
        elif value < need.minimum:
            yield Row(check, BLOCKER, f"{code} is {value} vCPUs; the endpoints' minimum replicas need {need.minimum}", ask)
        elif value < need.maximum:
            yield Row(check, WARN, f"{code} is {value} vCPUs; the pools' gpuLimit may need up to {need.maximum}", ask)
        else:
            yield Row(check, OK, f"{code} is {value} vCPUs (need {need.minimum} at minimum, up to {need.maximum})")


def reservation_rows(ec2: Any, pools: list[Any], now: datetime | None = None) -> list[Row]:
    """One row per pool that uses capacity reservations: each exists, is active or scheduled, and
    matches its type, count and window (llmctl.cost.reservations); a pool that cannot launch into
    one is a blocker, one that can but not as configured a warning."""
    from llmctl.cost.reservations import check_reservations

    reserved = [p for p in pools if p.capacity_reservations]
    findings = check_reservations(ec2, reserved, now)
    rows = []
    for pool in reserved:
        mine = [f for f in findings if f.pool == pool.name]
        if not mine:
            rows.append(Row(f"reservations {pool.name}", OK, f"{len(pool.capacity_reservations)} reservation(s) active or scheduled as configured"))
        for f in mine:
            status = BLOCKER if f.level == "error" else WARN
            rows.append(Row(f"reservations {pool.name}", status, f"{f.reservation}: {f.message}",
                            "fix gpu.pools[].capacityReservations or the reservation in EC2"))
    return rows
