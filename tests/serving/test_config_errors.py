"""Bad slot, registry and serving settings become one clear config error line."""

from __future__ import annotations

import copy

import pytest

from infra.config import load_config, read_stack_file
from tests.support.paths import REPO_ROOT
from tests.support.stack_config import SOURCE, config_error

DEV = read_stack_file(REPO_ROOT / "stacks" / "Pulumi.dev.yaml")


def _raw(**slot_overrides):
    raw = copy.deepcopy(DEV)
    raw["llm-platform:endpoints"]["chat"]["slots"]["blue"].update(slot_overrides)
    return raw


def _error(raw) -> str:
    message = config_error(raw)
    assert "Traceback" not in message
    return message


def test_gpu_count_the_pool_cannot_provide():
    message = _error(_raw(gpus=8))
    assert message.startswith(f"{SOURCE}: llm-platform:endpoints.chat.slots.blue.gpus: 8: pool gpu-spot offers at most 4 GPU(s) per node")


def test_memory_limit_below_request():
    message = _error(_raw(memoryGib=64, memoryLimitGib=32))
    assert message == f"{SOURCE}: llm-platform:endpoints.chat.slots.blue.memoryLimitGib: 32: memoryLimitGib (32) is below memoryGib (64)"


def test_shm_must_fit_in_memory():
    assert _error(_raw(memoryGib=16, shmGib=16)) == (
        f"{SOURCE}: llm-platform:endpoints.chat.slots.blue.shmGib: 16: shmGib (16) must be below the memory limit (16 GiB): /dev/shm is memory"
    )


def test_unknown_vllm_flag():
    message = _error(_raw(vllmArgs={"enable-prefix-cachng": True}))
    assert message.startswith(f'{SOURCE}: llm-platform:endpoints.chat.slots.blue.vllmArgs: {{"enable-prefix-cachng": true}}: ')
    assert "--enable-prefix-cachng is not a vLLM 0.33.0 serve flag" in message and "did you mean enable-prefix-caching" in message


def test_managed_vllm_flag():
    message = _error(_raw(vllmArgs={"tensor-parallel-size": 2}))
    assert "--tensor-parallel-size is set by the platform from slot.gpus; set that instead" in message


def test_min_replicas_above_max():
    message = _error(_raw(replicas={"min": 3, "max": 2}))
    assert message == f'{SOURCE}: llm-platform:endpoints.chat.slots.blue.replicas: {{"max": 2, "min": 3}}: min (3) must not exceed max (2)'


def test_slot_image_must_be_pinned():
    message = _error(_raw(image="vllm/vllm-openai:latest"))
    assert message == f"{SOURCE}: llm-platform:endpoints.chat.slots.blue.image: 'vllm/vllm-openai:latest': tag 'latest' moves; pin a digest (@sha256:...) or a release tag such as v0.33.0"


def test_registry_image_must_be_pinned():
    raw = copy.deepcopy(DEV)
    raw["llm-platform:registry"] = {"image": "vllm/vllm-openai"}
    assert _error(raw).startswith(f"{SOURCE}: llm-platform:registry.image: 'vllm/vllm-openai': expected ")


def test_no_build_and_no_image():
    raw = copy.deepcopy(DEV)
    raw["llm-platform:registry"] = {"buildImage": False}
    assert _error(raw) == (
        f"{SOURCE}: llm-platform:registry.buildImage: False: endpoints.chat.slots.blue serves Qwen/Qwen2.5-7B-Instruct but no image "
        "is built or given; set buildImage: true, registry.image, registry.promoteFrom or the slot's image"
    )


def test_no_build_is_fine_with_pinned_images():
    raw = copy.deepcopy(DEV)
    raw["llm-platform:registry"] = {"buildImage": False, "image": "vllm/vllm-openai:v0.33.0"}
    assert load_config(raw, SOURCE).registry.image == "vllm/vllm-openai:v0.33.0"


@pytest.mark.parametrize(("section", "value", "fragment"), [
    ("llm-platform:observability", {"retentionDays": 0}, "llm-platform:observability.retentionDays: 0: Input should be greater than or equal to 1"),
    ("llm-platform:modelStore", {"forceDestroy": "maybe"}, "llm-platform:modelStore.forceDestroy: 'maybe'"),
])
def test_new_sections_validate(section, value, fragment):
    raw = copy.deepcopy(DEV)
    raw[section] = value
    assert fragment in _error(raw)


def test_min_gpu_memory_no_pool_type_can_meet():
    message = _error(_raw(gpus=1, minGpuMemoryGib=80))
    assert message.startswith(f"{SOURCE}: llm-platform:endpoints.chat.slots.blue.minGpuMemoryGib: 80: no instance type of pool gpu-spot has 1 GPU(s)")
