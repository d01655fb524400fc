"""Models the stacks and docs serve, with the facts config validation checks them against.

vLLM refuses to start when the tensor parallel size does not divide a model's attention heads
(vllm/config/model.py verify_with_parallel_config: "Total number of attention heads (..) must be
divisible by tensor parallel size (..)"), so a slot's tp is checked here, before any GPU launches.
Head counts are each model's config.json on the Hugging Face Hub (num_attention_heads,
num_key_value_heads); weight sizes are the Hub's safetensors totals; licences are the model cards'.
A model missing here is allowed with a warning: the catalog informs, it does not gate.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelFacts:
    attention_heads: int
    kv_heads: int
    params_billion: float
    weights_gb: float  # on-disk safetensors size, the GPU memory the weights alone take
    licence: str
    source: str

    def tp_problem(self, tp: int) -> str | None:
        """Why vLLM would refuse this tensor parallel size, or None."""
        if self.attention_heads % tp:
            return f"does not divide the model's {self.attention_heads} attention heads"
        return None

    def valid_tp(self, limit: int = 8) -> list[int]:
        return [tp for tp in range(1, limit + 1) if not self.tp_problem(tp)]


_HF = "https://huggingface.co/{}/blob/main/config.json"

MODELS: dict[str, ModelFacts] = {
    "Qwen/Qwen2.5-7B-Instruct": ModelFacts(28, 4, 7.62, 15.2, "Apache-2.0", _HF.format("Qwen/Qwen2.5-7B-Instruct")),
    "Qwen/Qwen2.5-14B-Instruct": ModelFacts(40, 8, 14.8, 29.5, "Apache-2.0", _HF.format("Qwen/Qwen2.5-14B-Instruct")),
    "Qwen/Qwen2.5-Coder-14B-Instruct": ModelFacts(40, 8, 14.8, 29.5, "Apache-2.0", _HF.format("Qwen/Qwen2.5-Coder-14B-Instruct")),
    # AWQ 4-bit: ~19 GB of weights for 32.8 B parameters.
    "Qwen/Qwen2.5-Coder-32B-Instruct-AWQ": ModelFacts(40, 8, 32.8, 19.3, "Apache-2.0", _HF.format("Qwen/Qwen2.5-Coder-32B-Instruct-AWQ")),
    "meta-llama/Llama-3.1-8B-Instruct": ModelFacts(32, 8, 8.03, 16.1, "Llama 3.1 Community License", _HF.format("meta-llama/Llama-3.1-8B-Instruct")),
    "meta-llama/Llama-3.1-70B-Instruct": ModelFacts(64, 8, 70.6, 141.1, "Llama 3.1 Community License", _HF.format("meta-llama/Llama-3.1-70B-Instruct")),
    "meta-llama/Llama-3.3-70B-Instruct": ModelFacts(64, 8, 70.6, 141.1, "Llama 3.3 Community License", _HF.format("meta-llama/Llama-3.3-70B-Instruct")),
    # XLM-RoBERTa large encoder (embeddings); fp32 safetensors.
    "BAAI/bge-m3": ModelFacts(16, 16, 0.568, 2.27, "MIT", _HF.format("BAAI/bge-m3")),
}


def model_facts(model: str) -> ModelFacts | None:
    return MODELS.get(model)
