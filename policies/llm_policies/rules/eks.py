"""EKS control plane: private API in prod, KMS envelope encryption of secrets, every control-plane
log type, access entries (API authentication mode) instead of the aws-auth ConfigMap."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import ADVISORY, EKS_LOG_TYPES, Context, ResourceView, as_list, get, resource_rule

CLUSTER = "aws:eks/cluster:Cluster"


@resource_rule(
    "eks-private-endpoint", "network",
    "The EKS API endpoint is private in prod; elsewhere a public endpoint must be limited to listed CIDRs (never 0.0.0.0/0).",
    levels={"dev": ADVISORY},
)
def eks_private_endpoint(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type != CLUSTER:
        return
    vpc = get(r.props, "vpcConfig", default={})
    public = get(vpc, "endpointPublicAccess", default=True) is not False  # AWS defaults it to true
    if not public:
        return
    if ctx.is_prod:
        yield f"{r.display}: the API endpoint is public in prod; set vpcConfig.endpointPublicAccess false (reach it over VPN/VPC)"
        return
    cidrs = as_list(get(vpc, "publicAccessCidrs"))
    if not cidrs or "0.0.0.0/0" in cidrs:
        yield f"{r.display}: the public API endpoint is open to 0.0.0.0/0; list office/VPN CIDRs in vpcConfig.publicAccessCidrs or make it private"


@resource_rule(
    "eks-secrets-encryption", "eks",
    "EKS encrypts Kubernetes secrets with a KMS key (encryptionConfig resources [secrets]).",
)
def eks_secrets_encryption(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type != CLUSTER:
        return
    config = get(r.props, "encryptionConfig", default={})
    if "secrets" not in as_list(get(config, "resources")) or not get(config, "provider", "keyArn"):
        yield f"{r.display}: secrets are not envelope-encrypted; set encryptionConfig {{provider.keyArn: <KMS key>, resources: [secrets]}}"


@resource_rule(
    "eks-control-plane-logs", "eks",
    "EKS ships all five control-plane log types (api, audit, authenticator, controllerManager, scheduler).",
)
def eks_control_plane_logs(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type != CLUSTER:
        return
    enabled = as_list(get(r.props, "enabledClusterLogTypes"))
    missing = [t for t in EKS_LOG_TYPES if t not in enabled]
    if missing:
        yield f"{r.display}: control-plane log types {', '.join(missing)} are off; enable all of {', '.join(EKS_LOG_TYPES)} in enabledClusterLogTypes"


@resource_rule(
    "eks-authentication-mode", "eks",
    "EKS uses access entries only (accessConfig.authenticationMode API), not the aws-auth ConfigMap.",
)
def eks_authentication_mode(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type != CLUSTER:
        return
    mode = get(r.props, "accessConfig", "authenticationMode", default="CONFIG_MAP")
    if mode != "API":
        yield f"{r.display}: authenticationMode is {mode}; set accessConfig.authenticationMode API and grant access with access entries"
