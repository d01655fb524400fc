"""Every derived artifact is current: one test per file, naming it and the command that fixes it."""

from __future__ import annotations

import pytest

from scripts.generate import ARTIFACTS, COMMAND
from tests.support.paths import REPO_ROOT


def test_every_kind_of_artifact_is_listed():
    paths = {a.path for a in ARTIFACTS}
    assert len(paths) == len(ARTIFACTS) == 10
    assert {"stacks/stack.schema.json", "docs/config-reference.md", "README.md", "policies/llm_policies/platform_facts.json"} <= paths
    assert {p for p in paths if p.startswith("policies/config/")} == {f"policies/config/{e}.json" for e in ("dev", "staging", "prod")}
    assert {p for p in paths if p.startswith("tests/golden/")} == {f"tests/golden/{s}/gpu-pools.yaml" for s in ("dev", "staging", "prod")}


@pytest.mark.parametrize("artifact", ARTIFACTS, ids=lambda a: a.path)
def test_artifact_is_current(artifact):
    path = REPO_ROOT / artifact.path
    assert path.is_file(), f"{artifact.path} is missing: run `{COMMAND}`"
    assert path.read_text() == artifact.render(), f"{artifact.path} is stale (derived from {artifact.source}): run `{COMMAND}` and review the diff"
