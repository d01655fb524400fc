"""Cost attribution: activate the tag keys for the bill and watch the environment's spend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.cost.budget import budget_limit, budget_notifications, environment_cost_filter, team_cost_filter
from components.cost.models import COST_ALLOCATION_TAG_KEYS, BudgetConfig, CostConfig
from components.tagging import resource_tags
from components.teams.models import TeamConfig


@dataclass
class CostAllocationArgs:
    config: CostConfig
    environment: str
    # llm-platform:teams: a team with a `budget` gets its own monthly budget on its `team` tag.
    teams: dict[str, TeamConfig] = field(default_factory=dict)


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
            self.budget_name = _budget(f"{name}-monthly", cfg.budget, environment_cost_filter(args.environment), child).name
        # Beside the environment's budget: each team's spend, alerting the team's own subscribers.
        self.team_budget_names = {
            team: _budget(f"{name}-team-{team}-monthly", team_cfg.budget, team_cost_filter(team), child, team=team).name
            for team, team_cfg in sorted(args.teams.items()) if team_cfg.budget is not None
        }

        self.register_outputs({"tagKeys": self.tag_keys, "budgetName": self.budget_name, "teamBudgetNames": self.team_budget_names})


def _budget(name: str, budget: BudgetConfig, filters: list[dict[str, Any]], opts: pulumi.ResourceOptions, **tags: str) -> aws.budgets.Budget:
    """A monthly COST budget on `filters` with the configured alerts."""
    return aws.budgets.Budget(
        name,
        name=name,
        budget_type="COST",
        time_unit="MONTHLY",
        limit_amount=budget_limit(budget),
        limit_unit="USD",
        cost_filters=filters,
        notifications=budget_notifications(budget),
        tags=resource_tags("cost", name, **tags),
        opts=opts,
    )
