"""The neutral view every rule reads: one resource (type, name, URN, props, effective tags), the
stack context (environment, account, settings) and what a rule reports.

The same view is built from an llmctl inventory and from the policy engine's arguments, so one
rule runs unchanged offline and in `pulumi preview --policy-pack`. Props may be the engine's
unknown-checking proxies: rules read them through Mapping/Sequence, never dict/list.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

REQUIRED_TAG_KEYS: tuple[str, ...] = ("project", "environment", "team", "cost-center", "owner")
ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")
MANDATORY, ADVISORY, DISABLED = "mandatory", "advisory", "disabled"
LEVELS: tuple[str, ...] = (MANDATORY, ADVISORY, DISABLED)


def is_map(value: Any) -> bool:
    return isinstance(value, Mapping)


def is_list(value: Any) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def get(value: Any, *path: str | int, default: Any = None) -> Any:
    """value[path[0]][path[1]]..., or `default` when any step is missing."""
    for key in path:
        if isinstance(key, int):
            if not is_list(value) or not -len(value) <= key < len(value):
                return default
            value = value[key]
        else:
            if not is_map(value) or key not in value:
                return default
            value = value[key]
    return default if value is None else value


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if is_list(value) else [value]


def document(value: Any) -> Mapping[str, Any] | None:
    """A JSON policy document given as a string (Output.json_dumps) or already parsed."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if is_map(value) else None


def statements(value: Any) -> list[Mapping[str, Any]]:
    doc = document(value)
    return [s for s in as_list(get(doc, "Statement")) if is_map(s)] if doc else []


def number(value: Any) -> float | None:
    """Integers arrive as floats from the engine and as strings from some providers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def truthy(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


_ACCOUNT_IN_ARN = re.compile(r"^arn:aws[a-z-]*:[a-z0-9-]*:[a-z0-9-]*:(\d{12}):")


def account_of(arn: Any) -> str | None:
    match = _ACCOUNT_IN_ARN.match(arn) if isinstance(arn, str) else None
    return match.group(1) if match else None


@dataclass(frozen=True)
class ResourceView:
    """One resource as a rule sees it. `tags` are the effective tags (provider default_tags merged
    with the resource's own) of a taggable AWS resource, None for anything else."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    tags: Mapping[str, str] | None = None
    parent: str = ""

    @property
    def kind(self) -> str:
        return self.type.rsplit(":", 1)[-1]

    @property
    def is_kubernetes(self) -> bool:
        return self.type.startswith("kubernetes:")

    @property
    def namespace(self) -> str:
        return str(get(self.props, "metadata", "namespace", default=""))

    @property
    def k8s_name(self) -> str:
        return str(get(self.props, "metadata", "name", default=self.name))

    @property
    def display(self) -> str:
        """How messages name the resource: `Kind namespace/name` for Kubernetes objects,
        `Kind logical-name` for the rest."""
        if self.is_kubernetes:
            kind = get(self.props, "kind", default=self.kind)
            return f"{kind} {self.namespace + '/' if self.namespace else ''}{self.k8s_name}"
        return f"{self.kind} {self.name}"

    @property
    def component_types(self) -> list[str]:
        """Type tokens of the components this resource sits under (outermost first), from its URN."""
        parts = self.urn.split("::")
        if len(parts) < 4:
            return []
        return parts[2].split("$")[:-1]

    def under(self, type_prefix: str) -> bool:
        return any(t.startswith(type_prefix) for t in self.component_types)

    @property
    def labels(self) -> Mapping[str, Any]:
        labels = get(self.props, "metadata", "labels", default={})
        return labels if is_map(labels) else {}


@dataclass(frozen=True)
class Settings:
    """Policy config (`--policy-pack-config` / `llmctl check --policy-config`) merged over defaults."""

    environment: str | None = None
    account_id: str | None = None
    public_endpoint: bool | None = None
    gpu_budget: Mapping[str, int] = field(default_factory=lambda: {"dev": 16, "staging": 32, "prod": 128})
    allowed_instance_families: tuple[str, ...] = ("g5", "g6", "g6e", "p4d", "p4de", "p5", "p5e", "p5en")
    trusted_services: tuple[str, ...] = (
        "ec2.amazonaws.com", "eks.amazonaws.com", "eks-nodegroup.amazonaws.com", "pods.eks.amazonaws.com",
        "vpc-flow-logs.amazonaws.com", "events.amazonaws.com", "sqs.amazonaws.com", "logs.amazonaws.com",
    )

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> Settings:
        config = config or {}
        defaults = cls()
        budget = dict(defaults.gpu_budget)
        if is_map(config.get("gpuBudget")):
            budget.update({str(k): int(v) for k, v in config["gpuBudget"].items()})
        return cls(
            environment=config.get("environment") or None,
            account_id=str(config["accountId"]) if config.get("accountId") else None,
            public_endpoint=config.get("publicEndpoint") if isinstance(config.get("publicEndpoint"), bool) else None,
            gpu_budget=budget,
            allowed_instance_families=tuple(config.get("allowedInstanceFamilies") or defaults.allowed_instance_families),
            trusted_services=tuple(config.get("trustedServices") or defaults.trusted_services),
        )


@dataclass(frozen=True)
class Context:
    environment: str
    settings: Settings = field(default_factory=Settings)
    account_id: str | None = None
    public_endpoint: bool = False

    @property
    def is_prod(self) -> bool:
        return self.environment == "prod"


@dataclass(frozen=True)
class Violation:
    policy: str
    level: str
    urn: str
    resource: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"policy": self.policy, "level": self.level, "resource": self.resource, "urn": self.urn, "message": self.message}


ResourceCheck = Callable[[ResourceView, Context], Iterable[str]]
StackCheck = Callable[[list[ResourceView], Context], Iterable[tuple[ResourceView, str]]]


@dataclass(frozen=True)
class Rule:
    """A policy: a kebab-case name, an area, its level per environment and a pure check.
    A resource rule yields messages for one resource; a stack rule yields (resource, message)."""

    name: str
    area: str
    description: str
    check: Callable[..., Iterable[Any]]
    stack: bool = False
    levels: Mapping[str, str] = field(default_factory=lambda: dict.fromkeys(ENVIRONMENTS, MANDATORY))
    config_keys: tuple[str, ...] = ()

    def level(self, environment: str) -> str:
        return self.levels.get(environment, MANDATORY)


RULES: list[Rule] = []


def _register(rule: Rule) -> Rule:
    if any(r.name == rule.name for r in RULES):
        raise ValueError(f"duplicate policy name {rule.name}")
    if not re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", rule.name):
        raise ValueError(f"policy name {rule.name!r} is not kebab-case")
    RULES.append(rule)
    return rule


def _levels(levels: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict.fromkeys(ENVIRONMENTS, MANDATORY)
    merged.update(levels or {})
    return merged


def resource_rule(name: str, area: str, description: str, levels: Mapping[str, str] | None = None,
                  config_keys: tuple[str, ...] = ()) -> Callable[[ResourceCheck], ResourceCheck]:
    def wrap(check: ResourceCheck) -> ResourceCheck:
        _register(Rule(name, area, description, check, False, _levels(levels), config_keys))
        return check
    return wrap


def stack_rule(name: str, area: str, description: str, levels: Mapping[str, str] | None = None,
               config_keys: tuple[str, ...] = ()) -> Callable[[StackCheck], StackCheck]:
    def wrap(check: StackCheck) -> StackCheck:
        _register(Rule(name, area, description, check, True, _levels(levels), config_keys))
        return check
    return wrap
