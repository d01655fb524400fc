"""Run the rules over a whole stack (llmctl check) with the levels of its environment.

Policy config has the engine's `--policy-pack-config` shape: `{"all": level, "<policy>": level |
{"enforcementLevel": level, <property>: value}}`. Without one, each rule's level for the stack's
environment applies (the same levels policies/config/<env>.json hands to `pulumi preview`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from . import rules as _rules  # noqa: F401 (registers the rules)
from .model import (
    DISABLED,
    ENVIRONMENTS,
    LEVELS,
    RULES,
    Context,
    ResourceView,
    Rule,
    Settings,
    Violation,
    account_of,
    get,
    is_map,
)

AWS_PROVIDER = "pulumi:providers:aws"
ENVOY_PROXY = "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy"
LOAD_BALANCER = "aws:lb/loadBalancer:LoadBalancer"
ROLE = "aws:iam/role:Role"


def provider_default_tags(props: Mapping[str, Any] | None) -> dict[str, str]:
    """The AWS provider's defaultTags.tags, as a JSON string (engine inputs) or a dict (after Check)."""
    value = get(props, "defaultTags")
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    if isinstance(value, list):
        value = value[0] if value else {}
    tags = get(value, "tags", default={})
    return {str(k): str(v) for k, v in tags.items()} if is_map(tags) else {}


def stack_of(urn: str) -> str:
    """The stack name inside a URN (urn:pulumi:<stack>::<project>::...)."""
    head = urn.split("::", 1)[0]
    return head.split(":")[2] if head.count(":") >= 2 else ""


def environment_of(settings: Settings, provider_props: Mapping[str, Any] | None, urn: str) -> str:
    return settings.environment or provider_default_tags(provider_props).get("environment") or stack_of(urn) or "prod"


def infer_account(resources: Iterable[ResourceView]) -> str | None:
    """The stack's account: the account of the permissions boundary its roles carry."""
    for r in resources:
        if r.type == ROLE:
            account = account_of(get(r.props, "permissionsBoundary"))
            if account:
                return account
    return None


def infer_public_endpoint(resources: Iterable[ResourceView]) -> bool:
    for r in resources:
        if r.type == ENVOY_PROXY and get(r.props, "spec", "provider", "kubernetes", "envoyService", "annotations",
                                          "service.beta.kubernetes.io/aws-load-balancer-scheme") == "internet-facing":
            return True
        if r.type == LOAD_BALANCER and get(r.props, "internal") is False:
            return True
    return False


def stack_context(resources: list[ResourceView], settings: Settings) -> Context:
    provider = next((r for r in resources if r.type == AWS_PROVIDER), None)
    environment = environment_of(settings, provider.props if provider else None, resources[0].urn if resources else "")
    public = settings.public_endpoint if settings.public_endpoint is not None else infer_public_endpoint(resources)
    return Context(environment, settings, settings.account_id or infer_account(resources), public)


def stack_environment(resources: list[ResourceView], config: Mapping[str, Any] | None = None) -> str:
    return stack_context(resources, Settings.from_config(_entry(config or {}, "all")[1])).environment


def _entry(config: Mapping[str, Any], name: str) -> tuple[str | None, dict[str, Any]]:
    value = config.get(name)
    if isinstance(value, str):
        return value, {}
    if is_map(value):
        props = {k: v for k, v in value.items() if k != "enforcementLevel"}
        return value.get("enforcementLevel"), props
    return None, {}


def level_of(rule: Rule, environment: str, config: Mapping[str, Any] | None) -> str:
    config = config or {}
    level = _entry(config, rule.name)[0] or _entry(config, "all")[0] or rule.level(environment)
    if level not in LEVELS:
        raise ValueError(f"policy config {rule.name}: enforcement level {level!r}; allowed: {', '.join(LEVELS)}")
    return level


def settings_for(rule: Rule, config: Mapping[str, Any] | None) -> Settings:
    config = config or {}
    return Settings.from_config({**_entry(config, "all")[1], **_entry(config, rule.name)[1]})


def run_rule(rule: Rule, resources: list[ResourceView], ctx: Context) -> list[tuple[ResourceView, str]]:
    if rule.stack:
        return list(rule.check(resources, ctx))
    return [(r, message) for r in resources for message in rule.check(r, ctx)]


def evaluate(resources: list[ResourceView], config: Mapping[str, Any] | None = None, rules: Iterable[Rule] | None = None) -> list[Violation]:
    """Every violation of `rules` (default: all) in a stack, in rule order."""
    violations: list[Violation] = []
    base = stack_context(resources, Settings.from_config(_entry(config or {}, "all")[1]))  # shared unless a rule has its own settings
    for rule in rules if rules is not None else RULES:
        settings = settings_for(rule, config)
        ctx = stack_context(resources, settings) if settings != base.settings else base
        level = level_of(rule, ctx.environment, config)
        if level == DISABLED:
            continue
        for resource, message in run_rule(rule, resources, ctx):
            violations.append(Violation(rule.name, level, resource.urn, resource.display, message))
    return violations


def pack_config(environment: str) -> dict[str, Any]:
    """The `--policy-pack-config` file for an environment (policies/config/<env>.json)."""
    if environment not in ENVIRONMENTS:
        raise ValueError(f"unknown environment {environment!r}; environments: {', '.join(ENVIRONMENTS)}")
    return {rule.name: {"enforcementLevel": rule.level(environment)} for rule in RULES}


def views_from_inventory(inventory: Any) -> list[ResourceView]:
    """ResourceViews of an llmctl inventory (anything with .resources of type/name/urn/inputs/tags/parent)."""
    return [ResourceView(r.type, r.name, r.urn, r.inputs, r.tags, r.parent) for r in inventory.resources]
