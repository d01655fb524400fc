"""The synth benchmark's generated stacks stay valid as the config rules grow (make bench)."""

from __future__ import annotations

import pytest

from benchmarks.synth_bench import stack_with_slots
from infra.config import load_config


@pytest.mark.parametrize("slots", [1, 10, 50])
def test_the_benchmark_stacks_are_valid_configs(slots):
    cfg = load_config(stack_with_slots(slots), "bench")
    assert len(cfg.endpoints) == slots
