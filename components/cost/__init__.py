"""Cost attribution: tag activation, budget, and the tag model every component shares."""

from components.cost.component import CostAllocation, CostAllocationArgs

__all__ = ["CostAllocation", "CostAllocationArgs"]
