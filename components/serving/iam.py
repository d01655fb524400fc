"""Pure IAM documents for a slot's Pod Identity role: read its own model's weights, nothing else."""

from __future__ import annotations

from typing import Any


def model_read_policy(bucket_arn: str, kms_key_arn: str, model: str, region: str) -> dict[str, Any]:
    """s3:GetObject on <bucket>/<model>/*, ListBucket limited to that prefix, and KMS decrypt
    only through S3 in this region (the bucket's SSE-KMS key)."""
    prefix = f"{model}/"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "ReadModelWeights", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": [f"{bucket_arn}/{prefix}*"]},
            {
                "Sid": "ListModelPrefix",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [bucket_arn],
                "Condition": {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}},
            },
            {
                "Sid": "DecryptWeights",
                "Effect": "Allow",
                "Action": ["kms:Decrypt"],
                "Resource": [kms_key_arn],
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
        ],
    }
