"""Cost attribution: watch the environment's spend. Tag keys are activated by `llmctl cost activate-tags`
(an operation on keys billing has seen, not a resource created before they exist)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.cost.budget import budget_limit, budget_notifications, environment_cost_filter
from components.cost.models import CostConfig
from components.tagging import resource_tags


@dataclass
class CostAllocationArgs:
    config: CostConfig
    environment: str


class CostAllocation(pulumi.ComponentResource):
    """A monthly budget per environment, filtered on the `environment` cost-allocation tag.

    The tag keys themselves are activated outside `pulumi up`: a key exists in billing only after its
    first tagged usage (up to 24 h), and only the payer account may activate it. `llmctl cost
    activate-tags STACK` does that and backfills the activation, so the budget counts from day one.
    """

    def __init__(self, name: str, args: CostAllocationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:cost:CostAllocation", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cfg = args.config

        self.budget_name: pulumi.Output[str] | None = None
        if cfg.budget is not None:
            budget_name = f"{name}-monthly"
            budget = aws.budgets.Budget(
                budget_name,
                name=budget_name,
                budget_type="COST",
                time_unit="MONTHLY",
                limit_amount=budget_limit(cfg.budget),
                limit_unit="USD",
                cost_filters=environment_cost_filter(args.environment),
                notifications=budget_notifications(cfg.budget),
                tags=resource_tags("cost", budget_name),
                opts=child,
            )
            self.budget_name = budget.name

        self.register_outputs({"budgetName": self.budget_name})
