"""Registry section: the ECR repository and the serving image built from serving-image/."""

from __future__ import annotations

from pydantic import Field, model_validator

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
    base_image_digest: str | None = Field(
        default=None, pattern=r"^[0-9a-f]{64}$",
        description="sha256 (64 hex) of vllm/vllm-openai:v<vllmVersion>, the base the image is built FROM; the build fails without it "
        "(`docker buildx imagetools inspect vllm/vllm-openai:v0.33.0 --format '{{json .Manifest.Digest}}'`).",
    )
    promote_from: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$",
        description="Run the image an earlier stack built, by digest (its `servingImage` output through a StackReference "
        "`<org>/<project>/<stack>`), instead of building one: the image staging tested is the image prod runs.",
    )
    enhanced_scanning: bool = Field(
        default=False,
        description="ECR enhanced scanning (Amazon Inspector, continuous) for the account's registry in this region; "
        "one setting per account and region, so enable it in one stack per region.",
    )

    @model_validator(mode="after")
    def _one_source(self) -> RegistryConfig:
        if self.promote_from and self.image:
            raise ValueError("set either promoteFrom (an earlier stack's image) or image (your own), not both")
        return self

    @property
    def builds(self) -> bool:
        """True when the stack builds serving-image/ (no image of its own, none promoted)."""
        return self.build_image and self.image is None and self.promote_from is None
