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


def test_make_generate_and_the_contributing_guide_are_where_the_readme_says():
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "\ngenerate: $(STAMP)\n\t$(BIN)/python scripts/generate.py\n" in makefile
    assert "[CONTRIBUTING.md](CONTRIBUTING.md)" in (REPO_ROOT / "README.md").read_text()
    guide = (REPO_ROOT / "CONTRIBUTING.md").read_text()
    assert [line for line in guide.splitlines() if line.startswith("## Adding")] == [
        "## Adding a GPU family", "## Adding a policy rule", "## Adding an endpoint option",
    ]


def test_make_installs_only_hashed_locked_packages():
    makefile = (REPO_ROOT / "Makefile").read_text()
    assert "--require-hashes -r locks/dev.txt" in makefile and "--no-deps -e ." in makefile
    assert "--require-hashes -r locks/scan.txt" in makefile
    installs = [line for line in makefile.splitlines() if "pip install" in line]
    assert len(installs) == 3 and all("--require-hashes" in line or "--no-deps" in line for line in installs), installs
