"""Registry section: the ECR repository and the serving image built from serving-image/."""

from __future__ import annotations

from pydantic import Field

from components.config_base import ConfigModel


class RegistryConfig(ConfigModel):
    build_image: bool = Field(default=True, description="Build and push serving-image/ with docker-build on `pulumi up`.")
    vllm_version: str = Field(default="0.33.0", pattern=r"^\d+\.\d+\.\d+$", description="vLLM release the image is based on.")
    keep_release_images: int = Field(default=30, ge=1, le=1000, description="Release-tagged images kept by the lifecycle policy.")
    untagged_expiry_days: int = Field(default=7, ge=1, le=365)
