"""Registry: immutable, scanned, KMS-encrypted ECR with a lifecycle policy; the serving image
built from serving-image/ (or a pinned one) and referenced by digest."""

from __future__ import annotations

import json
import re

import pulumi
import pytest

from components.registry.component import Registry, RegistryArgs, resolve_image
from components.registry.images import check_image_ref, context_hash, image_tag
from components.registry.models import RegistryConfig
from components.registry.policies import lifecycle_policy
from components.serving.models import SlotConfig
from llmctl.synth.runner import record

PINNED = "123456789012.dkr.ecr.us-west-2.amazonaws.com/team/vllm@sha256:" + "b" * 64


def _record(config: RegistryConfig):
    holder = {}

    def body():
        holder["registry"] = Registry("reg", RegistryArgs(config=config, repository_name="llm-platform-t/vllm-serving"))
        if holder["registry"].image_ref is not None:
            pulumi.export("image", holder["registry"].image_ref)

    return record(body, stack="t", config={"aws:region": "us-west-2"}), holder


def test_repository_is_immutable_scanned_kms_and_kept():
    inventory, _ = _record(RegistryConfig())
    (repo,) = inventory.of_type("aws:ecr/repository:Repository")
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["forceDelete"] is False
    (enc,) = repo.inputs["encryptionConfigurations"]
    (key,) = inventory.of_type("aws:kms/key:Key")
    assert enc["encryptionType"] == "KMS" and enc["kmsKey"].startswith("arn:aws:kms:") and key.inputs["enableKeyRotation"] is True
    (lifecycle,) = inventory.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")
    assert json.loads(lifecycle.inputs["policy"]) == lifecycle_policy(30, 7)


def test_lifecycle_policy_keeps_releases_and_expires_untagged():
    rules = lifecycle_policy(keep_release_images=12, untagged_expiry_days=3)["rules"]
    assert [r["rulePriority"] for r in rules] == list(range(1, len(rules) + 1))
    untagged = rules[0]["selection"]
    assert untagged == {"tagStatus": "untagged", "countType": "sinceImagePushed", "countUnit": "days", "countNumber": 3}
    kept = {r["selection"]["tagPatternList"][0]: r["selection"]["countNumber"] for r in rules[1:]}
    assert kept["v*"] == kept["release-*"] == 12
    assert all(r["action"] == {"type": "expire"} for r in rules)


def test_image_is_built_for_amd64_pushed_and_referenced_by_digest():
    inventory, holder = _record(RegistryConfig())
    (image,) = inventory.of_type("docker-build:index:Image")
    inputs = image.inputs
    assert inputs["platforms"] == ["linux/amd64"] and inputs["push"] is True
    assert inputs["buildArgs"] == {"VLLM_VERSION": "0.33.0"}
    assert inputs["context"] == {"location": "serving-image"}  # relative to the working directory (the repo root here)
    (tag,) = inputs["tags"]
    assert tag.endswith(":" + image_tag("0.33.0", context_hash())) and re.search(r":v0\.33\.0-[0-9a-f]{12}$", tag)
    assert inputs["registries"] == "[secret]", "the ECR token must stay a secret"
    assert inputs["cacheFrom"][0]["registry"]["ref"] == inputs["cacheTo"][0]["registry"]["ref"]
    repo_url = tag.rsplit(":", 1)[0]
    assert re.fullmatch(re.escape(repo_url) + r"@sha256:[0-9a-f]{64}", inventory.outputs["image"])


def test_pinned_image_skips_the_build():
    inventory, holder = _record(RegistryConfig(image=PINNED))
    assert inventory.of_type("docker-build:index:Image") == []
    assert inventory.outputs["image"] == PINNED
    assert len(inventory.of_type("aws:ecr/repository:Repository")) == 1


def test_no_build_and_no_image_means_no_image_ref():
    inventory, holder = _record(RegistryConfig(build_image=False))
    assert inventory.of_type("docker-build:index:Image") == []
    assert holder["registry"].image_ref is None
    with pytest.raises(ValueError, match="no serving image"):
        resolve_image(SlotConfig(model="org/m").image, holder["registry"])


def test_a_slot_image_wins():
    _, holder = _record(RegistryConfig(build_image=False))
    assert resolve_image(SlotConfig(model="org/m", image=PINNED).image, holder["registry"]) == PINNED


@pytest.mark.parametrize(("ref", "ok"), [
    (PINNED, True),
    ("vllm/vllm-openai:v0.33.0", True),
    ("registry.example.com:5000/ml/vllm:release-2026.11", True),
    ("vllm/vllm-openai:latest", False),
    ("vllm/vllm-openai", False),
    ("vllm/vllm-openai@sha256:short", False),
    ("vllm/vllm-openai:nightly", False),
])
def test_pinned_image_refs(ref, ok):
    assert (check_image_ref(ref) is None) is ok


def test_context_hash_is_stable_and_content_sensitive(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM x\n")
    first = context_hash(tmp_path)
    assert context_hash(tmp_path) == first
    (tmp_path / "entrypoint.py").write_text("print()\n")
    assert context_hash(tmp_path) != first
