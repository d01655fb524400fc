"""Cluster section of a stack: the EKS control plane and its system node group."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.config_base import ConfigModel
from components.network.models import check_retention

# Kubernetes minors EKS offers in standard support in November 2026.
SUPPORTED_KUBERNETES_VERSIONS = ("1.32", "1.33", "1.34")
RFC1918 = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16")
# Sources that can never reach a public endpoint (private, shared CGNAT, loopback, link-local).
NON_PUBLIC_RANGES = (*RFC1918, "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16")
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$"


class SystemNodesConfig(ConfigModel):
    """On-demand managed node group for cluster services (Karpenter, CoreDNS, controllers)."""

    instance_types: list[str] = Field(default=["m7i.large", "m6i.large"], min_length=1)
    min_size: int = Field(default=2, ge=1)
    desired_size: int = Field(default=2, ge=1)
    max_size: int = Field(default=4, ge=1)
    disk_gib: int = Field(default=50, ge=20, le=1000)

    @model_validator(mode="after")
    def _sizes(self) -> SystemNodesConfig:
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
    deletion_protection: bool = Field(
        default=True, description="EKS deletion protection: `pulumi destroy` cannot delete the cluster until this is false."
    )

    @field_validator("admin_role_arns")
    @classmethod
    def _arns(cls, arns: list[str]) -> list[str]:
        import re

        for arn in arns:
            if not re.match(ROLE_ARN_PATTERN, arn):
                raise ValueError(f"{arn!r} is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)")
        names = [arn.rsplit("/", 1)[-1].lower() for arn in arns]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"role name(s) {', '.join(duplicates)} listed twice; each admin role needs a distinct name")
        return arns

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, days: int) -> int:
        return check_retention(days)

    @field_validator("service_cidr")
    @classmethod
    def _service_cidr(cls, cidr: IPv4Network) -> IPv4Network:
        # EKS accepts only an RFC 1918 block between /12 and /24 (CreateCluster serviceIpv4Cidr).
        if not 12 <= cidr.prefixlen <= 24 or not any(cidr.subnet_of(IPv4Network(r)) for r in RFC1918):
            raise ValueError("must be an RFC 1918 block (10/8, 172.16/12, 192.168/16) between /12 and /24, e.g. 172.20.0.0/16")
        return cidr
