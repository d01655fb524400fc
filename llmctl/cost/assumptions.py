"""What `llmctl cost estimate` assumes where the stack cannot say (usage-driven prices), shown in
its output and changed one at a time with `--set key=value`."""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from typing import Any


class AssumptionError(ValueError):
    """A bad `--set`; str() is the one-line message for the user."""


@dataclass(frozen=True)
class Assumptions:
    hours_per_month: float = 730.0
    spot_discount_pct: float = 60.0
    spot_share_pct: float = 90.0
    nat_data_gb_per_month: float = 100.0
    nlb_lcus: float = 1.0

    # Allowed range of each (inclusive low, exclusive high where the value would be meaningless).
    BOUNDS = {"hours_per_month": (1, 744), "spot_discount_pct": (0, 99.9), "spot_share_pct": (0, 100),
              "nat_data_gb_per_month": (0, 1e9), "nlb_lcus": (0, 1e6)}

    @classmethod
    def from_config(cls, cost: Any) -> Assumptions:
        return cls(spot_discount_pct=cost.spot_discount_pct, spot_share_pct=cost.spot_share_pct,
                   nat_data_gb_per_month=cost.nat_data_gb_per_month, nlb_lcus=cost.nlb_lcus)

    def with_settings(self, settings: list[str]) -> Assumptions:
        """`key=value` pairs (the keys of --json's `assumptions`) applied in order."""
        allowed = [f.name for f in fields(self)]
        changed = self
        for setting in settings:
            key, sep, text = setting.partition("=")
            key = key.strip().replace("-", "_")
            if not sep or key not in allowed:
                raise AssumptionError(f"--set {setting}: unknown assumption {key!r}; allowed keys: {', '.join(allowed)}")
            low, high = self.BOUNDS[key]
            try:
                value = float(text)
            except ValueError:
                raise AssumptionError(f"--set {setting}: {text!r} is not a number") from None
            if not (math.isfinite(value) and low <= value <= high):
                raise AssumptionError(f"--set {setting}: {key} must be between {low:g} and {high:g}")
            changed = replace(changed, **{key: value})
        return changed
