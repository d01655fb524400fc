"""The model facts a cold start depends on: checkpoint size and layer count.

One small table until the shared model catalog (components/catalog/models.py) lands; then this
module reads from it. Sizes are the safetensors totals of each Hugging Face repository's main
revision (the "Files and versions" tab), layers are `num_hidden_layers` of its config.json.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ModelFacts:
    weights_gb: float  # GB (1e9 bytes) of safetensors
    layers: int
    largest_tensor_gb: float  # the embedding (vocab x hidden x 2 bytes): the streamer buffer's floor


MODELS: dict[str, ModelFacts] = {
    "Qwen/Qwen2.5-7B-Instruct": ModelFacts(15.2, 28, 1.09),
    "meta-llama/Llama-3.1-8B-Instruct": ModelFacts(16.1, 32, 1.05),
    "Qwen/Qwen2.5-Coder-14B-Instruct": ModelFacts(29.5, 48, 1.56),
    "Qwen/Qwen2.5-Coder-32B-Instruct-AWQ": ModelFacts(19.3, 64, 1.56),
    "meta-llama/Llama-3.1-70B-Instruct": ModelFacts(141.1, 80, 2.10),
    "BAAI/bge-m3": ModelFacts(2.3, 24, 0.51),
}


def model_facts(model: str) -> ModelFacts | None:
    return MODELS.get(model)
