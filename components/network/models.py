"""Network section of a stack: the VPC and how it reaches AWS services."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.config_base import ConfigModel

DEFAULT_INTERFACE_ENDPOINTS = ["ecr.api", "ecr.dkr", "sts", "ec2", "sqs", "logs"]
# CloudWatch Logs accepts only these retention periods (PutRetentionPolicy).
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


def check_retention(days: int) -> int:
    if days not in LOG_RETENTION_DAYS:
        raise ValueError(f"{days} is not a CloudWatch Logs retention period; allowed: {', '.join(map(str, LOG_RETENTION_DAYS))}")
    return days


class NetworkConfig(ConfigModel):
    cidr: IPv4Network = Field(description="VPC IPv4 CIDR, /16 to /20. Pods take VPC addresses (prefix delegation), so size generously.")
    az_count: int = Field(default=3, ge=2, le=6, description="Availability zones to spread subnets over (at most what the region has).")
    nat_gateways: Literal["single", "perAz"] = Field(
        default="perAz", description="`perAz` survives a zone outage; `single` saves ~$33/month per zone in dev."
    )
    interface_endpoints: list[str] = Field(
        default=DEFAULT_INTERFACE_ENDPOINTS,
        description="Interface VPC endpoints (service suffixes) so image pulls and AWS API calls stay off the NAT.",
    )
    interface_endpoint_zones: int | None = Field(
        default=None, ge=1,
        description="Zones whose private subnets get the interface endpoints' ENIs (the first N); all zones when omitted. "
        "1 in dev saves an ENI-hour per endpoint per zone; the other zones reach them across zones.",
    )
    flow_log_retention_days: int = Field(default=90, description="VPC flow-log retention in CloudWatch Logs.")
    reserved_cidrs: list[IPv4Network] = Field(
        default=[], description="Ranges the VPC must not overlap (peered VPCs, on-premises, VPN)."
    )

    @model_validator(mode="after")
    def _endpoint_zones(self) -> NetworkConfig:
        if self.interface_endpoint_zones is not None and self.interface_endpoint_zones > self.az_count:
            raise ValueError(f"interfaceEndpointZones {self.interface_endpoint_zones} is more than azCount {self.az_count}")
        return self

    @field_validator("cidr")
    @classmethod
    def _cidr_size(cls, cidr: IPv4Network) -> IPv4Network:
        if not 16 <= cidr.prefixlen <= 20:
            raise ValueError(f"prefix /{cidr.prefixlen} is outside /16../20")
        if not cidr.is_private:
            raise ValueError("must be a private (RFC 1918) range such as 10.0.0.0/16")
        return cidr

    @field_validator("flow_log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return check_retention(days)

    @field_validator("interface_endpoints")
    @classmethod
    def _required_endpoints(cls, endpoints: list[str]) -> list[str]:
        missing = [e for e in ("ecr.api", "ecr.dkr", "sts") if e not in endpoints]
        if missing:
            raise ValueError(f"must include {', '.join(missing)}: nodes pull images and get Pod Identity credentials through them")
        if len(set(endpoints)) != len(endpoints):
            raise ValueError("lists an endpoint twice")
        import re

        bad = [e for e in endpoints if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)*", e) or e == "s3" or e.startswith(("com.", "aws."))]
        if bad:
            raise ValueError(
                f"{', '.join(bad)}: give service suffixes such as ecr.api or ssm (com.amazonaws.<region>. is added; s3 is always a gateway endpoint)"
            )
        return endpoints
