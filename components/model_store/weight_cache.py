"""The shared weight cache: one S3 Express One Zone directory bucket per large model (pure parts).

Why S3 Express and not FSx for Lustre, and what the cache buys, is in docs/coldstart.md ("Shared
weight cache"). One bucket per model keeps a slot's read right to its own model: a directory
bucket grants access per bucket (s3express:CreateSession), not per key prefix.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from components.catalog.models import model_facts
from components.model_store.models import SharedCacheConfig

# Directory bucket names: <base>--<az id>--x-s3, 3-63 characters in all (AWS S3 User Guide,
# "Directory bucket naming rules").
SUFFIX = "--x-s3"
MAX_NAME = 63


def model_gib(model: str) -> float | None:
    """The model's safetensors total in GiB (the catalog's GB are 1e9 bytes), or None if unknown."""
    facts = model_facts(model)
    return facts.weights_gb * 1e9 / 2**30 if facts else None


def is_cached(cache: SharedCacheConfig | None, model: str | None) -> bool:
    size = model_gib(model) if model else None
    return cache is not None and size is not None and size >= cache.min_model_gib


def cached_models(cache: SharedCacheConfig | None, models: Iterable[str | None]) -> list[str]:
    """The models the cache holds: each catalogued model at or above the size threshold, once."""
    return sorted({m for m in models if m and is_cached(cache, m)})


def bucket_name(name_prefix: str, model: str, account_id: str, az_id: str) -> str:
    """<cluster>-w<8 hex>--<az id>--x-s3. The hash of account and model keeps the name unique
    across accounts (directory bucket names are unique per zone) and within the 63-character limit;
    the bucket's `model` tag names the model in full."""
    digest = hashlib.sha256(f"{account_id}/{model}".encode()).hexdigest()[:8]
    name = f"{name_prefix}-w{digest}--{az_id}{SUFFIX}"
    if len(name) > MAX_NAME:
        raise ValueError(f"directory bucket name {name!r} is longer than {MAX_NAME} characters; shorten the project tag")
    return name


def cache_uri(bucket: str, model: str) -> str:
    """Where the slot streams the model from: the same <model id>/ layout as the model bucket."""
    return f"s3://{bucket}/{model}/"


def cache_read_policy(bucket_arn: str, kms_key_arn: str) -> dict[str, Any]:
    """A session on the model's own directory bucket, and the model key only for that bucket's
    objects. Directory buckets authorize per bucket through CreateSession. The session mode is not
    restricted to ReadOnly: botocore's S3 Express identity resolver calls create_session(Bucket=...)
    only, i.e. the API's default ReadWrite (S3 API Reference, CreateSession), with no way to ask for
    another, so a ReadOnly condition would deny the entrypoint's weight check (and the streamer's
    CRT client is not known to ask for ReadOnly either). With SSE-KMS the bucket's ARN is the encryption
    context of every object (S3 Bucket Keys are always on), and the S3 User Guide asks for
    GenerateDataKey and Decrypt on directory buckets with SSE-KMS. What a pod can reach is still
    one bucket: its own model's copy, rebuilt by `aws s3 sync` (docs/coldstart.md)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "CacheSession",
                "Effect": "Allow",
                "Action": ["s3express:CreateSession"],
                "Resource": [bucket_arn],
            },
            {
                "Sid": "CachedWeightsKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [kms_key_arn],
                "Condition": {"StringEquals": {"kms:EncryptionContext:aws:s3:arn": bucket_arn}},
            },
        ],
    }
