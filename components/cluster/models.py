"""Cluster section of a stack: the EKS control plane and its system node group."""

from __future__ import annotations

from ipaddress import IPv4Network
from typing import Literal

from pydantic import Field, field_validator, model_validator

from components.cluster.versions import SUPPORTED_KUBERNETES_VERSIONS
from components.config_base import ConfigModel
from components.network.models import check_retention

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


class BootstrapConfig(ConfigModel):
    """The first deploy of a new account: the deployer reaches the API through its public endpoint,
    opened only to these CIDRs, until the operator networks (VPN, peering, an in-VPC runner) exist.
    Remove the whole `bootstrap` key and run `pulumi up` again from an operator network to close it."""

    deployer_cidrs: list[IPv4Network] = Field(
        min_length=1, description="Public egress CIDRs of the first deployer (e.g. 203.0.113.7/32); /24 or narrower."
    )

    @field_validator("deployer_cidrs")
    @classmethod
    def _narrow(cls, cidrs: list[IPv4Network]) -> list[IPv4Network]:
        for cidr in cidrs:
            if cidr.prefixlen < 24:
                raise ValueError(f"{cidr} is wider than /24; list the deployer's own egress address(es), e.g. 203.0.113.7/32")
        return cidrs


class ClusterConfig(ConfigModel):
    kubernetes_version: Literal[SUPPORTED_KUBERNETES_VERSIONS] = Field(  # type: ignore[valid-type]
        default="1.36", description="EKS Kubernetes minor, pinned (add-on builds per minor in components/cluster/versions.py)."
    )
    upgrade_policy: Literal["STANDARD", "EXTENDED"] = Field(
        default="STANDARD",
        description="EKS upgrade policy at the end of standard support: STANDARD lets AWS upgrade the control plane under the stack; "
        "EXTENDED keeps the version for 12 more months at the extended-support price per cluster-hour. "
        "`llmctl preflight` warns 60 days before either date.",
    )
    public_access_cidrs: list[IPv4Network] = Field(
        default=[], description="When set (not in prod), the API endpoint is also public, reachable only from these CIDRs (never 0.0.0.0/0)."
    )
    operator_cidrs: list[IPv4Network] = Field(
        default=[], description="Private networks of operators (VPN, peering, transit gateway) the cluster security group admits on 443."
    )
    bootstrap: BootstrapConfig | None = Field(
        default=None, description="First-deploy state: the public endpoint opens to the deployer's CIDRs only; remove it to close."
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

    @field_validator("operator_cidrs")
    @classmethod
    def _operators(cls, cidrs: list[IPv4Network]) -> list[IPv4Network]:
        for cidr in cidrs:
            if not any(cidr.subnet_of(IPv4Network(r)) for r in NON_PUBLIC_RANGES):
                raise ValueError(f"{cidr} is not a private network; operator networks are RFC 1918 or 100.64.0.0/10 ranges (VPN, peering)")
        return cidrs

    @property
    def in_bootstrap(self) -> bool:
        return self.bootstrap is not None

    @property
    def endpoint_public_cidrs(self) -> list[str]:
        """Who reaches the public endpoint: the standing CIDRs plus, while bootstrapping, the deployer's."""
        extra = list(self.bootstrap.deployer_cidrs) if self.bootstrap else []
        return [str(c) for c in [*self.public_access_cidrs, *extra]]

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


def public_endpoint_error(cluster: ClusterConfig, is_prod: bool) -> tuple[tuple, str, str] | None:
    """(key path under cluster, value, what is allowed) for the first CIDR that may not reach the public
    endpoint: private ranges never reach it, and prod opens it only while bootstrapping."""
    public = [(("publicAccessCidrs", i), c) for i, c in enumerate(cluster.public_access_cidrs)]
    if cluster.bootstrap:
        public += [(("bootstrap", "deployerCidrs", i), c) for i, c in enumerate(cluster.bootstrap.deployer_cidrs)]
    for path, cidr in public:
        if is_prod and path[0] == "publicAccessCidrs":
            return path, str(cidr), ("a prod API endpoint ends private; reach it from cluster.operatorCidrs (VPN, peering), "
                                     "and use cluster.bootstrap.deployerCidrs only for the first deploy")
        if any(cidr.subnet_of(IPv4Network(r)) for r in NON_PUBLIC_RANGES):
            return path, str(cidr), ("a private range never reaches the public endpoint; list public office/VPN egress CIDRs "
                                     "(private networks go to cluster.operatorCidrs)")
    return None
