"""The image cache of a stack: which Bottlerocket data-volume snapshot holds which images, and
whether it is still in step with what the stack runs.

`llmctl image cache STACK` builds the snapshot and writes stacks/image-cache/<stack>.json; the
program reads it here. In step means: same region, and the snapshot holds the exact serving image
the stack runs (the immutable release tag of the built image, or the pinned reference given in
registry.image). The snapshot also carries those references as EBS tags, so the file can be
checked against AWS (`llmctl image cache STACK --verify`). Out of step (the serving image changed,
the data volume shrank below the snapshot) means the node class falls back to SOCI parallel pull
and the program warns; nothing silently boots an old image store.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from components.gpu_pools.models import GpuPoolConfig, cached_data_volume_gib
from components.registry.images import SERVING_IMAGE_DIR, context_hash, image_tag
from components.registry.models import RegistryConfig

REPO_ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = Path("stacks") / "image-cache"
SERVING = "serving"


@dataclass(frozen=True)
class CacheRecord:
    snapshot_id: str
    region: str
    images: dict[str, str]  # role (serving, or the reference itself) -> image reference pulled
    volume_gib: int  # size of the snapshotted data volume: node data volumes must be at least this
    bottlerocket: str  # AMI release the store was written by
    created: str = ""
    digests: dict[str, str] = field(default_factory=dict)  # reference -> sha256 digest containerd resolved

    def to_json(self) -> dict[str, object]:
        return asdict(self)


def state_path(stack: str, root: Path = REPO_ROOT) -> Path:
    return root / STATE_DIR / f"{stack}.json"


def load_record(stack: str, root: Path = REPO_ROOT) -> CacheRecord | None:
    path = state_path(stack, root)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return CacheRecord(**data)


def save_record(stack: str, record: CacheRecord, root: Path = REPO_ROOT) -> Path:
    path = state_path(stack, root)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record.to_json(), indent=2, sort_keys=True) + "\n")
    return path


def serving_key(registry: RegistryConfig) -> str:
    """What identifies the stack's serving image offline: the pinned reference it was given, or
    the release tag of the image built from serving-image/ (IMMUTABLE repository: one tag, one
    digest)."""
    if registry.image:
        return registry.image
    return image_tag(registry.vllm_version, context_hash(SERVING_IMAGE_DIR))


def holds(record: CacheRecord, key: str) -> bool:
    ref = record.images.get(SERVING, "")
    return ref == key or ref.endswith(f":{key}")


def mismatch(record: CacheRecord | None, region: str, key: str, volume_gib: int) -> str | None:
    """None when the record's snapshot can serve this pool, else why not."""
    if record is None:
        return "no image cache recorded (run `llmctl image cache STACK`)"
    if record.region != region:
        return f"snapshot {record.snapshot_id} is in {record.region}, the stack in {region}"
    if not holds(record, key):
        return f"snapshot {record.snapshot_id} holds {record.images.get(SERVING, 'no serving image')}, the stack runs {key}"
    if volume_gib < record.volume_gib:
        return f"snapshot {record.snapshot_id} is {record.volume_gib} GiB, larger than the {volume_gib} GiB data volume"
    return None


@dataclass(frozen=True)
class ImageSource:
    """How one pool's nodes get the serving image."""

    kind: str  # snapshot | soci | pull
    snapshot_id: str | None = None
    warning: str | None = None  # why the recorded cache is not used, when there is one


def pool_image_source(pool: GpuPoolConfig, record: CacheRecord | None, region: str, key: str) -> ImageSource:
    """Config snapshot > recorded snapshot in step with the stack > SOCI parallel pull > plain pull.
    Both the snapshot (a Bottlerocket data volume) and SOCI are Bottlerocket settings; AL2023
    pools pull plainly."""
    if pool.ami != "bottlerocket":
        return ImageSource("pull")
    if pool.image_cache.snapshot_id:
        return ImageSource("snapshot", pool.image_cache.snapshot_id)
    problem = mismatch(record, region, key, cached_data_volume_gib(pool))
    if problem is None:
        assert record is not None
        return ImageSource("snapshot", record.snapshot_id)
    warning = None if record is None else f"pool {pool.name}: image cache not used: {problem}"
    return ImageSource("soci" if pool.image_cache.soci_parallel_pull else "pull", None, warning)


def image_sources(pools: list[GpuPoolConfig], record: CacheRecord | None, region: str, key: str) -> dict[str, ImageSource]:
    """Pool name -> how its nodes get the serving image (the program, the golden files and
    `llmctl coldstart` all call this)."""
    return {pool.name: pool_image_source(pool, record, region, key) for pool in pools}
