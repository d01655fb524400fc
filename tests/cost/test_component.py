"""components/cost: tag activation toggle, the environment budget, and the cost config section."""

from __future__ import annotations

import pytest

from components.cost.budget import budget_limit, budget_notifications, environment_cost_filter, team_cost_filter
from components.cost.component import CostAllocation, CostAllocationArgs
from components.cost.models import COST_ALLOCATION_TAG_KEYS, BudgetConfig, CostConfig
from components.teams.models import TeamConfig
from infra.config import ConfigError, load_config, read_stack_file
from llmctl.synth.runner import record
from tests.support.paths import REPO_ROOT

TAG = "aws:costexplorer/costAllocationTag:CostAllocationTag"
BUDGET = "aws:budgets/budget:Budget"
BUDGET_CFG = BudgetConfig(monthly_limit_usd=3000, alert_thresholds_pct=[50, 80, 100], subscribers=["a@example.com"])


def test_filter_matches_the_environment_tag_as_cost_explorer_names_it():
    assert environment_cost_filter("dev") == [{"name": "TagKeyValue", "values": ["user:environment$dev"]}]


def test_notifications_per_threshold_plus_forecast_at_100():
    notes = budget_notifications(BUDGET_CFG)
    assert [(n["notification_type"], n["threshold"]) for n in notes] == [("ACTUAL", 50), ("ACTUAL", 80), ("ACTUAL", 100), ("FORECASTED", 100)]
    assert all(n["subscriber_email_addresses"] == ["a@example.com"] and n["threshold_type"] == "PERCENTAGE" for n in notes)
    assert budget_limit(BUDGET_CFG) == "3000.00"


def _synth(cost: CostConfig, environment: str = "dev"):
    return record(lambda: CostAllocation("llm-platform-dev", CostAllocationArgs(config=cost, environment=environment)), stack="t",
                  config={"aws:region": "us-west-2"})


def test_tags_activated_only_when_asked():
    on = _synth(CostConfig(activate_tags=True))
    tags = on.of_type(TAG)
    assert sorted(t.inputs["tagKey"] for t in tags) == sorted(COST_ALLOCATION_TAG_KEYS)
    assert {t.inputs["status"] for t in tags} == {"Active"}
    (component,) = on.of_type("llm-platform:cost:CostAllocation")
    assert all(t.parent == component.urn and t.name.startswith("llm-platform-dev-") for t in tags)
    assert _synth(CostConfig()).of_type(TAG) == []


def test_budget_is_monthly_cost_filtered_on_the_environment():
    inv = _synth(CostConfig(budget=BUDGET_CFG), environment="staging")
    (budget,) = inv.of_type(BUDGET)
    i = budget.inputs
    assert (i["budgetType"], i["timeUnit"], i["limitAmount"], i["limitUnit"]) == ("COST", "MONTHLY", "3000.00", "USD")
    assert i["costFilters"] == [{"name": "TagKeyValue", "values": ["user:environment$staging"]}]
    assert [n["notificationType"] for n in i["notifications"]] == ["ACTUAL", "ACTUAL", "ACTUAL", "FORECASTED"]
    assert i["tags"]["component"] == "cost"
    assert _synth(CostConfig()).of_type(BUDGET) == []


def test_team_budgets_sit_beside_the_environment_budget_filtered_on_the_team_tag():
    team_budget = BudgetConfig(monthly_limit_usd=500, alert_thresholds_pct=[90], subscribers=["team@example.com"])
    teams = {"applied-ai": TeamConfig(budget=team_budget), "search": TeamConfig()}
    inv = record(lambda: CostAllocation("llm-platform-dev", CostAllocationArgs(config=CostConfig(budget=BUDGET_CFG), environment="dev", teams=teams)),
                 stack="t", config={"aws:region": "us-west-2"})
    budgets = {b.inputs["name"]: b.inputs for b in inv.of_type(BUDGET)}
    assert set(budgets) == {"llm-platform-dev-monthly", "llm-platform-dev-team-applied-ai-monthly"}
    team = budgets["llm-platform-dev-team-applied-ai-monthly"]
    assert team_cost_filter("applied-ai") == team["costFilters"] == [{"name": "TagKeyValue", "values": ["user:team$applied-ai"]}]
    assert (team["limitAmount"], team["timeUnit"], team["tags"]["team"]) == ("500.00", "MONTHLY", "applied-ai")
    assert [(n["notificationType"], n["threshold"], n["subscriberEmailAddresses"]) for n in team["notifications"]] == [
        ("ACTUAL", 90, ["team@example.com"]), ("FORECASTED", 100, ["team@example.com"])]


def test_every_stack_has_a_budget_and_prod_activates_tags(inventories, configs):
    for stack, inv in inventories.items():
        budgets = {b.inputs["name"]: b for b in inv.of_type(BUDGET)}
        budget = budgets[f"llm-platform-{stack}-monthly"]
        teams = {t for t, c in configs[stack].teams.items() if c.budget is not None}
        assert teams and set(budgets) == {budget.inputs["name"], *(f"llm-platform-{stack}-team-{t}-monthly" for t in teams)}
        assert budget.inputs["costFilters"][0]["values"] == [f"user:environment${stack}"]
        assert float(budget.inputs["limitAmount"]) == configs[stack].cost.budget.monthly_limit_usd
        assert bool(inv.of_type(TAG)) == configs[stack].cost.activate_tags
        assert budget.tags["environment"] == stack  # provider default tags reach it
        (provider,) = inv.of_type("pulumi:providers:aws")
        assert {r.provider for r in [budget, *inv.of_type(TAG)]} == {provider.urn}  # the explicit provider, never the default


def _with_cost(cost: dict) -> dict:
    raw = read_stack_file(REPO_ROOT / "stacks" / "Pulumi.dev.yaml")
    return {**raw, "llm-platform:cost": cost}


def test_cost_config_errors_are_one_line():
    with pytest.raises(ConfigError, match=r"^stacks/Pulumi\.t\.yaml: llm-platform:cost\.spotSharePct: 120: Input should be less than or equal to 100$"):
        load_config(_with_cost({"spotSharePct": 120}), "stacks/Pulumi.t.yaml")
    bad = {"budget": {"monthlyLimitUsd": 10, "alertThresholdsPct": [80, 50], "subscribers": ["a@example.com"]}}
    with pytest.raises(ConfigError, match=r"^stacks/Pulumi\.t\.yaml: llm-platform:cost\.budget: .*alertThresholdsPct must be strictly increasing"):
        load_config(_with_cost(bad), "stacks/Pulumi.t.yaml")
