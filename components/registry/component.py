"""Registry: the ECR repository for the serving image and, unless the stack pins an image of its
own, the image built from serving-image/ and pushed by digest (pulumi-docker-build)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_docker_build as docker_build

from components.registry.images import DIGEST, SERVING_IMAGE_DIR, cache_tag, context_hash, image_tag
from components.registry.models import RegistryConfig
from components.registry.policies import lifecycle_policy
from components.tagging import resource_tags

COMPONENT = "registry"


@dataclass
class RegistryArgs:
    config: RegistryConfig
    repository_name: str  # e.g. llm-platform-dev/vllm-serving


class Registry(pulumi.ComponentResource):
    repository_url: pulumi.Output[str]
    repository_arn: pulumi.Output[str]
    # The serving image every slot without an image of its own runs: `<repo>@sha256:<digest>`
    # (built) or the stack's registry.image (pinned). None when neither exists.
    image_ref: pulumi.Output[str] | None

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:registry:Registry", name, None, opts)
        cfg = args.config
        child = pulumi.ResourceOptions(parent=self)

        key = aws.kms.Key(
            f"{name}-key",
            description=f"ECR {args.repository_name}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            tags=resource_tags(COMPONENT, f"{name}-key"),
            opts=child,
        )
        repo = aws.ecr.Repository(
            f"{name}-repo",
            name=args.repository_name,
            # A tag always means the same bytes: releases and rollbacks are reproducible.
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration={"scan_on_push": True},
            encryption_configurations=[{"encryption_type": "KMS", "kms_key": key.arn}],
            force_delete=False,
            tags=resource_tags(COMPONENT, args.repository_name),
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=repo.name,
            policy=pulumi.Output.json_dumps(lifecycle_policy(cfg.keep_release_images, cfg.untagged_expiry_days)),
            opts=child,
        )

        self.repository_url = repo.repository_url
        self.repository_arn = repo.arn
        self.image_ref = None
        if cfg.enhanced_scanning:
            # Continuous Inspector scanning of every repository of the registry (a per account and
            # region setting: docs.aws.amazon.com/AmazonECR/latest/userguide/image-scanning-enhanced.html).
            aws.ecr.RegistryScanningConfiguration(
                f"{name}-scanning",
                scan_type="ENHANCED",
                rules=[{"scan_frequency": "CONTINUOUS_SCAN", "repository_filters": [{"filter": "*", "filter_type": "WILDCARD"}]}],
                opts=child,
            )
        if cfg.image:
            self.image_ref = pulumi.Output.from_input(cfg.image)
        elif cfg.promote_from:
            # The exact bytes the earlier stack built and ran: its output is `<repo>@sha256:<digest>`.
            earlier = pulumi.StackReference(f"{name}-promoted", stack_name=cfg.promote_from, opts=child)
            self.image_ref = earlier.require_output("servingImage").apply(_digest_ref)
        elif cfg.build_image:
            self.image_ref = self._build(name, cfg, repo).ref
        self.register_outputs({"repositoryUrl": self.repository_url, "repositoryArn": self.repository_arn, "imageRef": self.image_ref})

    def _build(self, name: str, cfg: RegistryConfig, repo: aws.ecr.Repository) -> docker_build.Image:
        digest = context_hash(SERVING_IMAGE_DIR)
        # Invoked through this component's provider (parent), never the default one.
        token = aws.ecr.get_authorization_token_output(registry_id=repo.registry_id, opts=pulumi.InvokeOutputOptions(parent=self))
        registry = {
            "address": repo.repository_url.apply(lambda url: url.split("/", 1)[0]),
            "username": token.user_name,
            "password": pulumi.Output.secret(token.password),
        }
        cache = repo.repository_url.apply(lambda url: f"{url}:{cache_tag(cfg.vllm_version, digest)}")
        return docker_build.Image(
            f"{name}-image",
            # Relative to the working directory: `main: infra/` makes Pulumi run the program in
            # infra/ (llmctl synth does the same), so this is ../serving-image there. Relative, so
            # the recorded inputs do not depend on where the repository is checked out.
            context={"location": os.path.relpath(SERVING_IMAGE_DIR)},
            dockerfile={"location": os.path.relpath(SERVING_IMAGE_DIR / "Dockerfile")},
            # A preview must not spend ten minutes pulling a CUDA base image.
            build_on_preview=False,
            platforms=[docker_build.Platform.LINUX_AMD64],
            build_args={"VLLM_VERSION": cfg.vllm_version, **({"VLLM_BASE_DIGEST": cfg.base_image_digest} if cfg.base_image_digest else {})},
            registries=[registry],
            # Cache tags are per content hash: the repository is IMMUTABLE, so a cache is written
            # once and reused by any later build of the same context (fresh CI runner, new
            # state); ignore_error keeps an already-present cache tag from failing the build.
            cache_from=[{"registry": {"ref": cache}}] if cfg.build_cache else None,
            cache_to=[{"registry": {"ref": cache, "mode": "max", "image_manifest": True, "oci_media_types": True, "ignore_error": True}}]
            if cfg.build_cache else None,
            push=True,
            tags=[repo.repository_url.apply(lambda url: f"{url}:{image_tag(cfg.vllm_version, digest)}")],
            opts=pulumi.ResourceOptions(parent=self),
        )


def _digest_ref(ref: str) -> str:
    """A promoted image must be a digest reference: a tag could move between stacks."""
    if not DIGEST.match(str(ref)):
        raise pulumi.RunError(f"registry.promoteFrom: the earlier stack's servingImage {ref!r} is not <repo>@sha256:<digest>")
    return str(ref)


def resolve_image(slot_image: str | None, registry: Registry) -> pulumi.Input[str]:
    """The image a slot runs: its own pinned image (`slot_image`), else the stack's (built or
    pinned) image. Config validation guarantees one exists for every slot with a model."""
    if slot_image:
        return slot_image
    if registry.image_ref is None:
        raise ValueError("no serving image: config validation should have rejected this stack")
    return registry.image_ref
