"""What a slot's container runs: the environment the image's entrypoint maps to `vllm serve`
flags, and the extra flags from slot.vllmArgs (pure functions; serving-image/entrypoint.py is the
other half and tests/serving checks the two agree)."""

from __future__ import annotations

import json
from typing import Any

from components.serving.models import SlotConfig

PORT = 8000
MODEL_CACHE_PATH = "/models-cache"
# vLLM keeps torch.compile artifacts under $VLLM_CACHE_ROOT/torch_compile_cache (docs.vllm.ai
# design/torch_compile); on the model-cache volume, not the read-only image.
VLLM_CACHE_ROOT = f"{MODEL_CACHE_PATH}/vllm"
COMPILE_CACHE_PREFIX = "compile-cache"


def model_s3_uri(bucket: str, model: str) -> str:
    """Weights live under s3://<bucket>/<model id>/ (e.g. s3://b/meta-llama/Llama-3.1-8B-Instruct/)."""
    return f"s3://{bucket}/{model}/"


def extra_flags(vllm_args: dict[str, Any]) -> list[str]:
    """slot.vllmArgs as argv: `true` -> `--flag`, `false` -> omitted, others -> `--flag value`.
    Sorted, so the same config always renders the same pod spec (no spurious rollouts)."""
    argv: list[str] = []
    for flag in sorted(vllm_args):
        value = vllm_args[flag]
        if value is True:
            argv.append(f"--{flag}")
        elif value is False:
            continue
        else:
            argv += [f"--{flag}", _text(value)]
    return argv


def model_flags(config: SlotConfig) -> list[str]:
    """The slot's pinned model commit and its remote-code opt-in (validated together in SlotConfig)."""
    argv = ["--revision", config.revision] if config.revision else []
    return argv + (["--trust-remote-code"] if config.trust_remote_code else [])


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def served_names(config: SlotConfig, aliases: tuple[str, ...] = ()) -> list[str]:
    """The model id, then stable aliases (the endpoint's name): clients that name the endpoint keep
    working while blue and green serve different models during a canary."""
    assert config.model, "an empty slot runs no container"
    return [config.model, *(a for a in aliases if a != config.model)]


def serving_env(config: SlotConfig, s3_uri: Any, region: str, aliases: tuple[str, ...] = (),
                streamer: dict[str, int] | None = None, compile_cache_uri: Any = None, fallback_uri: Any = None) -> dict[str, Any]:
    """Environment for serving-image/entrypoint.py. `s3_uri` and `compile_cache_uri` may be Pulumi
    Outputs (only placed, never parsed). Values are strings, as Kubernetes wants them."""
    assert config.model, "an empty slot runs no container"
    env: dict[str, Any] = {
        "MODEL_ID": config.model,
        "MODEL_SOURCE": config.weights,
        # Space-separated: vLLM's --served-model-name takes several names.
        "SERVED_MODEL_NAME": " ".join(served_names(config, aliases)),
        "TENSOR_PARALLEL_SIZE": str(config.tensor_parallel_size),
        "GPU_MEMORY_UTILIZATION": _text(config.gpu_memory_utilization),
        "PORT": str(PORT),
        "SHUTDOWN_TIMEOUT": str(config.shutdown_timeout_seconds),
        "MODEL_CACHE_DIR": MODEL_CACHE_PATH,
        # Hugging Face libraries cache under HOME by default; keep them on the cache volume.
        "HF_HOME": f"{MODEL_CACHE_PATH}/hf",
        # The regional S3 endpoint is what the VPC's S3 gateway endpoint routes privately; without
        # a region some SDKs (the streamer's C++ client) fall back to us-east-1 and the NAT path.
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }
    if config.max_model_len is not None:
        env["MAX_MODEL_LEN"] = str(config.max_model_len)
    if config.weights == "s3":
        env["MODEL_S3_URI"] = s3_uri
        if fallback_uri is not None:  # s3_uri is the shared weight cache; the model bucket backs it
            env["MODEL_S3_FALLBACK_URI"] = fallback_uri
        if streamer:
            env["STREAMER_CONFIG"] = streamer_json(streamer)
    if compile_cache_uri is not None:
        env["COMPILE_CACHE_S3_URI"] = compile_cache_uri
        env["VLLM_CACHE_ROOT"] = VLLM_CACHE_ROOT
    return env


def streamer_json(streamer: dict[str, int]) -> str:
    """--model-loader-extra-config for runai_streamer: concurrency (S3 connections per rank) and
    memory_limit (bytes of CPU buffer per rank), docs.vllm.ai models/extensions/runai_model_streamer."""
    return json.dumps(streamer, sort_keys=True, separators=(",", ":"))


def compile_cache_uri(bucket: str, model: str) -> str:
    """The slot's compile cache prefix; the entrypoint adds vllm-<version>/<gpu>/ at run time (the
    GPU is only known on the node) and the slot's role may write only under it."""
    return f"s3://{bucket}/{COMPILE_CACHE_PREFIX}/{model}/"


def serve_flags(config: SlotConfig, s3_uri: str, aliases: tuple[str, ...] = (), streamer: dict[str, int] | None = None) -> list[str]:
    """The full `vllm serve` argv the pod ends up running (what the entrypoint builds from
    serving_env + extra_flags). Used by tests and reviewers; the pod passes env + extra flags."""
    assert config.model, "an empty slot runs no container"
    source = s3_uri if config.weights == "s3" else config.model
    argv = [
        "--model", source,
        "--served-model-name", *served_names(config, aliases),
        "--tensor-parallel-size", str(config.tensor_parallel_size),
        "--gpu-memory-utilization", _text(config.gpu_memory_utilization),
        "--host", "0.0.0.0",
        "--port", str(PORT),
        "--shutdown-timeout", str(config.shutdown_timeout_seconds),
    ]
    if config.max_model_len is not None:
        argv += ["--max-model-len", str(config.max_model_len)]
    if config.weights == "s3":
        argv += ["--load-format", "runai_streamer"]
        if streamer:
            argv += ["--model-loader-extra-config", streamer_json(streamer)]
    else:
        argv += ["--download-dir", f"{MODEL_CACHE_PATH}/hub"]
    return argv + model_flags(config) + extra_flags(config.vllm_args)
