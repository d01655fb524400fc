"""Cost-allocation tags (shared by every component) and the cost section of a stack."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, model_validator

from components.config_base import ConfigModel

REQUIRED_TAG_KEYS: tuple[str, ...] = ("project", "environment", "team", "cost-center", "owner")
# Keys activated for the bill: the stack-wide ones plus `model`, which serving resources carry.
COST_ALLOCATION_TAG_KEYS: tuple[str, ...] = (*REQUIRED_TAG_KEYS, "model")
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
# AWS tag rules: keys 1-128 chars, values 0-256, letters/digits/space and + - = . _ : / @,
# and the aws: prefix is reserved (docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html).
_TAG_CHARS = re.compile(r"^[\w .:/=+\-@]*$")


def validate_tags(tags: dict[str, str]) -> dict[str, str]:
    missing = [k for k in REQUIRED_TAG_KEYS if not tags.get(k)]
    if missing:
        raise ValueError(
            f"missing required tag(s) {', '.join(missing)}; every stack sets {', '.join(REQUIRED_TAG_KEYS)}"
        )
    for key, value in tags.items():
        if not 1 <= len(key) <= 128 or not _TAG_CHARS.match(key) or key.lower().startswith("aws:"):
            raise ValueError(f"tag key {key!r} is not a valid AWS tag key (1-128 of letters, digits, space, + - = . _ : / @; no aws: prefix)")
        if len(value) > 256 or not _TAG_CHARS.match(value):
            raise ValueError(f"tag {key}={value!r} is not a valid AWS tag value (0-256 of letters, digits, space, + - = . _ : / @)")
    if tags["environment"] not in ENVIRONMENTS:
        raise ValueError(f"tag environment={tags['environment']!r} must be one of {', '.join(ENVIRONMENTS)}")
    return tags


Tags = Annotated[dict[str, str], Field(description="Cost-allocation tags on every resource: " + ", ".join(REQUIRED_TAG_KEYS) + " are required; extra keys are allowed.")]


class BudgetConfig(ConfigModel):
    """An AWS Budget for the environment, filtered on the `environment` tag."""

    monthly_limit_usd: float = Field(gt=0, description="Monthly cost budget in USD.")
    alert_thresholds_pct: list[Annotated[float, Field(gt=0, le=500)]] = Field(
        default=[80.0, 100.0], description="Percent of the limit at which subscribers are notified (actual spend; forecast at 100%)."
    )
    subscribers: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = Field(
        min_length=1, description="E-mail addresses notified when a threshold is crossed."
    )

    @model_validator(mode="after")
    def _thresholds_sorted(self) -> BudgetConfig:
        if list(self.alert_thresholds_pct) != sorted(set(self.alert_thresholds_pct)):
            raise ValueError("alertThresholdsPct must be strictly increasing, e.g. [50, 80, 100]")
        return self


class CostConfig(ConfigModel):
    budget: BudgetConfig | None = Field(default=None, description="Monthly budget with e-mail alerts; none when omitted.")
    spot_discount_pct: float = Field(
        default=60.0, ge=0, lt=100, description="Assumed spot discount versus on-demand for GPU estimates when no live spot prices are used."
    )
    spot_share_pct: float = Field(
        default=90.0, ge=0, le=100,
        description="Expected share of GPU hours Karpenter gets on spot in pools that allow both spot and on-demand (the rest falls back to on-demand).",
    )
    nat_data_gb_per_month: float = Field(
        default=100.0, ge=0, description="Assumed data processed by the NAT gateways per month (GB), e.g. Hugging Face downloads; estimate only."
    )
    nlb_lcus: float = Field(default=1.0, ge=0, description="Assumed average Network Load Balancer Capacity Units (NLCUs) of the gateway's NLB; estimate only.")

