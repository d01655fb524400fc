"""Pure renderers for the cost component: the budget's filter and notifications as plain dicts
(the snake_case keys of pulumi_aws.budgets Budget*Args), unit-tested without Pulumi."""

from __future__ import annotations

from typing import Any

from components.cost.models import BudgetConfig


def environment_cost_filter(environment: str) -> list[dict[str, Any]]:
    """Spend of resources tagged environment=<env>. Cost Explorer and Budgets name an
    activated user tag `user:<key>` and match a value with `<key>$<value>`
    (docs.aws.amazon.com/cost-management/latest/userguide/budgets-create-filters.html)."""
    return [{"name": "TagKeyValue", "values": [f"user:environment${environment}"]}]


def team_cost_filter(team: str) -> list[dict[str, Any]]:
    """Spend of resources tagged team=<team>: the slot's GPU nodes, volumes and ENIs (per-slot
    EC2NodeClass tags) and its serving resources. Same `user:<key>$<value>` form as above."""
    return [{"name": "TagKeyValue", "values": [f"user:team${team}"]}]


def budget_notifications(budget: BudgetConfig) -> list[dict[str, Any]]:
    """One ACTUAL notification per threshold, plus a FORECASTED one at 100% so the month's
    overrun is announced before it happens."""
    def notification(kind: str, threshold: float) -> dict[str, Any]:
        return {
            "comparison_operator": "GREATER_THAN",
            "notification_type": kind,
            "threshold": float(threshold),
            "threshold_type": "PERCENTAGE",
            "subscriber_email_addresses": list(budget.subscribers),
        }

    notes = [notification("ACTUAL", pct) for pct in budget.alert_thresholds_pct]
    notes.append(notification("FORECASTED", 100.0))
    return notes


def budget_limit(budget: BudgetConfig) -> str:
    """Budgets take the amount as a decimal string."""
    return f"{budget.monthly_limit_usd:.2f}"
