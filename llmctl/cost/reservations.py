"""Preflight check of a stack's capacity reservations (ODCRs and Capacity Blocks) against EC2:
each one exists, is (or will be) usable, holds the configured instance type and count, and its
window covers now. A pure function over an `ec2` client, for `llmctl preflight` to call.

EC2 states (ec2:DescribeCapacityReservations `State`): a Capacity Block is `scheduled` until its
start and `active` during its window; `expired`, `cancelled`, `failed` and the payment states
never launch anything (docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CapacityReservation.html).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

USABLE = ("active", "scheduled")
SOON = timedelta(hours=24)


@dataclass(frozen=True)
class Finding:
    level: str  # "error": the pool cannot launch into it; "warning": it can, but not as configured
    pool: str
    reservation: str
    message: str

    def __str__(self) -> str:
        return f"{self.level}: gpu pool {self.pool}, reservation {self.reservation}: {self.message}"


def _describe(ec2: Any, r: Any) -> list[dict[str, Any]]:
    from botocore.exceptions import ClientError

    if r.id is not None:
        try:
            return ec2.describe_capacity_reservations(CapacityReservationIds=[r.id]).get("CapacityReservations", [])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "InvalidCapacityReservationId.NotFound":
                return []
            raise
    filters = [{"Name": f"tag:{k}", "Values": [v]} for k, v in sorted((r.tags or {}).items())]
    if r.owner_id is not None:
        filters.append({"Name": "owner-id", "Values": [r.owner_id]})
    found: list[dict[str, Any]] = []
    for page in ec2.get_paginator("describe_capacity_reservations").paginate(Filters=filters):
        found.extend(page.get("CapacityReservations", []))
    return found


def check_reservation(pool: str, r: Any, found: list[dict[str, Any]], now: datetime) -> list[Finding]:
    """Findings for one configured reservation given what EC2 returned for its selector."""
    label = r.id or ",".join(f"{k}={v}" for k, v in sorted((r.tags or {}).items()))
    if not found:
        return [Finding("error", pool, label, "not found in this account and region; Karpenter would never launch reserved nodes")]
    usable = [c for c in found if c.get("State") in USABLE and c.get("InstanceType") == r.instance_type]
    if not usable:
        states = ", ".join(sorted({f"{c.get('InstanceType')} {c.get('State')}" for c in found}))
        return [Finding("error", pool, label, f"no {r.instance_type} reservation is active or scheduled (found: {states})")]
    out: list[Finding] = []
    total = sum(int(c.get("TotalInstanceCount", 0)) for c in usable)
    if total < r.count:
        out.append(Finding("warning", pool, label, f"holds {total} x {r.instance_type}, the stack expects {r.count} (the estimate overstates it)"))
    kinds = {c.get("ReservationType", "default") for c in usable}
    if r.type not in kinds:
        out.append(Finding("warning", pool, label, f"is a {'/'.join(sorted(kinds))} reservation, the stack says {r.type}"))
    starts = [c["StartDate"] for c in usable if c.get("StartDate")]
    ends = [c["EndDate"] for c in usable if c.get("EndDate")]
    if starts and min(starts) > now:
        out.append(Finding("warning", pool, label, f"starts {min(starts).isoformat()}: reserved pods stay pending until then"))
    if ends and max(ends) <= now:
        out.append(Finding("error", pool, label, f"ended {max(ends).isoformat()}"))
    elif ends and max(ends) - now < SOON:
        out.append(Finding("warning", pool, label, f"ends {max(ends).isoformat()}, within {SOON.total_seconds() / 3600:g} h: EC2 reclaims Capacity Block instances before the end"))
    return out


def check_reservations(ec2: Any, pools: list[Any], now: datetime | None = None) -> list[Finding]:
    """Every reservation of every pool (GpuPoolConfig list), errors first."""
    now = now or datetime.now(UTC)
    findings = [f for pool in pools for r in pool.capacity_reservations for f in check_reservation(pool.name, r, _describe(ec2, r), now)]
    return sorted(findings, key=lambda f: f.level != "error")
