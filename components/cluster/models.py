"""Cluster section of a stack: the EKS control plane and its system node group."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.config_base import ConfigModel
from components.network.models import check_retention

# Kubernetes minors EKS offers in standard support in November 2026.
SUPPORTED_KUBERNETES_VERSIONS = ("1.32", "1.33", "1.34")
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$"


class SystemNodesConfig(ConfigModel):
    """On-demand managed node group for cluster services (Karpenter, CoreDNS, controllers)."""

    instance_types: list[str] = Field(default=["m7i.large", "m6i.large"], min_length=1)
    min_size: int = Field(default=2, ge=1)
    desired_size: int = Field(default=2, ge=1)
    max_size: int = Field(default=4, ge=1)
    disk_gib: int = Field(default=50, ge=20, le=1000)

    @model_validator(mode="after")
    def _sizes(self) -> "SystemNodesConfig":
        if not self.min_size <= self.desired_size <= self.max_size:
            raise ValueError(
                f"need minSize <= desiredSize <= maxSize, got {self.min_size} <= {self.desired_size} <= {self.max_size}"
            )
        return self


class ClusterConfig(ConfigModel):
    kubernetes_version: Literal["1.32", "1.33", "1.34"] = Field(default="1.34", description="EKS Kubernetes minor, pinned.")
    public_access_cidrs: list[IPv4Network] = Field(
        default=[], description="When set, the API endpoint is also public, reachable only from these CIDRs (never 0.0.0.0/0 in prod)."
    )
    admin_role_arns: list[str] = Field(
        default=[], description="IAM roles granted cluster-admin through EKS access entries."
    )
    log_retention_days: int = Field(default=90, description="Control-plane log retention in CloudWatch Logs.")
    service_cidr: IPv4Network = Field(
        default=IPv4Network("172.20.0.0/16"), description="Kubernetes Service CIDR; must not overlap the VPC."
    )
    system_nodes: SystemNodesConfig = Field(default_factory=SystemNodesConfig)

    @field_validator("admin_role_arns")
    @classmethod
    def _arns(cls, arns: list[str]) -> list[str]:
        import re

        for arn in arns:
            if not re.match(ROLE_ARN_PATTERN, arn):
                raise ValueError(f"{arn!r} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")
        return arns

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return check_retention(days)
