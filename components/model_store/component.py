"""ModelStore: one S3 bucket per stack holding model weights under `<model id>/`, read by serving
pods over the VPC's S3 gateway endpoint (no NAT bytes, no internet path)."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.model_store.models import ModelStoreConfig
from components.model_store.policies import bucket_policy, lifecycle_rules
from components.tagging import resource_tags

COMPONENT = "model-store"


@dataclass
class ModelBucket:
    """What a serving slot needs to read weights: the bucket and the key that encrypts it."""

    bucket: pulumi.Input[str]
    arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]


@dataclass
class ModelStoreArgs:
    config: ModelStoreConfig
    name_prefix: str  # the cluster name, e.g. llm-platform-dev


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
        self.register_outputs({"bucketName": self.bucket_name, "bucketArn": self.bucket_arn, "kmsKeyArn": self.kms_key_arn})

    @property
    def ref(self) -> ModelBucket:
        return ModelBucket(bucket=self.bucket_name, arn=self.bucket_arn, kms_key_arn=self.kms_key_arn)
