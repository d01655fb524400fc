"""Golden YAML: each stack's EC2NodeClasses and NodePools, committed for review in diffs.

tests/golden/<stack>/gpu-pools.yaml is what the stack applies. After an intended change run
`make generate` (tests/test_generated.py names a stale file) and review the diff.
"""

from __future__ import annotations

import pytest
import yaml

from tests.conftest import synthesized
from tests.support.paths import REPO_ROOT, STACKS

GOLDEN = REPO_ROOT / "tests" / "golden"
KINDS = ("EC2NodeClass", "NodePool")


@pytest.mark.parametrize("stack", STACKS)
def test_synthesized_stack_applies_exactly_the_golden_documents(stack):
    applied = [obj for _, obj in synthesized(stack).kubernetes_objects() if obj["kind"] in KINDS]
    assert applied
    golden = list(yaml.safe_load_all((GOLDEN / stack / "gpu-pools.yaml").read_text()))
    key = lambda d: (d["metadata"]["name"], d["kind"])  # noqa: E731
    assert sorted(applied, key=key) == sorted(golden, key=key)
