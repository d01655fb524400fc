"""Registry, buckets and volumes: immutable, scanned, expiring images; private, KMS-encrypted, TLS-only S3;
volume claims bound to a StorageClass the stack itself creates."""

from __future__ import annotations

from collections.abc import Iterator

from ..model import ADVISORY, Context, ResourceView, as_list, get, resource_rule, stack_rule, statements, truthy

REPOSITORY = "aws:ecr/repository:Repository"
LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
# S3 Express One Zone (the shared weight cache): public access is always blocked and only HTTPS is
# served, so of the bucket rules only encryption applies.
DIRECTORY_BUCKET = "aws:s3/directoryBucket:DirectoryBucket"
ACCESS_BLOCK = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ENCRYPTION = ("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
              "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
BLOCK_FIELDS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
PVC = "kubernetes:core/v1:PersistentVolumeClaim"


def claim_specs(r: ResourceView) -> Iterator[tuple[str, object]]:
    """(where, spec) of every volume claim a resource carries: a PVC itself, StatefulSet
    volumeClaimTemplates, and volumeClaimTemplate blocks inside Helm values or custom resources."""
    if r.type == PVC:
        yield "spec", get(r.props, "spec", default={})
        return

    def walk(node: object, path: str) -> Iterator[tuple[str, object]]:
        if isinstance(node, dict):
            for key, value in node.items():
                here = f"{path}.{key}" if path else str(key)
                if key == "volumeClaimTemplate" and isinstance(value, dict):
                    yield here, value.get("spec", {})
                elif key == "volumeClaimTemplates" and isinstance(value, list):
                    yield from ((f"{here}[{i}]", t.get("spec", {}) if isinstance(t, dict) else {}) for i, t in enumerate(value))
                else:
                    yield from walk(value, here)
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, f"{path}[{i}]")

    yield from walk(dict(r.props), "")


@resource_rule("ecr-immutable-tags", "storage", "ECR repositories have IMMUTABLE tags: a released tag always means the same image.")
def ecr_immutable_tags(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type == REPOSITORY and get(r.props, "imageTagMutability", default="MUTABLE") != "IMMUTABLE":
        yield f"{r.display}: image tags are mutable; set image_tag_mutability IMMUTABLE"


@resource_rule("ecr-scan-on-push", "storage", "ECR repositories scan every pushed image.")
def ecr_scan_on_push(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type == REPOSITORY and not truthy(get(r.props, "imageScanningConfiguration", "scanOnPush", default=False)):
        yield f"{r.display}: images are not scanned on push; set image_scanning_configuration scan_on_push true"


def _owner(companion: ResourceView, ref_key: str, owners: list[ResourceView], name_key: str) -> ResourceView | None:
    """The bucket/repository a companion resource (policy, access block...) belongs to: by the name or
    ID it references, else the only candidate in the same component."""
    ref = get(companion.props, ref_key)
    for owner in owners:
        if isinstance(ref, str) and ref in (get(owner.props, name_key), owner.name):
            return owner
    for owner in owners:
        if isinstance(ref, str) and ref.startswith(owner.name + "-") and owner.parent == companion.parent:
            return owner
    siblings = [o for o in owners if o.parent == companion.parent]
    return siblings[0] if len(siblings) == 1 else None


def _companions(resources: list[ResourceView], owners: list[ResourceView], types: tuple[str, ...], ref_key: str, name_key: str):
    found: dict[str, list[ResourceView]] = {o.urn: [] for o in owners}
    for r in resources:
        if r.type in types:
            owner = _owner(r, ref_key, owners, name_key)
            if owner is not None:
                found[owner.urn].append(r)
    return found


@stack_rule("ecr-lifecycle-policy", "storage", "Every ECR repository has a lifecycle policy, so untagged and old images expire.")
def ecr_lifecycle_policy(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    repos = [r for r in resources if r.type == REPOSITORY]
    for repo_urn, policies in _companions(resources, repos, (LIFECYCLE,), "repository", "name").items():
        if not policies:
            repo = next(r for r in repos if r.urn == repo_urn)
            yield repo, f"{repo.display}: no lifecycle policy; add an aws.ecr.LifecyclePolicy expiring untagged and old images"


def _buckets(resources: list[ResourceView]) -> list[ResourceView]:
    return [r for r in resources if r.type in BUCKETS]


@stack_rule("s3-public-access-block", "storage", "Every S3 bucket has a public access block with all four settings true.")
def s3_public_access_block(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    buckets = _buckets(resources)
    for urn, blocks in _companions(resources, buckets, (ACCESS_BLOCK,), "bucket", "bucket").items():
        bucket = next(b for b in buckets if b.urn == urn)
        if not blocks:
            yield bucket, f"{bucket.display}: no public access block; add an aws.s3.BucketPublicAccessBlock with {', '.join(BLOCK_FIELDS)} true"
        for block in blocks:
            off = [f for f in BLOCK_FIELDS if not truthy(get(block.props, f))]
            if off:
                yield block, f"{block.display}: {', '.join(off)} not true for bucket {bucket.name}; set all four to true"


def _kms_encrypted(encryption: ResourceView | dict) -> bool:
    props = encryption.props if isinstance(encryption, ResourceView) else encryption
    for rule in as_list(get(props, "rules")) + as_list(get(props, "rule")):
        default = get(rule, "applyServerSideEncryptionByDefault", default={})
        if get(default, "sseAlgorithm") in ("aws:kms", "aws:kms:dsse") and get(default, "kmsMasterKeyId"):
            return True
    return False


@stack_rule("s3-encryption-kms", "storage", "Every S3 bucket, directory buckets included, has default encryption with SSE-KMS and a named KMS key.")
def s3_encryption_kms(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    buckets = _buckets(resources) + [r for r in resources if r.type == DIRECTORY_BUCKET]
    for urn, configs in _companions(resources, buckets, ENCRYPTION, "bucket", "bucket").items():
        bucket = next(b for b in buckets if b.urn == urn)
        inline = get(bucket.props, "serverSideEncryptionConfiguration", "rule")
        if not any(_kms_encrypted(c) for c in configs) and not (inline and _kms_encrypted({"rule": inline})):
            yield bucket, (f"{bucket.display}: not encrypted with SSE-KMS; add a BucketServerSideEncryptionConfiguration with "
                           "sse_algorithm aws:kms and kms_master_key_id")


def _denies_insecure_transport(policy: ResourceView) -> bool:
    for st in statements(get(policy.props, "policy")):
        condition = get(st, "Condition", "Bool", "aws:SecureTransport")
        if get(st, "Effect") == "Deny" and str(condition).lower() == "false":
            return True
    return False


@stack_rule("s3-tls-only", "storage", "Every S3 bucket policy denies requests without TLS (aws:SecureTransport false).")
def s3_tls_only(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    buckets = _buckets(resources)
    for urn, policies in _companions(resources, buckets, (BUCKET_POLICY,), "bucket", "bucket").items():
        if not any(_denies_insecure_transport(p) for p in policies):
            bucket = next(b for b in buckets if b.urn == urn)
            yield bucket, (f"{bucket.display}: no bucket policy denies non-TLS requests; add a Deny statement with "
                           "Condition Bool aws:SecureTransport false")


@stack_rule(
    "pvc-storage-class", "storage",
    "Every volume claim or claim template names a StorageClass the stack creates (EKS has no default class; an unnamed claim stays Pending).",
)
def pvc_storage_class(resources: list[ResourceView], ctx: Context) -> Iterator[tuple[ResourceView, str]]:
    created = sorted(str(get(r.props, "metadata", "name", default=r.name)) for r in resources if r.type == STORAGE_CLASS)
    for r in resources:
        if not r.is_kubernetes:
            continue
        for where, spec in claim_specs(r):
            named = get(spec, "storageClassName") if isinstance(spec, dict) else None
            if named not in created:
                have = ", ".join(created) or "none"
                yield r, (f"{r.display} {where}: storageClassName is {named or 'unset'}; name a StorageClass this stack creates "
                          f"(created: {have})")


IMAGE_BUILD = "docker-build:index:Image"


@resource_rule(
    "image-base-digest", "storage",
    "The serving image is built FROM its base by digest: the build passes VLLM_BASE_DIGEST (registry.baseImageDigest, 64 hex).",
    levels={"dev": ADVISORY},
)
def image_base_digest(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type != IMAGE_BUILD:
        return
    digest = str(get(r.props, "buildArgs", "VLLM_BASE_DIGEST", default="") or "")
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        yield (f"{r.display}: no base image digest; set registry.baseImageDigest to the sha256 of vllm/vllm-openai:v<vllmVersion> "
               "(docker buildx imagetools inspect)")
