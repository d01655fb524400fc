#!/usr/bin/env python3
"""Container entrypoint: map the pod's environment to `vllm serve` flags, check the weights
exist (fail fast with one clear line instead of a 20-minute crash loop), then exec vLLM so it is
PID 1 and receives SIGTERM directly (graceful drain within --shutdown-timeout).

Environment (set by components/serving/vllm.py:serving_env):
  MODEL_ID                 model id, also the default served name         (required)
  MODEL_SOURCE             s3 | hub                                        (default s3)
  MODEL_S3_URI             s3://bucket/<model id>/ when MODEL_SOURCE=s3
  MODEL_S3_FALLBACK_URI    the model bucket's URI when MODEL_S3_URI is the shared weight cache:
                           used (with a warning) when the cache holds no complete copy (optional)
  SERVED_MODEL_NAME        space-separated names clients send in "model"   (default MODEL_ID)
  TENSOR_PARALLEL_SIZE     GPUs per replica                                (default 1)
  MAX_MODEL_LEN            context length cap                              (optional)
  GPU_MEMORY_UTILIZATION   fraction of GPU memory vLLM may use             (default 0.9)
  PORT                     HTTP port                                       (default 8000)
  SHUTDOWN_TIMEOUT         seconds in-flight requests get after SIGTERM   (default 120)
  MODEL_CACHE_DIR          hub downloads go under <dir>/hub                (default /models-cache)
  EXTRA_ARGS               extra flags as one shell-quoted string          (optional)
  STREAMER_CONFIG          runai_streamer settings as JSON (concurrency, memory_limit), with s3
  COMPILE_CACHE_S3_URI     s3://bucket/compile-cache/<model>/: vLLM's torch.compile cache is
                           restored from <uri>vllm-<version>/<gpu>/ before start and, when there
                           was none, uploaded there once /health answers    (optional)
  VLLM_CACHE_ROOT          where vLLM keeps that cache                      (with the above)
Arguments given to the container are appended as extra flags too.

`entrypoint.py --dry-run` prints the command instead of running it (tests use this).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path


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
        if env.get("STREAMER_CONFIG"):
            argv += ["--model-loader-extra-config", env["STREAMER_CONFIG"]]
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


def choose_weights(env: Mapping[str, str], check=None) -> str:
    """MODEL_S3_URI if it holds the model; else, with a fallback set (the shared weight cache not
    populated yet), the model bucket, which must hold it. Raises EntrypointError otherwise."""
    check = check or check_s3_weights
    uri, fallback = env.get("MODEL_S3_URI", ""), env.get("MODEL_S3_FALLBACK_URI", "")
    if not fallback:
        check(uri)
        return uri
    try:
        check(uri)
        return uri
    except EntrypointError as exc:
        print(f"entrypoint: shared weight cache not used ({exc}); streaming from {fallback}", file=sys.stderr)
    check(fallback)
    return fallback


def _split(uri: str) -> tuple[str, str]:
    bucket, _, prefix = uri.removeprefix("s3://").partition("/")
    return bucket, prefix.rstrip("/") + "/"


def compile_cache_prefix(uri: str, vllm_version: str, gpu: str) -> str:
    """The cache is only valid for one vLLM release and one GPU model (vLLM hashes its config and
    the torch version into the directory names too, so a stale entry is ignored, not misused)."""
    slug = re.sub(r"[^a-z0-9]+", "-", gpu.lower()).strip("-") or "unknown-gpu"
    return f"{uri.rstrip('/')}/vllm-{vllm_version}/{slug}/"


def gpu_name() -> str:
    try:
        out = subprocess.run(["nvidia-smi", "--query-gpu=name", "--format=csv,noheader"], capture_output=True, text=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return "unknown-gpu"
    return out.stdout.strip().splitlines()[0] if out.stdout.strip() else "unknown-gpu"


def restore_compile_cache(prefix_uri: str, root: Path, client=None) -> int:
    """Download every object under the prefix into root; returns how many (0 = a cold cache)."""
    import boto3

    s3 = client or boto3.client("s3")
    bucket, prefix = _split(prefix_uri)
    count = 0
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            target = root / obj["Key"][len(prefix):]
            if root.resolve() not in target.resolve().parents:
                continue  # a key with ../ never escapes the cache root
            target.parent.mkdir(parents=True, exist_ok=True)
            s3.download_file(bucket, obj["Key"], str(target))
            count += 1
    return count


def upload_compile_cache(root: Path, prefix_uri: str, client=None) -> int:
    import boto3

    s3 = client or boto3.client("s3")
    bucket, prefix = _split(prefix_uri)
    files = sorted(p for p in root.rglob("*") if p.is_file())
    for path in files:
        s3.upload_file(str(path), bucket, prefix + path.relative_to(root).as_posix())
    return len(files)


def wait_healthy(url: str, deadline_seconds: float, interval: float = 5.0) -> bool:
    end = time.monotonic() + deadline_seconds
    while time.monotonic() < end:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (http://127.0.0.1 only)
                if response.status == 200:
                    return True
        except OSError:
            pass
        time.sleep(interval)
    return False


def warm_compile_cache(env: Mapping[str, str]) -> None:
    """Restore the compile cache; when it was cold, fork a child that uploads what vLLM compiled
    once the server is healthy (vLLM writes the cache during startup). The child is reaped by
    nobody after it exits (vLLM is PID 1 after exec): one zombie entry, no resources."""
    uri, root = env.get("COMPILE_CACHE_S3_URI", ""), Path(env.get("VLLM_CACHE_ROOT", ""))
    if not uri.startswith("s3://") or not str(root):
        return
    from importlib.metadata import version

    prefix = compile_cache_prefix(uri, version("vllm"), gpu_name())
    try:
        restored = restore_compile_cache(prefix, root)
    except Exception as exc:  # noqa: BLE001 (a cache must never stop the server starting)
        print(f"entrypoint: compile cache not restored from {prefix}: {exc}", file=sys.stderr)
        return
    print(f"entrypoint: compile cache {prefix}: {restored} file(s) restored", file=sys.stderr)
    if restored or os.fork() != 0:
        return
    try:
        if wait_healthy(f"http://127.0.0.1:{env.get('PORT', '8000')}/health", float(env.get("COMPILE_CACHE_WAIT", "3600"))):
            print(f"entrypoint: compile cache {prefix}: {upload_compile_cache(root, prefix)} file(s) uploaded", file=sys.stderr)
    except Exception as exc:  # noqa: BLE001
        print(f"entrypoint: compile cache not uploaded to {prefix}: {exc}", file=sys.stderr)
    os._exit(0)


def main(args: Sequence[str]) -> int:
    dry_run = "--dry-run" in args
    extra = [a for a in args if a != "--dry-run"]
    try:
        env = dict(os.environ)
        argv = build_argv(env, extra)  # validates the environment before any S3 call
        if not dry_run and env.get("MODEL_SOURCE", "s3") == "s3":
            env["MODEL_S3_URI"] = choose_weights(env)
            argv = build_argv(env, extra)
    except EntrypointError as exc:
        print(f"entrypoint: {exc}", file=sys.stderr)
        return 2
    command = ["vllm", "serve", *argv]
    if dry_run:
        print(shlex.join(command))
        return 0
    warm_compile_cache(os.environ)
    sys.stdout.flush()
    os.execvp(command[0], command)
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
