"""EBS CSI volumes: the stack's tags from the add-on, the claim's team from the StorageClass."""

from __future__ import annotations

import json
import re

from components.cluster.render import addon_configuration
from components.cost.volumes import extra_volume_tags, storage_class, volume_tag_parameters
from tests.support.manifests import validation_errors

TAGS = {"project": "llm-platform", "environment": "prod", "team": "ml-platform", "cost-center": "4410", "owner": "ml@example.com"}


def _evaluate(spec: str, namespace: str) -> tuple[str, str]:
    """What the driver's text/template yields for this if/else-if chain (the subset we render)."""
    key, _, template = spec.partition("=")
    for ns, value in re.findall(r'eq \.PVCNamespace "([^"]+)" }}([^{]*)', template):
        if ns == namespace:
            return key, value
    return key, re.search(r"{{ else }}([^{]*){{ end }}", template).group(1) if "{{" in template else template


def test_extra_volume_tags_leave_team_and_owner_to_the_claim():
    assert extra_volume_tags(TAGS) == {"cost-center": "4410", "environment": "prod", "project": "llm-platform"}
    config = addon_configuration("aws-ebs-csi-driver", extra_volume_tags(TAGS))
    assert config["controller"]["extraVolumeTags"] == extra_volume_tags(TAGS)
    assert "extraVolumeTags" not in addon_configuration("aws-ebs-csi-driver")["controller"]


def test_storage_class_tags_each_claim_with_its_namespaces_team():
    params = volume_tag_parameters({"llm-chat": "applied-ai", "llm-embed": "search"}, {"llm-chat": "ai@example.com"}, TAGS)
    assert params["tagSpecification_1"] == (
        'team={{ if eq .PVCNamespace "llm-chat" }}applied-ai{{ else if eq .PVCNamespace "llm-embed" }}search{{ else }}ml-platform{{ end }}'
    )
    assert _evaluate(params["tagSpecification_1"], "llm-embed") == ("team", "search")
    assert _evaluate(params["tagSpecification_1"], "llm-chat") == ("team", "applied-ai")
    assert _evaluate(params["tagSpecification_1"], "monitoring") == ("team", "ml-platform")
    assert _evaluate(params["tagSpecification_2"], "llm-embed") == ("owner", "ml@example.com")
    assert volume_tag_parameters({}, {}, TAGS)["tagSpecification_1"] == "team=ml-platform"


def test_storage_class_is_valid_encrypted_and_the_default():
    doc = storage_class(volume_tag_parameters({"llm-chat": "applied-ai"}, {}, TAGS))
    assert validation_errors(doc, "1.34") == []
    assert doc["parameters"]["encrypted"] == "true" and doc["volumeBindingMode"] == "WaitForFirstConsumer"


def test_every_stack_tags_volumes_with_stack_tags_and_claim_teams(inventories, configs):
    for stack, inv in inventories.items():
        cfg = configs[stack]
        (addon,) = [a for a in inv.of_type("aws:eks/addon:Addon") if a.inputs["addonName"] == "aws-ebs-csi-driver"]
        assert json.loads(addon.inputs["configurationValues"])["controller"]["extraVolumeTags"] == extra_volume_tags(cfg.tags)
        classes = [obj for _, obj in inv.kubernetes_objects() if obj["kind"] == "StorageClass"]
        defaults = [c for c in classes if c["metadata"].get("annotations", {}).get("storageclass.kubernetes.io/is-default-class") == "true"]
        assert len(defaults) == 1, stack
        team_tag = defaults[0]["parameters"]["tagSpecification_1"]
        assert cfg.endpoints and all(_evaluate(team_tag, f"llm-{e}") == ("team", ep.team) for e, ep in cfg.endpoints.items())
