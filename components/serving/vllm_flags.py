"""The `vllm serve` flags this platform knows, pinned to the vLLM release the image is built from.

Curated, not copied from vLLM: MANAGED flags are set by the platform from slot settings and may not
be overridden through `vllmArgs`; ALLOWED flags are the tuning knobs a stack may pass. Anything
else (a typo, a flag removed upstream, or one that would break the platform's contract such as
`--disable-log-stats`, which hides the metrics KEDA scales on, or `--api-key`, a secret in a pod
spec) is rejected at config validation. tests/serving checks both sets against the flags vLLM 0.33
really has.
"""

from __future__ import annotations

import difflib

VLLM_VERSION = "0.33.0"

# Set by the platform (components/serving/vllm.py + serving-image/entrypoint.py).
MANAGED: dict[str, str] = {
    "model": "slot.model",
    "served-model-name": "slot.model",
    "tensor-parallel-size": "slot.gpus",
    "max-model-len": "slot.maxModelLen",
    "gpu-memory-utilization": "slot.gpuMemoryUtilization",
    "port": "the platform (8000)",
    "host": "the platform",
    "shutdown-timeout": "slot.shutdownTimeoutSeconds",
    "load-format": "slot.weights",
    "download-dir": "the platform (model cache volume)",
    # Remote code runs only at a pinned commit: both come from the slot, where the rule is checked.
    "revision": "slot.revision",
    "trust-remote-code": "slot.trustRemoteCode (with slot.revision)",
}

ALLOWED: frozenset[str] = frozenset({
    # batching and memory
    "enable-prefix-caching", "enable-chunked-prefill", "max-num-seqs", "max-num-batched-tokens",
    "long-prefill-token-threshold", "kv-cache-dtype", "kv-cache-memory-bytes", "block-size",
    "cpu-offload-gb", "async-scheduling", "scheduling-policy", "max-num-queued-reqs",
    "disable-sliding-window", "enforce-eager", "compilation-config", "attention-backend",
    "disable-custom-all-reduce", "pipeline-parallel-size", "enable-expert-parallel",
    # model and tokenizer
    "dtype", "quantization", "tokenizer", "tokenizer-mode", "tokenizer-revision", "hf-overrides", "generation-config", "override-generation-config",
    "runner", "convert", "pooler-config", "seed", "max-logprobs", "limit-mm-per-prompt",
    "mm-processor-cache-gb", "safetensors-load-strategy", "model-loader-extra-config",
    "ignore-patterns", "max-parallel-loading-workers", "speculative-config",
    # OpenAI API surface
    "chat-template", "chat-template-content-format", "response-role", "enable-auto-tool-choice",
    "tool-call-parser", "reasoning-parser", "structured-outputs-config", "enable-force-include-usage",
    "enable-prompt-tokens-details", "return-tokens-as-token-ids", "enable-server-load-tracking",
    # LoRA
    "enable-lora", "max-loras", "max-lora-rank", "lora-modules", "max-cpu-loras",
    # logging
    "enable-log-requests", "max-log-len", "disable-uvicorn-access-log", "uvicorn-log-level",
})


def check_extra_flag(flag: str) -> str | None:
    """None when `flag` (without dashes) may be passed through vllmArgs, else why not."""
    if flag.startswith("-"):
        return f"write {flag.lstrip('-')!r} without the leading dashes"
    if flag in MANAGED:
        return f"--{flag} is set by the platform from {MANAGED[flag]}; set that instead"
    if flag not in ALLOWED:
        close = difflib.get_close_matches(flag, sorted(ALLOWED | set(MANAGED)), n=3)
        hint = f"did you mean {', '.join(close)}? " if close else ""
        return f"--{flag} is not a vLLM {VLLM_VERSION} serve flag this platform allows; {hint}the list is ALLOWED in components/serving/vllm_flags.py"
    return None
