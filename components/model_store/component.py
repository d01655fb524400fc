"""ModelStore: one S3 bucket per stack holding model weights under `<model id>/`, read by serving
pods over the VPC's S3 gateway endpoint (no NAT bytes, no internet path)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.model_store import weight_cache
from components.model_store.models import ModelStoreConfig
from components.model_store.policies import bucket_policy, lifecycle_rules
from components.tagging import label_value, resource_tags
from components.trust import account_of

COMPONENT = "model-store"


@dataclass(frozen=True)
class CacheBucket:
    """A model's copy in the shared weight cache (an S3 Express One Zone directory bucket)."""

    bucket: pulumi.Input[str]
    arn: pulumi.Input[str]


@dataclass
class ModelBucket:
    """What a serving slot needs to read weights: the bucket and the key that encrypts it, and the
    shared cache's bucket of each cached model."""

    bucket: pulumi.Input[str]
    arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    caches: dict[str, CacheBucket] = field(default_factory=dict)


@dataclass
class ModelStoreArgs:
    config: ModelStoreConfig
    name_prefix: str  # the cluster name, e.g. llm-platform-dev
    region: str = ""
    # Every model a slot serves from S3; the cache keeps those at or above sharedCache.minModelGib.
    models: Sequence[str] = ()
    vpc_id: pulumi.Input[str] | None = None  # the cache's gateway endpoint: VPC and private route tables
    route_table_ids: Sequence[pulumi.Input[str]] = ()


class ModelStore(pulumi.ComponentResource):
    bucket_name: pulumi.Output[str]
    bucket_arn: pulumi.Output[str]
    kms_key_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ModelStoreArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:model_store:ModelStore", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cfg = args.config

        key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.name_prefix} model weights",
            enable_key_rotation=True,
            deletion_window_in_days=cfg.key_deletion_window_days,
            tags=resource_tags(COMPONENT, f"{name}-key"),
            opts=child,
        )
        aws.kms.Alias(f"{name}-key-alias", name=f"alias/{args.name_prefix}-models", target_key_id=key.key_id, opts=child)
        bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=f"{args.name_prefix}-models-",
            force_destroy=cfg.force_destroy,
            tags=resource_tags(COMPONENT, f"{name}-bucket"),
            opts=child,
        )
        after_bucket = pulumi.ResourceOptions(parent=self, depends_on=[bucket])
        public_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=after_bucket,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=after_bucket,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning", bucket=bucket.id, versioning_configuration={"status": "Enabled"}, opts=after_bucket
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-sse",
            bucket=bucket.id,
            rules=[{
                "apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
                # S3 Bucket Keys cut KMS requests (and cost) by ~99% for many-part weight files.
                "bucket_key_enabled": True,
            }],
            opts=after_bucket,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle", bucket=bucket.id, rules=lifecycle_rules(cfg.noncurrent_version_days), opts=after_bucket
        )
        aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket.id,
            policy=pulumi.Output.json_dumps(bucket.arn.apply(bucket_policy)),
            # A bucket policy put while the public access block is being created can race it.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_block]),
        )

        self.bucket_name = bucket.bucket
        self.bucket_arn = bucket.arn
        self.kms_key_arn = key.arn
        self.caches = self._weight_cache(name, args, key)
        self.register_outputs({
            "bucketName": self.bucket_name, "bucketArn": self.bucket_arn, "kmsKeyArn": self.kms_key_arn,
            "weightCache": {model: c.bucket for model, c in self.caches.items()},
        })

    def _weight_cache(self, name: str, args: ModelStoreArgs, key: aws.kms.Key) -> dict[str, CacheBucket]:
        """One directory bucket per cached model, SSE-KMS with the stack's model key, reached through
        the VPC's S3 Express gateway endpoint (no NAT path; directory buckets block public access
        and it cannot be turned off)."""
        cache = args.config.shared_cache
        models = weight_cache.cached_models(cache, args.models)
        if cache is None or not models:
            return {}
        child = pulumi.ResourceOptions(parent=self)
        if args.vpc_id is None or not args.route_table_ids:
            raise ValueError("the shared weight cache needs the VPC and its private route tables")
        # S3 Express One Zone is reached through its own gateway endpoint (S3 User Guide,
        # "Networking for directory buckets in an Availability Zone").
        aws.ec2.VpcEndpoint(
            f"{name}-s3express", vpc_id=args.vpc_id, service_name=f"com.amazonaws.{args.region}.s3express",
            vpc_endpoint_type="Gateway", route_table_ids=list(args.route_table_ids),
            tags=resource_tags(COMPONENT, f"{name}-s3express"), opts=child,
        )
        caches = {}
        for model in models:
            res = f"{name}-cache-{label_value(model)}"  # by model: adding a model never renames another's bucket
            bucket_name = key.arn.apply(
                lambda arn, model=model: weight_cache.bucket_name(args.name_prefix, model, account_of(arn), cache.availability_zone_id)
            )
            bucket = aws.s3.DirectoryBucket(
                res,
                bucket=bucket_name,
                location={"name": cache.availability_zone_id, "type": "AvailabilityZone"},
                data_redundancy="SingleAvailabilityZone",
                type="Directory",
                force_destroy=args.config.force_destroy,
                tags=resource_tags(COMPONENT, res, model=model),
                opts=child,
            )
            aws.s3.BucketServerSideEncryptionConfiguration(
                f"{res}-sse",
                bucket=bucket.bucket,
                # Directory buckets take one customer managed key for life, by ARN (not alias), and
                # always use S3 Bucket Keys (S3 User Guide, SSE-KMS in directory buckets).
                rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "aws:kms", "kms_master_key_id": key.arn},
                        "bucket_key_enabled": True}],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[bucket]),
            )
            caches[model] = CacheBucket(bucket=bucket.bucket, arn=bucket.arn)
        return caches

    @property
    def ref(self) -> ModelBucket:
        return ModelBucket(bucket=self.bucket_name, arn=self.bucket_arn, kms_key_arn=self.kms_key_arn, caches=dict(self.caches))
