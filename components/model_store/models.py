"""Model store section: the S3 bucket serving slots stream weights from (prefix = model id), and
the optional shared weight cache (S3 Express One Zone) for the largest models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from components.config_base import ConfigModel

# Availability Zone IDs that offer S3 Express One Zone directory buckets, per region this platform
# supports (AWS S3 User Guide, "Regional and Zonal endpoints for directory buckets in an
# Availability Zone", docs.aws.amazon.com/AmazonS3/latest/userguide/endpoint-directory-buckets-AZ.html,
# read 2026-12-01). A region missing here has no directory buckets in that table.
S3_EXPRESS_ZONES: dict[str, tuple[str, ...]] = {
    "us-east-1": ("use1-az4", "use1-az5", "use1-az6"),
    "us-east-2": ("use2-az1", "use2-az2"),
    "us-west-2": ("usw2-az1", "usw2-az3", "usw2-az4"),
    "ap-south-1": ("aps1-az1", "aps1-az3"),
    "ap-northeast-1": ("apne1-az1", "apne1-az4"),
}


class SharedCacheConfig(ConfigModel):
    """Why S3 Express One Zone and not FSx for Lustre: docs/coldstart.md, "Shared weight cache"."""

    type: Literal["s3express"] = Field(
        default="s3express",
        description="s3express: one S3 Express One Zone directory bucket per cached model, read by the Run:ai streamer over S3.",
    )
    availability_zone_id: str = Field(
        pattern=r"^[a-z]{2,5}[0-9]-az[0-9]+$",
        description="AZ ID (not name: IDs are the same in every account) of the directory buckets; pick one your private subnets cover.",
    )
    min_model_gib: float = Field(
        default=100, gt=0, le=10_000,
        description="Cache only models whose safetensors total at least this many GiB (components/catalog/models.py); others stream from the model bucket.",
    )


class ModelStoreConfig(ConfigModel):
    noncurrent_version_days: int = Field(
        default=30, ge=1, le=3650,
        description="Days a replaced or deleted weight file is kept as a noncurrent version (undo window for a bad upload).",
    )
    force_destroy: bool = Field(
        default=False, description="Let `pulumi destroy` delete a bucket that still holds weights. Keep false outside throwaway stacks."
    )
    key_deletion_window_days: int = Field(default=30, ge=7, le=30, description="KMS key deletion waiting period.")
    shared_cache: SharedCacheConfig | None = Field(
        default=None,
        description="Shared weight cache for large models (off by default): a copy of each large model in S3 Express One Zone.",
    )


def shared_cache_problem(cache: SharedCacheConfig, region: str) -> str | None:
    """Why the cache cannot be created in `region`, or None."""
    zones = S3_EXPRESS_ZONES.get(region)
    if zones is None:
        return f"S3 Express One Zone has no directory bucket zones in {region}; regions: {', '.join(S3_EXPRESS_ZONES)}"
    if cache.availability_zone_id not in zones:
        return f"not an S3 Express One Zone AZ ID of {region}; allowed: {', '.join(zones)}"
    return None
