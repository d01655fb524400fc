"""The stack's inference gateway (`llm-platform:gateway`): the NLB in front of the Envoy proxies."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Literal

from pydantic import Field, model_validator

from components.config_base import ConfigModel
from components.ratelimit.models import RateLimitStoreConfig


class OidcConfig(ConfigModel):
    """Teams authenticate with JWTs from the organisation's IdP instead of API keys. A token acts
    for one team: its `teamClaim` (a string) names it. Envoy Gateway's API key check cannot be
    optional (SecurityPolicy apiKeyAuth has no such field, envoyproxy/gateway@v1.9.0
    api/v1alpha1/api_key_auth_types.go), so a stack uses one method for all its routes."""

    issuer: str = Field(pattern=r"^https://[^\s]+$", max_length=253, description="The IdP's issuer URL (the tokens' `iss`).")
    jwks_uri: str = Field(pattern=r"^https://[^\s]+$", max_length=253, description="HTTPS URL of the IdP's signing keys (JWKS), fetched by the proxies.")
    audiences: list[str] = Field(min_length=1, max_length=8, description="Accepted `aud` values; required, so a token minted for another application is refused.")
    team_claim: str = Field(
        default="llm_team", pattern=r"^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$", max_length=253,
        description="Claim naming the caller's team (dots for nested claims); the release tooling's tokens carry `release-tooling`.",
    )


class GatewayConfig(ConfigModel):
    scheme: Literal["internal", "internet-facing"] = Field(default="internal", description="NLB scheme; internal unless asked.")
    certificate_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$",
        description="ACM certificate the NLB terminates TLS with (port 443); plain HTTP on port 80 inside the VPC without it.",
    )
    allowed_cidrs: list[IPv4Network] = Field(default=[], description="Client CIDRs allowed to reach the NLB; the VPC CIDR when empty.")
    ssl_policy: str = Field(
        default="ELBSecurityPolicy-TLS13-1-2-Res-2021-06", pattern=r"^ELBSecurityPolicy-[A-Za-z0-9-]+$",
        description="TLS listener policy (TLS 1.3 + 1.2 with forward-secret AEAD ciphers only by default).",
    )
    proxy_replicas: int = Field(default=2, ge=1, le=20, description="Envoy proxy replicas of the stack's Gateway (spread over zones).")
    controller_replicas: int = Field(default=2, ge=1, le=5, description="AWS Load Balancer Controller replicas (on system nodes).")
    request_timeout_seconds: int = Field(default=600, ge=30, le=3600, description="Longest request (long generations stream for minutes).")
    oidc: OidcConfig | None = Field(default=None, description="Authenticate teams with the IdP's JWTs instead of per-team API keys (llmctl keys).")
    rate_limit_store: RateLimitStoreConfig = Field(
        default_factory=RateLimitStoreConfig, description="Counters of the token quotas; created only when an endpoint has quotas.",
    )

    @model_validator(mode="after")
    def _checks(self) -> GatewayConfig:
        if self.scheme == "internet-facing" and not self.certificate_arn:
            raise ValueError("an internet-facing gateway needs certificateArn: prompts and completions never cross the internet in clear text")
        return self

    @property
    def listener_port(self) -> int:
        return 443 if self.certificate_arn else 80
