"""Karpenter's upstream v1.14 CloudFormation (../shared/reference), resolved for one cluster."""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import yaml

from tests.support.paths import REFERENCE

CFN = REFERENCE / "karpenter-v1.14-cloudformation.yaml"


class _Loader(yaml.SafeLoader):
    pass


for _tag in ("!Sub", "!Ref", "!GetAtt"):
    _Loader.add_constructor(_tag, lambda loader, node, tag=_tag: {tag: loader.construct_scalar(node)})


@cache
def template() -> dict[str, Any]:
    return yaml.load(CFN.read_text(), Loader=_Loader)


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
