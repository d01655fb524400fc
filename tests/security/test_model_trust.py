"""Models you can trust: remote code only with an explicit opt-in at a pinned 40-hex commit
(a config error otherwise, exit 2 from llmctl), the two flags reachable only through those slot
settings, and the pinned commit rendered into the pod's vLLM arguments."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import pytest
import yaml

from components.serving.models import SlotConfig
from components.serving.vllm import model_flags, serve_flags
from tests.conftest import synthesized
from tests.support.paths import REPO_ROOT
from tests.support.stack_config import SOURCE, config_error, stack_raw

COMMIT = "0123456789abcdef0123456789abcdef01234567"
KEY = "llm-platform:endpoints.chat.slots.blue"


def dev_with(**slot: object) -> dict:
    config = stack_raw("dev")
    config["llm-platform:endpoints"]["chat"]["slots"]["blue"].update(slot)
    return config


def error(config: dict) -> str:
    return config_error(config)


def test_trust_remote_code_without_a_pinned_revision_is_a_config_error():
    message = error(dev_with(trustRemoteCode=True))
    assert "\n" not in message and message.startswith(f"{SOURCE}: {KEY}")
    assert "trustRemoteCode runs the model repository's Python in the serving pod: pin revision to a full 40-hex commit" in message


@pytest.mark.parametrize("revision", ["main", "v1.0", COMMIT[:12], COMMIT.upper()])
def test_revision_must_be_a_full_commit(revision):
    message = error(dev_with(revision=revision, trustRemoteCode=True))
    assert message.startswith(f"{SOURCE}: {KEY}.revision: '{revision}'"), message


@pytest.mark.parametrize("flag", ["trust-remote-code", "revision"])
def test_the_flags_are_not_reachable_through_vllm_args(flag):
    message = error(dev_with(vllmArgs={flag: True}))
    assert f"--{flag} is set by the platform from slot." in message


def test_pinned_remote_code_renders_both_flags():
    slot = SlotConfig(model="org/m", weights="hub", revision=COMMIT, trustRemoteCode=True)
    assert model_flags(slot) == ["--revision", COMMIT, "--trust-remote-code"]
    assert serve_flags(slot, "")[-3:] == ["--revision", COMMIT, "--trust-remote-code"]
    assert model_flags(SlotConfig(model="org/m")) == []


def test_llmctl_exits_2_with_one_line(tmp_path):
    (tmp_path / "stacks").mkdir()
    config = dev_with(trustRemoteCode=True)
    (tmp_path / "stacks" / "Pulumi.t.yaml").write_text(yaml.safe_dump({"config": config}))
    (tmp_path / "Pulumi.yaml").write_text((REPO_ROOT / "Pulumi.yaml").read_text())
    result = subprocess.run([sys.executable, "-m", "llmctl.cli", "check", "t"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {SOURCE}: {KEY}") and "pin revision to a full 40-hex commit" in line


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_promote_by_digest_and_scan_with_inspector(stack, inventories):
    inventory = inventories[stack]
    [scanning] = inventory.of_type("aws:ecr/registryScanningConfiguration:RegistryScanningConfiguration")
    assert scanning.inputs["scanType"] == "ENHANCED"
    assert scanning.inputs["rules"] == [{"scanFrequency": "CONTINUOUS_SCAN", "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}]}]
    deployments = [o for _, o in inventory.kubernetes_objects() if o["kind"] == "Deployment" and o["metadata"]["name"].endswith(("-blue", "-green"))]
    assert deployments
    for deployment in deployments:
        [container] = [c for c in deployment["spec"]["template"]["spec"]["containers"] if c["name"] == "vllm"]
        assert container["image"] == inventory.outputs["servingImage"]


def test_dev_builds_once_with_the_base_digest_argument_when_set():
    from components.registry.models import RegistryConfig

    with pytest.raises(ValueError, match="set either promoteFrom"):
        RegistryConfig(promoteFrom="organization/llm-platform/dev", image="r/x@sha256:" + "a" * 64)
    assert not RegistryConfig(promoteFrom="organization/llm-platform/dev").builds
    assert RegistryConfig().builds


def test_a_build_without_the_base_digest_is_reported():
    from policies.llm_policies.engine import views_from_inventory
    from policies.llm_policies.rules.storage import image_base_digest

    [build] = [v for v in views_from_inventory(synthesized("dev")) if v.type == "docker-build:index:Image"]
    assert [m.split(": ", 1)[1] for m in image_base_digest(build, None)] == [
        "no base image digest; set registry.baseImageDigest to the sha256 of vllm/vllm-openai:v<vllmVersion> (docker buildx imagetools inspect)"]
    # A copy: the views share their props with the session's synthesized inventory.
    pinned = dataclasses.replace(build, props={**build.props, "buildArgs": {**build.props["buildArgs"], "VLLM_BASE_DIGEST": "a" * 64}})
    assert list(image_base_digest(pinned, None)) == []
