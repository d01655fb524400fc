"""Cost attribution: watch the environment's spend. Tag keys are activated by `llmctl cost activate-tags`
(an operation on keys billing has seen, not a resource created before they exist)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.cost.budget import budget_limit, budget_notifications, environment_cost_filter, team_cost_filter
from components.cost.models import BudgetConfig, CostConfig
from components.tagging import resource_tags
from components.teams.models import TeamConfig


@dataclass
class CostAllocationArgs:
    config: CostConfig
    environment: str
    # llm-platform:teams: a team with a `budget` gets its own monthly budget on its `team` tag.
    teams: dict[str, TeamConfig] = field(default_factory=dict)


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
            self.budget_name = _budget(f"{name}-monthly", cfg.budget, environment_cost_filter(args.environment), child).name
        # Beside the environment's budget: each team's spend, alerting the team's own subscribers.
        self.team_budget_names = {
            team: _budget(f"{name}-team-{team}-monthly", team_cfg.budget, team_cost_filter(team), child, team=team).name
            for team, team_cfg in sorted(args.teams.items()) if team_cfg.budget is not None
        }

        self.register_outputs({"budgetName": self.budget_name, "teamBudgetNames": self.team_budget_names})


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
