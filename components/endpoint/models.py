"""Blue-green endpoints (several per stack, each owned by a team) and release gates."""

from __future__ import annotations

from pydantic import Field, model_validator

from components.config_base import ConfigModel, Int32
from components.names import TeamName
from components.serving.models import SlotConfig

SLOTS: tuple[str, str] = ("blue", "green")


def weights_error(blue: int, green: int) -> str | None:
    """The one weights rule (config, release history, stack-file edits): the slots split 100%."""
    if blue + green != 100:
        return f"blue + green must be 100, got {blue} + {green} = {blue + green}"
    return None


class WeightsConfig(ConfigModel):
    # strict: 50.0 or "50" is a typo in a file promote/rollback rewrite, not a weight.
    blue: int = Field(ge=0, le=100, strict=True, description="Percent of the endpoint's traffic to the blue slot.")
    green: int = Field(ge=0, le=100, strict=True, description="Percent of the endpoint's traffic to the green slot.")

    @model_validator(mode="after")
    def _sum(self) -> WeightsConfig:
        if error := weights_error(self.blue, self.green):
            raise ValueError(error)
        return self


class SlotsConfig(ConfigModel):
    blue: SlotConfig = Field(default_factory=SlotConfig)
    green: SlotConfig = Field(default_factory=SlotConfig)


class TokenQuotaConfig(ConfigModel):
    """A team's token budget on one endpoint, enforced by the gateway (components/gateway/quotas.py).
    Omitted windows are unlimited; at least one must be set. Int32 like every endpoint int (Envoy
    Gateway takes up to 2^32-1: RateLimitValue.requests, envoyproxy/gateway@v1.9.0 ratelimit_types.go)."""

    input_tokens_per_minute: Int32 | None = Field(default=None, ge=1, description="Prompt tokens per minute.")
    output_tokens_per_minute: Int32 | None = Field(default=None, ge=1, description="Generated tokens per minute.")
    input_tokens_per_day: Int32 | None = Field(default=None, ge=1, description="Prompt tokens per day (UTC day).")
    output_tokens_per_day: Int32 | None = Field(default=None, ge=1, description="Generated tokens per day (UTC day).")

    @model_validator(mode="after")
    def _some_window(self) -> TokenQuotaConfig:
        if not any(self.model_dump().values()):
            raise ValueError("set at least one of inputTokensPerMinute, outputTokensPerMinute, inputTokensPerDay, outputTokensPerDay")
        return self


class RouteConfig(ConfigModel):
    host: str = Field(
        pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$",
        description="Host this endpoint answers on; the stack's Gateway has one listener per endpoint host.",
    )


class EndpointConfig(ConfigModel):
    team: TeamName = Field(description="Owning team; becomes the `team` tag and label on its resources.")
    access: list[TeamName] = Field(default=[], description="Other teams whose API keys reach this endpoint (the owning team always does).")
    route: RouteConfig
    pool: str = Field(description="GPU pool (gpu.pools[].name) the slots run on.")
    weights: WeightsConfig = Field(description="Traffic split; written by `llmctl release promote/rollback`.")
    standby_replicas: Int32 = Field(default=0, ge=0, description="Replicas kept by the idle (weight 0) slot; 0 frees its GPUs.")
    scale_to_zero: bool = Field(default=False, description="Let the live slot scale to zero when idle (woken by requests counted at the gateway).")
    eval_set: str | None = Field(default=None, description="JSONL eval set for release gates, relative to the repository root.")
    budget_usd_per_million_tokens: float | None = Field(
        default=None, gt=0,
        description="Alert when a serving slot's cost per 1M generated tokens (replicas x $/replica-hour / tokens/h) stays above this for 30 min; no alert when omitted.",
    )
    quotas: dict[TeamName, TokenQuotaConfig] = Field(
        default={}, description="Token budgets per granted team (the owner or a team of `access`), enforced by the gateway; unlimited when absent.",
    )
    default_quota: TokenQuotaConfig | None = Field(
        default=None, description="Token budget of every granted team without its own `quotas` entry; none when omitted.",
    )
    slots: SlotsConfig

    @model_validator(mode="after")
    def _live_slots_have_models(self) -> EndpointConfig:
        for slot in SLOTS:
            cfg: SlotConfig = getattr(self.slots, slot)
            if getattr(self.weights, slot) > 0:
                if cfg.empty:
                    raise ValueError(f"slot {slot} has weight {getattr(self.weights, slot)} but no model")
                if cfg.replicas.max == 0:
                    raise ValueError(f"slot {slot} has weight {getattr(self.weights, slot)} but replicas.max is 0")
                if cfg.replicas.min == 0 and not self.scale_to_zero:
                    raise ValueError(f"slot {slot} has weight {getattr(self.weights, slot)} and replicas.min 0; set scaleToZero: true to allow it")
        return self

    def granted_teams(self) -> list[str]:
        """Teams whose keys reach the endpoint: the owner, then `access` (deduplicated, sorted)."""
        return [self.team, *sorted(set(self.access) - {self.team})]

    def team_quotas(self) -> dict[str, TokenQuotaConfig]:
        """Each granted team's budget: its own entry, else `defaultQuota`; teams with neither are unlimited."""
        out = {t: self.quotas.get(t, self.default_quota) for t in self.granted_teams()}
        return {t: q for t, q in out.items() if q is not None}

    def live_slot(self) -> str:
        return max(SLOTS, key=lambda s: getattr(self.weights, s))

    def idle_slot(self) -> str:
        return "green" if self.live_slot() == "blue" else "blue"


class ReleaseConfig(ConfigModel):
    max_accuracy_drop: float = Field(default=2.0, ge=0, le=100, description="Allowed eval accuracy drop (points) versus the live slot.")
    max_p95_ms: int = Field(default=3000, gt=0, description="p95 latency SLO of the gate's probe requests.")
    latency_requests: int = Field(default=20, ge=5, le=1000, description="Probe requests the gate times.")
    canary_steps: list[int] = Field(default=[10, 50, 100], description="Default promote weights for the target slot.")
    step_pause_seconds: int = Field(default=120, ge=0, description="Watch time between canary steps.")
    max_error_rate_pct: float = Field(default=1.0, ge=0, le=100, description="Error rate that rolls a canary back.")
    default_eval_set: str = Field(default="evals/default.jsonl", description="Eval set when an endpoint names none.")

    @model_validator(mode="after")
    def _steps(self) -> ReleaseConfig:
        steps = self.canary_steps
        if not steps or steps[-1] != 100 or steps != sorted(set(steps)) or steps[0] <= 0:
            raise ValueError(f"canarySteps must increase strictly from > 0 to 100, got {steps}")
        return self
