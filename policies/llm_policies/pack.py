"""Adapters from the rules to pulumi_policy: one ResourceValidationPolicy or StackValidationPolicy per
rule. Only policies/__main__.py builds the PolicyPack (constructing it starts a gRPC server and blocks).

The engine hands rules the inputs after the provider's Check: props may be unknown during preview
(reading one raises UnknownValueError, which the engine reports as an advisory note) and the AWS
provider's defaultTags may be a JSON string or an object.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Mapping
from functools import cache
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.proxy import UnknownValueError

from .engine import AWS_PROVIDER, environment_of, infer_account, infer_public_endpoint, provider_default_tags, run_rule
from .model import ENVIRONMENTS, RULES, Context, ResourceView, Rule, Settings, is_map

COMMON_SCHEMA: dict[str, dict[str, Any]] = {
    "environment": {"type": "string", "enum": list(ENVIRONMENTS), "description": "Override the environment read from the AWS provider's default tags."},
    "accountId": {"type": "string", "pattern": "^[0-9]{12}$", "description": "The stack's AWS account (trust policies, ECR images)."},
}
RULE_SCHEMA: dict[str, dict[str, Any]] = {
    "publicEndpoint": {"type": "boolean", "description": "The stack serves an internet-facing endpoint (TCP 443 may be world-open)."},
    "gpuBudget": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0},
                  "description": "Most GPUs all GPU NodePools may run, per environment (defaults dev 16, staging 32, prod 128)."},
    "allowedInstanceFamilies": {"type": "array", "items": {"type": "string"}, "description": "GPU instance families NodePools may use."},
    "trustedServices": {"type": "array", "items": {"type": "string"}, "description": "AWS service principals role trust policies may name."},
}


@cache
def _taggable_by_schema(type_token: str) -> bool:
    """True when pulumi_aws (if installed next to the pack) says the type accepts `tags`."""
    package, _, rest = type_token.partition(":")
    if package != "aws" or "/" not in rest:
        return False
    module, _, kind = rest.partition("/")
    try:
        cls = getattr(importlib.import_module("pulumi_aws" if module == "index" else f"pulumi_aws.{module}"), kind.split(":")[-1])
    except (ImportError, AttributeError):
        return False
    return "tags" in inspect.signature(getattr(cls, "_internal_init", cls.__init__)).parameters


def effective_tags(resource_type: str, props: Mapping[str, Any], provider_props: Mapping[str, Any] | None) -> dict[str, str] | None:
    if not resource_type.startswith("aws:"):
        return None
    if "tags" not in props and "tagsAll" not in props and not _taggable_by_schema(resource_type):
        return None
    merged: dict[str, str] = dict(provider_default_tags(provider_props))
    for key in ("tagsAll", "tags"):
        value = props.get(key)
        if is_map(value):
            merged.update({str(k): str(v) for k, v in value.items()})
    return merged


def _view(resource_type: str, name: str, urn: str, props: Mapping[str, Any], provider: Any, parent: str) -> ResourceView:
    provider_props = provider.props if provider is not None and getattr(provider, "resource_type", "") == AWS_PROVIDER else None
    return ResourceView(resource_type, name, urn, props, effective_tags(resource_type, props, provider_props), parent)


def resource_view(args: ResourceValidationArgs) -> ResourceView:
    return _view(args.resource_type, args.name, args.urn, args.props, args.provider, getattr(args.opts, "parent", None) or "")


def resource_context(args: ResourceValidationArgs) -> Context:
    settings = Settings.from_config(args.get_config())
    provider_props = args.provider.props if args.provider is not None and args.provider.resource_type == AWS_PROVIDER else None
    public = bool(settings.public_endpoint)
    return Context(environment_of(settings, provider_props, args.urn), settings, settings.account_id, public)


def stack_views(args: StackValidationArgs) -> list[ResourceView]:
    views = []
    for r in args.resources:
        parent = r.parent.urn if r.parent is not None else ""
        try:
            views.append(_view(r.resource_type, r.name, r.urn, r.props, r.provider, parent))
        except UnknownValueError:  # tags not known yet: no stack rule reads tags, so don't let them stop one
            views.append(ResourceView(r.resource_type, r.name, r.urn, r.props, None, parent))
    return views


def stack_context(args: StackValidationArgs, views: list[ResourceView]) -> Context:
    settings = Settings.from_config(args.get_config())
    provider = next((r for r in args.resources if r.resource_type == AWS_PROVIDER), None)
    provider = provider or next((r.provider for r in args.resources if r.provider is not None and r.provider.resource_type == AWS_PROVIDER), None)
    environment = environment_of(settings, provider.props if provider is not None else None, views[0].urn if views else "")
    public = settings.public_endpoint if settings.public_endpoint is not None else infer_public_endpoint(views)
    return Context(environment, settings, settings.account_id or infer_account(views), public)


def _schema(rule: Rule) -> PolicyConfigSchema:
    return PolicyConfigSchema(properties={**COMMON_SCHEMA, **{k: RULE_SCHEMA[k] for k in rule.config_keys if k in RULE_SCHEMA}})


def to_policy(rule: Rule) -> ResourceValidationPolicy | StackValidationPolicy:
    level = EnforcementLevel(rule.level("prod"))
    if rule.stack:
        def validate_stack(args: StackValidationArgs, report: ReportViolation) -> None:
            views = stack_views(args)
            for resource, message in run_rule(rule, views, stack_context(args, views)):
                report(message, resource.urn)

        return StackValidationPolicy(rule.name, rule.description, validate_stack, level, _schema(rule))

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for message in rule.check(resource_view(args), resource_context(args)):
            report(message, None)

    return ResourceValidationPolicy(rule.name, rule.description, validate, level, _schema(rule))


def policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [to_policy(rule) for rule in RULES]


__all__ = ["policies", "resource_view", "to_policy"]
