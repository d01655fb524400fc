"""ModelStore: private, versioned, SSE-KMS, owner-enforced, TLS-only bucket."""

from __future__ import annotations

import json

from components.model_store.component import ModelStore, ModelStoreArgs
from components.model_store.models import ModelStoreConfig
from components.model_store.policies import bucket_policy
from llmctl.synth.runner import record


def _inventory(**cfg):
    return record(lambda: ModelStore("models", ModelStoreArgs(config=ModelStoreConfig(**cfg), name_prefix="llm-platform-t")),
                  stack="t", config={"aws:region": "us-west-2"})


def test_bucket_is_private_versioned_kms_and_tls_only():
    inv = _inventory()
    (bucket,) = inv.of_type("aws:s3/bucket:Bucket")
    assert bucket.inputs["forceDestroy"] is False and bucket.inputs["bucketPrefix"] == "llm-platform-t-models-"
    (pab,) = inv.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    assert all(pab.inputs[k] is True for k in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"))
    (own,) = inv.of_type("aws:s3/bucketOwnershipControls:BucketOwnershipControls")
    assert own.inputs["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    (ver,) = inv.of_type("aws:s3/bucketVersioning:BucketVersioning")
    assert ver.inputs["versioningConfiguration"]["status"] == "Enabled"
    (sse,) = inv.of_type("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")
    (key,) = inv.of_type("aws:kms/key:Key")
    default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
    assert default["sseAlgorithm"] == "aws:kms" and default["kmsMasterKeyId"].startswith("arn:aws:kms:")
    assert key.inputs["enableKeyRotation"] is True
    (policy,) = inv.of_type("aws:s3/bucketPolicy:BucketPolicy")
    doc = json.loads(policy.inputs["policy"])
    (deny,) = doc["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    arn = deny["Resource"][0]
    assert arn.startswith("arn:aws:s3:::") and deny["Resource"] == [arn, f"{arn}/*"]
    (lifecycle,) = inv.of_type("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
    assert lifecycle.inputs["rules"][0]["noncurrentVersionExpiration"] == {"noncurrentDays": 30}


def test_bucket_policy_covers_bucket_and_objects():
    doc = bucket_policy("arn:aws:s3:::b")
    assert doc["Statement"][0]["Resource"] == ["arn:aws:s3:::b", "arn:aws:s3:::b/*"]
    assert doc["Statement"][0]["Principal"] == "*" and doc["Statement"][0]["Action"] == "s3:*"
