"""Pure IAM documents for a slot's Pod Identity role: read its own model's weights, nothing else."""

from __future__ import annotations

from typing import Any

from components.serving.vllm import COMPILE_CACHE_PREFIX


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


def compile_cache_policy(bucket_arn: str, kms_key_arn: str, model: str, region: str) -> dict[str, Any]:
    """Read and write vLLM's compile cache under compile-cache/<model>/ only. The artifacts are
    code vLLM loads, so only pods serving this same model (this role) may write them."""
    prefix = f"{COMPILE_CACHE_PREFIX}/{model}/"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "CompileCacheObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"], "Resource": [f"{bucket_arn}/{prefix}*"]},
            {
                "Sid": "ListCompileCache",
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [bucket_arn],
                "Condition": {"StringLike": {"s3:prefix": [prefix, f"{prefix}*"]}},
            },
            {
                "Sid": "EncryptCompileCache",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [kms_key_arn],
                "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}},
            },
        ],
    }
