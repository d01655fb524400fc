"""Stateful resources keep their URNs: a renamed logical name (or a new parent) makes the engine
replace the resource, destroying the cluster, a key, the model bucket, the registry or logs. Their
URNs are pinned in tests/stateful-urns.json; a rename passes only with an `aliases` entry pointing
at the old URN. In prod they are protected (components/protection.py)."""

from __future__ import annotations

import copy
import json

import pytest

from components.protection import STATEFUL_TYPES
from llmctl.synth.inventory import Inventory
from tests.conftest import synthesized
from tests.support.paths import REPO_ROOT, STACKS

ELASTICACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
PINNED_FILE = REPO_ROOT / "tests" / "stateful-urns.json"
PINNED: dict[str, list[str]] = json.loads(PINNED_FILE.read_text())


def stateful(inventory: Inventory):
    return [r for r in inventory.resources if r.type in STATEFUL_TYPES]


def pin_errors(inventory: Inventory, pinned: list[str]) -> list[str]:
    current = {r.urn: r for r in stateful(inventory)}
    aliased = {alias: r.urn for r in current.values() for alias in r.options.get("aliases", [])}
    errors = []
    for urn in sorted(set(pinned) - set(current) - set(aliased)):
        name = urn.rsplit("::", 1)[1]
        errors.append(
            f"stateful resource {name!r} ({urn}) is gone from stack {inventory.stack}: a rename or new parent replaces it; "
            f"give the new resource opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name={name!r})]) (or the old parent), "
            f"then update {PINNED_FILE.name}"
        )
    for urn in sorted(set(current) - set(pinned) - set(aliased.values())):
        errors.append(f"new stateful resource {urn} in stack {inventory.stack}: add its URN to tests/{PINNED_FILE.name}")
    return errors


def test_every_stack_is_pinned():
    assert sorted(PINNED) == sorted(STACKS)
    for stack in STACKS:
        assert len(PINNED[stack]) == len(set(PINNED[stack])) >= 8, stack


@pytest.mark.parametrize("stack", STACKS)
def test_stateful_urns_are_the_pinned_ones(stack, configs):
    inventory = synthesized(stack)
    # A dev stack keeps its quota counters in-cluster (components/ratelimit): no ElastiCache group.
    in_cluster = configs[stack].gateway.rate_limit_store.kind == "in-cluster"
    assert {r.type for r in stateful(inventory)} == set(STATEFUL_TYPES) - ({ELASTICACHE} if in_cluster else set())
    assert pin_errors(inventory, PINNED[stack]) == []


def test_a_renamed_bucket_fails_naming_it_until_it_has_an_alias():
    inventory = copy.deepcopy(synthesized("prod"))
    (bucket,) = inventory.of_type("aws:s3/bucket:Bucket")
    old_urn, old_name = bucket.urn, bucket.name
    bucket.urn = old_urn.replace(f"::{old_name}", "::llm-platform-prod-weights")
    assert pin_errors(inventory, PINNED["prod"]) == [
        f"stateful resource {old_name!r} ({old_urn}) is gone from stack prod: a rename or new parent replaces it; "
        f"give the new resource opts=pulumi.ResourceOptions(aliases=[pulumi.Alias(name={old_name!r})]) (or the old parent), "
        "then update stateful-urns.json",
        f"new stateful resource {bucket.urn} in stack prod: add its URN to tests/stateful-urns.json",
    ]
    bucket.options = {**bucket.options, "aliases": [old_urn]}
    assert pin_errors(inventory, PINNED["prod"]) == []


@pytest.mark.parametrize("stack", STACKS)
def test_prod_protects_stateful_resources_and_other_stacks_stay_disposable(stack):
    resources = stateful(synthesized(stack))
    assert resources
    for resource in resources:
        expected = {}
        if stack == "prod":
            expected = {"protect": True, **({"retainOnDelete": True} if STATEFUL_TYPES[resource.type].retain_on_delete else {})}
        assert {k: v for k, v in resource.options.items() if k != "aliases"} == expected, resource.urn


def test_protection_reaches_the_inventory_file(tmp_path):
    (cluster,) = synthesized("prod").of_type("aws:eks/cluster:Cluster")
    assert cluster.to_json()["options"] == {"protect": True}
    assert type(cluster).from_json(cluster.to_json()).options == {"protect": True}
