"""The teams of a stack (`llm-platform:teams`): the tenants that own endpoints, hold API keys,
spend GPU budget and receive alerts. Keyed by team name; each endpoint's `team` must be one of them.

One section, several owners: per-team GPU limits and budgets (cost attribution), alert receivers
(alerting) and gateway access all hang off the same TeamConfig so a team is declared once.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from components.config_base import ConfigModel
from components.cost.models import BudgetConfig
from components.observability.models import ReceiverConfig


class TeamConfig(ConfigModel):
    """One team. Every field is optional: `teams: {applied-ai: {}}` declares a team with defaults."""

    owner: str | None = Field(
        default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
        description="Contact e-mail of the team; becomes the `owner` tag on the team's serving resources.",
    )
    gpu_limit: int | None = Field(
        default=None, gt=0,
        description="Most GPUs the team's endpoints may hold together; rendered as Karpenter limits on the team's NodePools. Unlimited (pool limits only) when omitted.",
    )
    budget: BudgetConfig | None = Field(
        default=None, description="Monthly AWS Budget on spend tagged team=<name> (once the tag is active in billing), alerting the team's subscribers.",
    )
    priority: Literal["interactive", "batch"] = Field(
        default="interactive",
        description="Scheduling class of the team's requests on every endpoint it may use, set by the gateway (never by the client): "
                    "batch requests are the ones an endpoint picker sheds (429) while its pool is saturated (components/gateway/priorities.py).",
    )
    alerts: ReceiverConfig | None = Field(
        default=None,
        description="Receiver of the alerts of this team's endpoints (routed on the alert's `team` label); the platform receiver gets them otherwise.",
    )
