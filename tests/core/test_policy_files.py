"""Synth's iam/ and policies/: one file per policy document of the inventory, named by resource type
and name so none overwrites another; iam/ holds only IAM documents, policies/ the resource policies."""

from __future__ import annotations

import json

import pytest

from llmctl.synth.runner import write

POLICY_KEYS = ("policy", "assumeRolePolicy")


def _policy_inputs(inventory) -> int:
    """Every input of the inventory that holds a JSON policy document, whatever the resource type."""
    count = 0
    for r in inventory.resources:
        for key in POLICY_KEYS:
            value = r.inputs.get(key)
            if isinstance(value, str) and value.lstrip().startswith("{"):
                count += isinstance(json.loads(value), dict)
            elif isinstance(value, dict):
                count += 1
    return count


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_policy_document_is_written_once_and_iam_holds_only_iam(inventories, tmp_path, stack):
    inv = inventories[stack]
    written = write(inv, tmp_path)
    files = sorted(tmp_path.glob("iam/*.json")) + sorted(tmp_path.glob("policies/*.json"))
    assert _policy_inputs(inv) == len(files) == written["iam"] + written["policies"] > 0
    for path in tmp_path.glob("iam/*.json"):
        doc = json.loads(path.read_text())
        assert path.name.startswith(("policy-", "role-trust-", "role-policy-")) and "Statement" in doc, path.name
    lifecycle = [p.name for p in tmp_path.glob("policies/ecr-lifecycle-policy-*.json")]
    assert lifecycle and all("rules" in json.loads((tmp_path / "policies" / n).read_text()) for n in lifecycle)


def test_same_named_documents_of_different_types_both_survive(inventories, tmp_path):
    write(inventories["prod"], tmp_path)
    # The Karpenter interruption queue policy and the controller's interruption IAM policy share a name,
    # as do the flow-log KMS key policy and the flow-log role policy.
    for folder, name in [("policies", "sqs-queue-policy-llm-platform-prod-karpenter-interruption"),
                         ("iam", "policy-llm-platform-prod-karpenter-interruption"),
                         ("policies", "kms-key-policy-llm-platform-prod-flow-logs"),
                         ("iam", "role-policy-llm-platform-prod-flow-logs"),
                         ("iam", "role-trust-llm-platform-prod-flow-logs")]:
        assert (tmp_path / folder / f"{name}.json").is_file(), name
