"""Model store section: the S3 bucket serving slots stream weights from (prefix = model id)."""

from __future__ import annotations

from pydantic import Field

from components.config_base import ConfigModel


class ModelStoreConfig(ConfigModel):
    noncurrent_version_days: int = Field(
        default=30, ge=1, le=3650,
        description="Days a replaced or deleted weight file is kept as a noncurrent version (undo window for a bad upload).",
    )
    force_destroy: bool = Field(
        default=False, description="Let `pulumi destroy` delete a bucket that still holds weights. Keep false outside throwaway stacks."
    )
    key_deletion_window_days: int = Field(default=30, ge=7, le=30, description="KMS key deletion waiting period.")
