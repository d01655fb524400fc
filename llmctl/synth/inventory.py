"""The inventory: every resource of a synthesized stack, as the engine would receive it.

Normalised for review and for the policy pack: integral floats become ints (the mocks hand
numbers over as floats), secrets are redacted, and each taggable AWS resource carries its
effective tags (the provider's default_tags merged with its own, as the AWS provider does).
"""

from __future__ import annotations

import importlib
import inspect
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from infra import pulumi_internals as sdk

REDACTED = "[secret]"
UNKNOWN = "[unknown]"
_SECRET_SIG = sdk.SECRET_SIG
_SIG = sdk.SIG_KEY
_UNKNOWN_SENTINEL = sdk.UNKNOWN


@dataclass
class Resource:
    urn: str
    type: str
    name: str
    parent: str
    inputs: dict[str, Any]
    provider: str = ""
    tags: dict[str, str] | None = None
    # protect / retainOnDelete / aliases as registered (only those set)
    options: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"urn": self.urn, "type": self.type, "name": self.name, "parent": self.parent}
        if self.provider:
            doc["provider"] = self.provider
        if self.options:
            doc["options"] = self.options
        doc["inputs"] = self.inputs
        if self.tags is not None:
            doc["tags"] = self.tags
        return doc

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Resource:
        return cls(doc["urn"], doc["type"], doc["name"], doc.get("parent", ""), doc.get("inputs", {}), doc.get("provider", ""),
                   doc.get("tags"), doc.get("options", {}))


@dataclass
class Inventory:
    stack: str
    project: str
    resources: list[Resource]
    outputs: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "project": self.project, "resources": [r.to_json() for r in self.resources], "outputs": self.outputs}

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Inventory:
        return cls(doc["stack"], doc["project"], [Resource.from_json(r) for r in doc["resources"]], doc.get("outputs", {}))

    @classmethod
    def load(cls, path: Path) -> Inventory:
        return cls.from_json(json.loads(Path(path).read_text()))

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def by_urn(self, urn: str) -> Resource | None:
        return next((r for r in self.resources if r.urn == urn), None)

    def kubernetes_objects(self) -> Iterator[tuple[Resource, dict[str, Any]]]:
        for resource in self.resources:
            obj = kubernetes_object(resource)
            if obj is not None:
                yield resource, obj

    def children_of(self, urn: str) -> list[Resource]:
        return [r for r in self.resources if r.parent == urn]


def normalise(value: Any) -> Any:
    """Engine inputs as reviewers and policies want them: ints, no secrets, no sentinels."""
    if isinstance(value, dict):
        if value.get(_SIG) == _SECRET_SIG:
            return REDACTED
        return {k: normalise(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [normalise(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is _UNKNOWN_SENTINEL or value == _UNKNOWN_SENTINEL:
        return UNKNOWN
    return value


@cache
def is_taggable(type_token: str) -> bool:
    """True when the AWS resource type accepts `tags` (so default_tags apply to it)."""
    package, _, rest = type_token.partition(":")
    if package != "aws" or "/" not in rest:
        return False
    module, _, kind = rest.partition("/")
    class_name = kind.split(":")[-1]
    module_path = "pulumi_aws" if module == "index" else f"pulumi_aws.{module.replace('/', '.')}"
    try:
        cls = getattr(importlib.import_module(module_path), class_name)
    except (ImportError, AttributeError):
        return False
    init = getattr(cls, "_internal_init", cls.__init__)
    return "tags" in inspect.signature(init).parameters


def provider_default_tags(provider_inputs: dict[str, Any]) -> dict[str, str]:
    """The AWS provider's defaultTags.tags, whether recorded as a JSON string or a dict."""
    default_tags = provider_inputs.get("defaultTags")
    if isinstance(default_tags, str):
        try:
            default_tags = json.loads(default_tags)
        except ValueError:
            return {}
    if isinstance(default_tags, list):  # some provider versions send a one-element list
        default_tags = default_tags[0] if default_tags else {}
    return dict((default_tags or {}).get("tags") or {})


def effective_tags(resource_tags: Any, default_tags: dict[str, str]) -> dict[str, str]:
    own = resource_tags if isinstance(resource_tags, dict) else {}
    return dict(sorted({**default_tags, **own}.items()))


# Helm releases and remote YAML files (yaml/v2 ConfigFile) install objects the provider expands; they are no single manifest.
_K8S_SKIP = ("kubernetes:helm.sh/", "kubernetes:yaml/", "pulumi:providers:")


def kubernetes_object(resource: Resource) -> dict[str, Any] | None:
    """The manifest a Kubernetes resource applies, or None for anything else."""
    if not resource.type.startswith("kubernetes:") or resource.type.startswith(_K8S_SKIP):
        return None
    inputs = dict(resource.inputs)
    api_version, kind = inputs.pop("apiVersion", None), inputs.pop("kind", None)
    if not api_version or not kind:
        _, group_version, kind = resource.type.split(":")
        api_version = group_version.removeprefix("core/")
    return {"apiVersion": api_version, "kind": kind, **inputs}


# (folder, file prefix) per input that holds a policy document. iam/ holds identity policies and trust
# documents; policies/ holds resource policies that are not IAM (bucket, queue, key, ECR repository, and
# the ECR lifecycle policy, which is no access policy at all). The prefix names the resource type so
# two documents of the same resource name never share a file.
POLICY_FIELDS: dict[str, dict[str, tuple[str, str]]] = {
    "aws:iam/policy:Policy": {"policy": ("iam", "policy")},
    "aws:iam/role:Role": {"assumeRolePolicy": ("iam", "role-trust")},
    "aws:iam/rolePolicy:RolePolicy": {"policy": ("iam", "role-policy")},
    "aws:s3/bucketPolicy:BucketPolicy": {"policy": ("policies", "s3-bucket-policy")},
    "aws:sqs/queuePolicy:QueuePolicy": {"policy": ("policies", "sqs-queue-policy")},
    "aws:kms/key:Key": {"policy": ("policies", "kms-key-policy")},
    "aws:ecr/repositoryPolicy:RepositoryPolicy": {"policy": ("policies", "ecr-repository-policy")},
    "aws:ecr/lifecyclePolicy:LifecyclePolicy": {"policy": ("policies", "ecr-lifecycle-policy")},
}


def policy_documents(resource: Resource) -> list[tuple[str, str, dict[str, Any]]]:
    """(folder, file prefix, document) for every policy document a resource carries."""
    docs = []
    for key, (folder, prefix) in POLICY_FIELDS.get(resource.type, {}).items():
        value = resource.inputs.get(key)
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                continue
        if isinstance(value, dict):
            docs.append((folder, prefix, value))
    return docs
