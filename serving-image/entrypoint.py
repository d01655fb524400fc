#!/usr/bin/env python3
"""Container entrypoint: map the pod's environment to `vllm serve` flags, check the weights
exist (fail fast with one clear line instead of a 20-minute crash loop), then exec vLLM so it is
PID 1 and receives SIGTERM directly (graceful drain within --shutdown-timeout).

Environment (set by components/serving/vllm.py:serving_env):
  MODEL_ID                 model id, also the default served name         (required)
  MODEL_SOURCE             s3 | hub                                        (default s3)
  MODEL_S3_URI             s3://bucket/<model id>/ when MODEL_SOURCE=s3
  SERVED_MODEL_NAME        space-separated names clients send in "model"   (default MODEL_ID)
  TENSOR_PARALLEL_SIZE     GPUs per replica                                (default 1)
  MAX_MODEL_LEN            context length cap                              (optional)
  GPU_MEMORY_UTILIZATION   fraction of GPU memory vLLM may use             (default 0.9)
  PORT                     HTTP port                                       (default 8000)
  SHUTDOWN_TIMEOUT         seconds in-flight requests get after SIGTERM   (default 120)
  MODEL_CACHE_DIR          hub downloads go under <dir>/hub                (default /models-cache)
  EXTRA_ARGS               extra flags as one shell-quoted string          (optional)
Arguments given to the container are appended as extra flags too.

`entrypoint.py --dry-run` prints the command instead of running it (tests use this).
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence


class EntrypointError(Exception):
    pass


def build_argv(env: Mapping[str, str], extra: Sequence[str] = ()) -> list[str]:
    """The `vllm serve` flags for this environment (no I/O)."""
    model = env.get("MODEL_ID", "").strip()
    if not model:
        raise EntrypointError("MODEL_ID is not set; the slot has no model")
    source = env.get("MODEL_SOURCE", "s3")
    if source not in ("s3", "hub"):
        raise EntrypointError(f"MODEL_SOURCE={source!r}: expected s3 or hub")
    if source == "s3":
        uri = env.get("MODEL_S3_URI", "")
        if not uri.startswith("s3://") or len(uri.rstrip("/")) <= len("s3://"):
            raise EntrypointError(f"MODEL_S3_URI={uri!r}: expected s3://<bucket>/<model id>/ with MODEL_SOURCE=s3")
        model_arg = uri
    else:
        model_arg = model
    argv = [
        "--model", model_arg,
        "--served-model-name", *(env.get("SERVED_MODEL_NAME", "").split() or [model]),
        "--tensor-parallel-size", env.get("TENSOR_PARALLEL_SIZE", "1"),
        "--gpu-memory-utilization", env.get("GPU_MEMORY_UTILIZATION", "0.9"),
        "--host", "0.0.0.0",
        "--port", env.get("PORT", "8000"),
        "--shutdown-timeout", env.get("SHUTDOWN_TIMEOUT", "120"),
    ]
    if env.get("MAX_MODEL_LEN"):
        argv += ["--max-model-len", env["MAX_MODEL_LEN"]]
    if source == "s3":
        # Stream safetensors from S3 straight into GPU memory (concurrent ranged GETs over the
        # S3 gateway endpoint); nothing is staged on local disk.
        argv += ["--load-format", "runai_streamer"]
    else:
        argv += ["--download-dir", f"{env.get('MODEL_CACHE_DIR', '/models-cache')}/hub"]
    argv += shlex.split(env.get("EXTRA_ARGS", ""))
    argv += list(extra)
    return argv


def check_s3_weights(uri: str) -> None:
    """Fail unless the prefix holds a config.json and at least one .safetensors file."""
    import boto3  # in the image; imported late so build_argv stays dependency-free
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    prefix = prefix.rstrip("/") + "/"
    names: list[str] = []
    try:
        pages = boto3.client("s3").get_paginator("list_objects_v2").paginate(
            Bucket=bucket, Prefix=prefix, PaginationConfig={"MaxItems": 5000}
        )
        for page in pages:
            names += [obj["Key"][len(prefix):] for obj in page.get("Contents", [])]
    except (BotoCoreError, ClientError) as exc:
        raise EntrypointError(f"cannot list {uri}: {exc} (check the slot's Pod Identity role and the bucket's KMS key)") from None
    if not names:
        raise EntrypointError(f"no model weights at {uri}: the prefix is empty; upload them first (aws s3 sync ./model {uri})")
    if "config.json" not in names:
        raise EntrypointError(f"{uri} has no config.json; upload the full Hugging Face snapshot, not only the weights")
    if not any(n.endswith(".safetensors") for n in names):
        raise EntrypointError(f"{uri} has no .safetensors files; runai_streamer loads safetensors only")


def main(args: Sequence[str]) -> int:
    dry_run = "--dry-run" in args
    extra = [a for a in args if a != "--dry-run"]
    try:
        argv = build_argv(os.environ, extra)
        if not dry_run and os.environ.get("MODEL_SOURCE", "s3") == "s3":
            check_s3_weights(os.environ["MODEL_S3_URI"])
    except EntrypointError as exc:
        print(f"entrypoint: {exc}", file=sys.stderr)
        return 2
    command = ["vllm", "serve", *argv]
    if dry_run:
        print(shlex.join(command))
        return 0
    sys.stdout.flush()
    os.execvp(command[0], command)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
