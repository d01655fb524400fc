"""Validate rendered Kubernetes objects: core kinds with kubernetes-validate (strict, at the
cluster's minor), custom resources with jsonschema against the upstream CRDs' schemas (derived into
schemas/crds by scripts/derive_reference.py)."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

import jsonschema

from tests.support.paths import CRDS


@cache
def crd_schemas() -> dict[tuple[str, str], dict[str, Any]]:
    """(apiVersion, kind) -> closed openAPIV3Schema for every CRD version in schemas/crds."""
    schemas = {}
    paths = sorted(CRDS.glob("*.json"))
    assert paths, f"no derived CRD schemas in {CRDS}: run `make generate`"
    for path in paths:
        crd = json.loads(path.read_text())
        for version, served in crd["versions"].items():
            schemas[(f"{crd['group']}/{version}", crd["kind"])] = close_schema(served["openAPIV3Schema"])
    return schemas


def close_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """Reject unknown fields (as the API server's structural pruning would drop them) except
    where the CRD preserves unknown fields. metadata is left open (ObjectMeta is not inlined)."""
    schema = copy.deepcopy(schema)

    def walk(node: dict[str, Any], top: bool) -> None:
        if not isinstance(node, dict):
            return
        if node.get("x-kubernetes-preserve-unknown-fields"):
            return
        props = node.get("properties")
        if isinstance(props, dict):
            if "additionalProperties" not in node:
                node["additionalProperties"] = False
            for key, child in props.items():
                if top and key == "metadata":
                    continue
                walk(child, False)
        if isinstance(node.get("items"), dict):
            walk(node["items"], False)
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], False)

    walk(schema, True)
    return schema


def crd_errors(obj: dict[str, Any]) -> list[str]:
    schema = crd_schemas().get((obj["apiVersion"], obj["kind"]))
    if schema is None:
        return [f"no CRD schema for {obj['apiVersion']} {obj['kind']} in {CRDS}"]
    validator = jsonschema.Draft7Validator(schema)
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(obj)]


def core_errors(obj: dict[str, Any], kubernetes_version: str) -> list[str]:
    import kubernetes_validate
    from kubernetes_validate.utils import ValidationError as KVError

    try:
        kubernetes_validate.validate(obj, kubernetes_version, strict=True)
    except KVError as exc:
        return [str(exc)]
    return []


def is_custom(obj: dict[str, Any]) -> bool:
    # Some CRD groups end in k8s.io too (gateway.networking.k8s.io, inference.networking.k8s.io).
    if (obj["apiVersion"], obj["kind"]) in crd_schemas():
        return True
    group = obj["apiVersion"].split("/")[0] if "/" in obj["apiVersion"] else ""
    return "." in group and not group.endswith("k8s.io")


def validation_errors(obj: dict[str, Any], kubernetes_version: str) -> list[str]:
    return crd_errors(obj) if is_custom(obj) else core_errors(obj, kubernetes_version)
