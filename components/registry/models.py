"""Registry section: the ECR repository and the serving image built from serving-image/."""

from __future__ import annotations

from pydantic import Field

from components.config_base import ConfigModel
from components.registry.images import PinnedImage


class RegistryConfig(ConfigModel):
    build_image: bool = Field(default=True, description="Build and push serving-image/ with docker-build on `pulumi up`.")
    vllm_version: str = Field(default="0.33.0", pattern=r"^\d+\.\d+\.\d+$", description="vLLM release the image is based on.")
    keep_release_images: int = Field(default=30, ge=1, le=1000, description="Release-tagged images kept by the lifecycle policy.")
    untagged_expiry_days: int = Field(default=7, ge=1, le=365, description="Untagged images (superseded pushes) expire after this many days.")
    image: PinnedImage | None = Field(
        default=None,
        description="A pinned serving image of your own (by digest, or an immutable non-`latest` tag); when set, serving-image/ is not built.",
    )
    build_cache: bool = Field(default=True, description="Export/import the BuildKit layer cache to the repository (`cache-*` tags).")

    @property
    def builds(self) -> bool:
        """True when the stack builds serving-image/ (no image of its own given)."""
        return self.build_image and self.image is None
