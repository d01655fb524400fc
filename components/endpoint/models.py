"""Blue-green endpoints (several per stack, each owned by a team), the shared ALB, and release gates."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Literal

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


class RouteConfig(ConfigModel):
    host: str | None = Field(default=None, pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$", description="Host header routed to this endpoint.")
    path: str | None = Field(default=None, pattern=r"^/[A-Za-z0-9._/-]*$", description="Path prefix routed to this endpoint.")

    @model_validator(mode="after")
    def _one(self) -> RouteConfig:
        if not self.host and not self.path:
            raise ValueError("set host or path (or both)")
        return self


class EndpointConfig(ConfigModel):
    team: TeamName = Field(description="Owning team; becomes the `team` tag and label on its resources.")
    route: RouteConfig
    pool: str = Field(description="GPU pool (gpu.pools[].name) the slots run on.")
    weights: WeightsConfig = Field(description="Traffic split; written by `llmctl release promote/rollback`.")
    standby_replicas: Int32 = Field(default=0, ge=0, description="Replicas kept by the idle (weight 0) slot; 0 frees its GPUs.")
    scale_to_zero: bool = Field(default=False, description="Let the live slot scale to zero when idle (woken by ALB request count).")
    eval_set: str | None = Field(default=None, description="JSONL eval set for release gates, relative to the repository root.")
    budget_usd_per_million_tokens: float | None = Field(
        default=None, gt=0,
        description="Alert when a serving slot's cost per 1M generated tokens (replicas x $/replica-hour / tokens/h) stays above this for 30 min; no alert when omitted.",
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

    def live_slot(self) -> str:
        return max(SLOTS, key=lambda s: getattr(self.weights, s))

    def idle_slot(self) -> str:
        return "green" if self.live_slot() == "blue" else "blue"


class IngressConfig(ConfigModel):
    scheme: Literal["internal", "internet-facing"] = Field(default="internal", description="ALB scheme; internal unless asked.")
    certificate_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$", description="ACM certificate for HTTPS."
    )
    allowed_cidrs: list[IPv4Network] = Field(default=[], description="Client CIDRs allowed to reach the ALB; the VPC CIDR when empty.")
    idle_timeout_seconds: int = Field(default=600, ge=60, le=4000, description="ALB idle timeout; long generations stream for minutes.")
    ssl_policy: str = Field(
        default="ELBSecurityPolicy-TLS13-1-2-Res-2021-06", pattern=r"^ELBSecurityPolicy-[A-Za-z0-9-]+$",
        description="HTTPS listener policy (TLS 1.3 + 1.2 with forward-secret AEAD ciphers only by default).",
    )
    load_balancing_algorithm: Literal["least_outstanding_requests", "round_robin"] = Field(
        default="least_outstanding_requests",
        description="Target-group routing: least outstanding requests suits generations of very different lengths.",
    )
    slow_start_seconds: int = Field(
        default=0, ge=0, le=900,
        description="Ramp-up of a new pod's share of requests (30-900 s, 0 = off). ALB allows it only with round_robin.",
    )
    controller_replicas: int = Field(default=2, ge=1, le=5, description="AWS Load Balancer Controller replicas (on system nodes).")

    @model_validator(mode="after")
    def _checks(self) -> IngressConfig:
        if self.slow_start_seconds and self.slow_start_seconds < 30:
            raise ValueError(f"slowStartSeconds must be 0 (off) or 30-900, got {self.slow_start_seconds}")
        if self.slow_start_seconds and self.load_balancing_algorithm != "round_robin":
            # https://docs.aws.amazon.com/elasticloadbalancing/latest/application/edit-target-group-attributes.html
            raise ValueError("slowStartSeconds needs loadBalancingAlgorithm: round_robin (ALB rejects slow start with least_outstanding_requests)")
        if self.scheme == "internet-facing" and not self.certificate_arn:
            raise ValueError("an internet-facing ALB needs certificateArn: prompts and completions never cross the internet in clear text")
        return self


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
