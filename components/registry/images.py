"""Image references: what counts as pinned, the content hash of serving-image/, the built tag."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator

DIGEST = re.compile(r"^(?P<repo>[a-z0-9][a-z0-9._/:-]*[a-z0-9])@sha256:[0-9a-f]{64}$")
TAGGED = re.compile(r"^(?P<repo>[a-z0-9][a-z0-9._/-]*(:[0-9]+)?(/[a-z0-9._-]+)*):(?P<tag>[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$")
MUTABLE_TAGS = {"latest", "main", "master", "stable", "nightly", "dev", "edge"}

SERVING_IMAGE_CONTEXT = "serving-image"
SERVING_IMAGE_DIR = Path(__file__).resolve().parents[2] / SERVING_IMAGE_CONTEXT


def check_image_ref(ref: str) -> str | None:
    """None when `ref` is pinned (a digest, or an immutable-looking tag), else what is wrong."""
    if DIGEST.match(ref):
        return None
    match = TAGGED.match(ref)
    if not match:
        return "expected <registry>/<repository>@sha256:<64 hex> or <registry>/<repository>:<version tag>"
    if match["tag"].lower() in MUTABLE_TAGS:
        return f"tag {match['tag']!r} moves; pin a digest (@sha256:...) or a release tag such as v0.33.0"
    return None


def _pinned(ref: str) -> str:
    problem = check_image_ref(ref)
    if problem:
        raise ValueError(problem)
    return ref


# A config field holding an image reference that must be pinned (digest or release tag).
PinnedImage = Annotated[str, AfterValidator(_pinned)]


def context_hash(folder: Path = SERVING_IMAGE_DIR) -> str:
    """sha256 over every file of the build context (relative path + bytes), stable across
    machines; changes whenever the image's inputs change."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def image_tag(vllm_version: str, content_hash: str) -> str:
    """`v<vllm>-<hash12>`: matches the lifecycle policy's release pattern `v*`, never reused."""
    return f"v{vllm_version}-{content_hash[:12]}"


def cache_tag(vllm_version: str, content_hash: str) -> str:
    return f"cache-{vllm_version}-{content_hash[:12]}"
