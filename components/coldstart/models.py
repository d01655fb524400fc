"""The model facts a cold start depends on: checkpoint size (from the shared catalog,
components/catalog/models.py: one source per fact), layer count and largest tensor (here).

Layers are `num_hidden_layers` of each Hugging Face repository's config.json; the largest tensor is
the embedding (vocab x hidden x bytes per parameter), the streamer buffer's floor.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.catalog.models import model_facts as catalog_facts


@dataclass(frozen=True)
class ModelFacts:
    weights_gb: float  # GB (1e9 bytes) of safetensors
    layers: int
    largest_tensor_gb: float  # the embedding (vocab x hidden x 2 bytes): the streamer buffer's floor


# model -> (layers, largest tensor GB)
SHAPES: dict[str, tuple[int, float]] = {
    "Qwen/Qwen2.5-7B-Instruct": (28, 1.09),
    "meta-llama/Llama-3.1-8B-Instruct": (32, 1.05),
    "Qwen/Qwen2.5-Coder-14B-Instruct": (48, 1.56),
    "Qwen/Qwen2.5-Coder-32B-Instruct-AWQ": (64, 1.56),
    "meta-llama/Llama-3.1-70B-Instruct": (80, 2.10),
    "BAAI/bge-m3": (24, 0.51),
}


def model_facts(model: str) -> ModelFacts | None:
    shape, catalog = SHAPES.get(model), catalog_facts(model)
    if shape is None or catalog is None:
        return None
    return ModelFacts(catalog.weights_gb, *shape)
