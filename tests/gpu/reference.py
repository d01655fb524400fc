"""Karpenter's upstream v1.14 CloudFormation resources (derived into schemas/reference), resolved for one cluster."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from tests.support.paths import REFERENCE

CFN = REFERENCE / "karpenter-v1.14-cloudformation.json"


@cache
def template() -> dict[str, Any]:
    """{"Resources": {logical id: {"Type", "Properties"}}}; short-form tags kept as {"!Sub": text}."""
    return json.loads(CFN.read_text())


def resolve(text: str, values: dict[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise KeyError(f"no value for ${{{key}}} in the reference template")
        return values[key]

    return re.sub(r"\$\{([^}]+)\}", sub, text)


def policy_documents(values: dict[str, str]) -> dict[str, dict[str, Any]]:
    """ManagedPolicy logical id -> resolved policy document."""
    docs = {}
    for logical, res in template()["Resources"].items():
        if res["Type"] == "AWS::IAM::ManagedPolicy":
            docs[logical] = json.loads(resolve(res["Properties"]["PolicyDocument"]["!Sub"], values))
    return docs


def resources_of(kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template()["Resources"].items() if v["Type"] == kind}
