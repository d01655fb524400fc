"""Golden YAML: each stack's EC2NodeClasses and NodePools, committed for review in diffs.

tests/golden/<stack>/gpu-pools.yaml is what the stack applies. After an intended change,
regenerate with `UPDATE_GOLDEN=1 .venv/bin/pytest tests/gpu/test_golden.py` and review the diff.
"""

from __future__ import annotations

import os

import pytest
import yaml

from components.catalog import availability_zones
from components.coldstart import imagecache
from components.gpu_pools.manifests import dump, pool_manifests
from components.karpenter.iam import node_role_name
from infra.config import load_stack
from infra.providers import cluster_name
from tests.conftest import synthesized
from tests.support.paths import REPO_ROOT, STACKS

GOLDEN = REPO_ROOT / "tests" / "golden"
KINDS = ("EC2NodeClass", "NodePool")


def rendered(stack: str) -> list[dict]:
    cfg = load_stack(stack, REPO_ROOT)
    name = cluster_name(cfg)
    zones = availability_zones(cfg.region, cfg.network.az_count)
    sources = imagecache.image_sources(list(cfg.gpu.pools), imagecache.load_record(stack), cfg.region, imagecache.serving_key(cfg.registry))
    return pool_manifests(list(cfg.gpu.pools), name, node_role_name(name), zones, dict(cfg.tags), sources)


@pytest.mark.parametrize("stack", STACKS)
def test_golden_file_is_current(stack):
    path = GOLDEN / stack / "gpu-pools.yaml"
    text = dump(rendered(stack))
    if os.environ.get("UPDATE_GOLDEN"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    assert path.is_file(), f"missing {path}; run UPDATE_GOLDEN=1 .venv/bin/pytest tests/gpu/test_golden.py"
    assert path.read_text() == text, f"{path} is stale; run UPDATE_GOLDEN=1 .venv/bin/pytest tests/gpu/test_golden.py and review the diff"


@pytest.mark.parametrize("stack", STACKS)
def test_synthesized_stack_applies_exactly_the_golden_documents(stack):
    applied = [obj for _, obj in synthesized(stack).kubernetes_objects() if obj["kind"] in KINDS]
    golden = list(yaml.safe_load_all((GOLDEN / stack / "gpu-pools.yaml").read_text()))
    key = lambda d: (d["metadata"]["name"], d["kind"])  # noqa: E731
    assert sorted(applied, key=key) == sorted(golden, key=key)
