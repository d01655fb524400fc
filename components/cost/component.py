"""Cost attribution: activate the tag keys for the bill and watch the environment's spend."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.cost.budget import budget_limit, budget_notifications, environment_cost_filter
from components.cost.models import COST_ALLOCATION_TAG_KEYS, CostConfig
from components.tagging import resource_tags


@dataclass
class CostAllocationArgs:
    config: CostConfig
    environment: str


class CostAllocation(pulumi.ComponentResource):
    """Cost-allocation tag activation (payer account only) and a monthly budget per environment.

    Tags reach Cost Explorer only once their keys are activated, and only the management
    (payer) account of an Organization may activate them
    (docs.aws.amazon.com/awsaccountbilling/latest/aboutv2/activating-tags.html): member-account
    stacks leave `activateTags` false and ask the payer to activate the same keys.
    """

    def __init__(self, name: str, args: CostAllocationArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:cost:CostAllocation", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cfg = args.config

        self.tag_keys: list[str] = []
        if cfg.activate_tags:
            for key in COST_ALLOCATION_TAG_KEYS:
                aws.costexplorer.CostAllocationTag(f"{name}-tag-{key}", tag_key=key, status="Active", opts=child)
                self.tag_keys.append(key)

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

        self.register_outputs({"tagKeys": self.tag_keys, "budgetName": self.budget_name})
