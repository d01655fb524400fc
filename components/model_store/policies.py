"""Pure renderers for the model bucket's documents (bucket policy, lifecycle rules)."""

from __future__ import annotations

from typing import Any


def bucket_policy(bucket_arn: str) -> dict[str, Any]:
    """Deny every request that is not over TLS (weights are licensed artefacts; no plaintext reads)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [bucket_arn, f"{bucket_arn}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def lifecycle_rules(noncurrent_version_days: int) -> list[dict[str, Any]]:
    """(Pulumi input shape) Expire old versions of overwritten weights and abandoned multipart uploads (70B checkpoints
    are uploaded in parts; a failed upload would otherwise be billed forever)."""
    return [
        {
            "id": "expire-noncurrent-weights",
            "status": "Enabled",
            "filter": {},
            "noncurrent_version_expiration": {"noncurrent_days": noncurrent_version_days},
            "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
        }
    ]
