"""Cost-allocation tag activation as an operation on keys billing has already seen.

A key appears in `ce:ListCostAllocationTags` up to 24 hours after the first tagged usage, and only the
payer (management) account may change its status
(docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html). So activation runs after
the first day of tagged usage, activates the platform's keys billing knows, lists the rest as pending,
and asks Cost Explorer to backfill the activation to the start of the month so the environment budget
(filtered on `user:environment`) counts the days before activation too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

# UpdateCostAllocationTagsStatus takes at most 20 keys per call; ListCostAllocationTags filters on at most 100.
_UPDATE_BATCH = 20
_LIST_BATCH = 100


@dataclass
class TagActivation:
    active: list[str] = field(default_factory=list)       # already active before this run
    activated: list[str] = field(default_factory=list)    # activated by this run
    pending: list[str] = field(default_factory=list)      # not in billing data yet: run again after tagged usage
    errors: dict[str, str] = field(default_factory=dict)  # key -> AWS's reason
    backfill_from: str | None = None
    backfill_note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "active": self.active, "activated": self.activated, "pending": self.pending, "errors": self.errors,
            "backfillFrom": self.backfill_from, "backfillNote": self.backfill_note,
        }


def tag_states(ce: Any, keys: list[str]) -> dict[str, str]:
    """Status per key as billing knows it: Active, Inactive, or absent when billing has not seen the key."""
    states: dict[str, str] = {}
    for i in range(0, len(keys), _LIST_BATCH):
        request: dict[str, Any] = {"TagKeys": keys[i:i + _LIST_BATCH], "Type": "UserDefined"}
        while True:
            page = ce.list_cost_allocation_tags(**request)
            states.update({t["TagKey"]: t["Status"] for t in page.get("CostAllocationTags", [])})
            if not page.get("NextToken"):
                break
            request["NextToken"] = page["NextToken"]
    return states


def activate(ce: Any, keys: list[str], backfill_from: date | None) -> TagActivation:
    from botocore.exceptions import ClientError

    states = tag_states(ce, keys)
    result = TagActivation(
        active=[k for k in keys if states.get(k) == "Active"], pending=[k for k in keys if k not in states],
    )
    todo = [k for k in keys if states.get(k) == "Inactive"]
    for i in range(0, len(todo), _UPDATE_BATCH):
        batch = todo[i:i + _UPDATE_BATCH]
        answer = ce.update_cost_allocation_tags_status(CostAllocationTagsStatus=[{"TagKey": k, "Status": "Active"} for k in batch])
        failed = {e["TagKey"]: f"{e.get('Code', '')}: {e.get('Message', '')}".strip(": ") for e in answer.get("Errors", [])}
        result.errors.update(failed)
        result.activated += [k for k in batch if k not in failed]
    if result.activated and backfill_from is not None:
        try:
            ce.start_cost_allocation_tag_backfill(BackfillFrom=f"{backfill_from.isoformat()}T00:00:00Z")
            result.backfill_from = backfill_from.isoformat()
        except ClientError as exc:  # e.g. a backfill already running (one per 24 h)
            result.backfill_note = f"backfill not started: {exc.response.get('Error', {}).get('Message', str(exc))}"
    return result


def render_text(stack: str, result: TagActivation) -> str:
    lines = [f"cost-allocation tags of stack {stack}:"]
    for label, keys in (("already active", result.active), ("activated now", result.activated),
                        ("pending (not in billing data yet; run again a day after the first tagged usage)", result.pending)):
        lines.append(f"  {label}: {', '.join(keys) if keys else '-'}")
    lines += [f"  error {key}: {reason}" for key, reason in sorted(result.errors.items())]
    if result.backfill_from:
        lines.append(f"  backfill requested from {result.backfill_from}: Cost Explorer and the budget see tagged spend since then")
    if result.backfill_note:
        lines.append(f"  {result.backfill_note}")
    return "\n".join(lines)
