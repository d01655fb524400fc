"""llmctl synth: the real program under mocks, deterministic output, one-line config errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from llmctl.synth.runner import synth_to, write
from tests.conftest import synthesized
from tests.support.paths import REPO_ROOT, STACKS


@pytest.mark.parametrize("stack", STACKS)
def test_every_stack_synthesizes_with_its_provider_default_tags(stack):
    inventory = synthesized(stack)
    providers = inventory.of_type("pulumi:providers:aws")
    assert len(providers) == 1
    tags = json.loads(providers[0].inputs["defaultTags"])["tags"]
    assert tags["environment"] == stack
    assert inventory.outputs["clusterName"] == f"llm-platform-{stack}"


def test_synth_is_byte_identical_across_runs(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    synth_to("prod", first, REPO_ROOT)
    synth_to("prod", second, REPO_ROOT)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for rel in files:
        assert (first / rel).read_bytes() == (second / rel).read_bytes(), rel


def test_inventory_has_no_float_integers_or_secret_values(inventories):
    def walk(value, path):
        if isinstance(value, float):
            assert not value.is_integer(), f"{path}: integral float {value}"
        elif isinstance(value, dict):
            assert "4dabf18193072939515e22adb298388d" not in value, f"{path}: unredacted secret"
            for k, v in value.items():
                walk(v, f"{path}.{k}")
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, f"{path}[{i}]")

    for stack, inventory in inventories.items():
        walk(inventory.to_json(), stack)


def test_write_replaces_stale_manifests(tmp_path):
    stale = tmp_path / "manifests" / "stale.yaml"
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    write(synthesized("dev"), tmp_path)
    assert not stale.exists()
    assert json.loads((tmp_path / "inventory.json").read_text())["stack"] == "dev"


def test_cli_synth_prints_summary(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "llmctl.cli", "synth", "dev", "--out", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("synth dev: ")
    assert (tmp_path / "inventory.json").is_file()


def test_manifests_lead_with_api_version_kind_metadata_and_sort_the_rest(tmp_path):
    import yaml

    write(synthesized("prod"), tmp_path)
    for path in sorted((tmp_path / "manifests").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        assert list(doc)[:3] == ["apiVersion", "kind", "metadata"], path.name
        assert list(doc["metadata"]) == sorted(doc["metadata"]), path.name


def test_program_runs_in_infra_like_pulumi_up_so_the_image_context_resolves():
    # `main: infra/` makes Pulumi run the program with infra/ as its working directory.
    [image] = [r for r in synthesized("dev").resources if r.type.startswith("docker-build:") and "context" in r.inputs]
    context = (REPO_ROOT / "infra" / image.inputs["context"]["location"]).resolve()
    assert context == (REPO_ROOT / "serving-image").resolve()
    assert (context / "Dockerfile").is_file()
