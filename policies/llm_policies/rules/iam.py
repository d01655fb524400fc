"""IAM: every role inside the permissions boundary, no admin or PassRole wildcards, trust limited
to known AWS services and the stack's own account."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from fnmatch import fnmatchcase
from typing import Any

from ..model import Context, ResourceView, account_of, as_list, get, is_map, resource_rule, statements

ROLE = "aws:iam/role:Role"
POLICY_FIELDS = {
    "aws:iam/policy:Policy": "policy",
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
BOUNDARY_COMPONENT = "llm-platform:boundary:"


@resource_rule("iam-permissions-boundary", "iam", "Every IAM role carries the stack's permissions boundary.")
def iam_permissions_boundary(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type == ROLE and not get(r.props, "permissionsBoundary"):
        yield f"{r.display}: no permissions boundary; pass permissions_boundary=boundary.policy_arn"


def policy_documents(r: ResourceView) -> list[tuple[str, Any]]:
    """(where, document) for every identity policy a resource carries."""
    if r.type in POLICY_FIELDS:
        return [(POLICY_FIELDS[r.type], get(r.props, POLICY_FIELDS[r.type]))]
    if r.type == ROLE:
        return [(f"inlinePolicies[{i}]", get(p, "policy")) for i, p in enumerate(as_list(get(r.props, "inlinePolicies"))) if is_map(p)]
    return []


def _allows(statement: Mapping[str, Any]) -> bool:
    return get(statement, "Effect") == "Allow"


def _matches(patterns: list[Any], action: str) -> bool:
    return any(isinstance(p, str) and fnmatchcase(action.lower(), p.lower()) for p in patterns)


@resource_rule(
    "iam-no-admin-wildcard", "iam",
    "No identity policy allows Action \"*\" on Resource \"*\" (the boundary policy itself excepted), and no role gets AdministratorAccess.",
)
def iam_no_admin_wildcard(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.under(BOUNDARY_COMPONENT):
        return
    if r.type == ATTACHMENT and str(get(r.props, "policyArn", default="")).endswith(":policy/AdministratorAccess"):
        yield f"{r.display}: attaches AdministratorAccess; grant the actions the workload needs instead"
    for where, doc in policy_documents(r):
        for i, st in enumerate(statements(doc)):
            if _allows(st) and "*" in as_list(get(st, "Resource")) and any(a in ("*", "*:*") for a in as_list(get(st, "Action"))):
                yield f"{r.display}: {where} Statement[{i}] allows Action \"*\" on Resource \"*\"; list the actions and resources it needs"


@resource_rule(
    "iam-no-passrole-wildcard", "iam",
    "No identity policy allows iam:PassRole on Resource \"*\": name the roles that may be passed.",
)
def iam_no_passrole_wildcard(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.under(BOUNDARY_COMPONENT):
        return
    for where, doc in policy_documents(r):
        for i, st in enumerate(statements(doc)):
            actions = as_list(get(st, "Action"))
            if _allows(st) and "*" in as_list(get(st, "Resource")) and _matches(actions, "iam:PassRole") and not any(a in ("*", "*:*") for a in actions):
                yield f"{r.display}: {where} Statement[{i}] allows iam:PassRole on Resource \"*\"; restrict Resource to the role ARNs it passes"


def _principals(statement: Mapping[str, Any]) -> list[tuple[str, Any]]:
    principal = get(statement, "Principal")
    if principal == "*":
        return [("*", "*")]
    if not is_map(principal):
        return []
    return [(kind, value) for kind in ("Service", "AWS", "Federated") for value in as_list(get(principal, kind))]


@resource_rule(
    "iam-trust-principals", "iam",
    "Role trust policies name only allow-listed AWS service principals, the stack's own account root and its OIDC providers.", config_keys=("accountId", "trustedServices"),
)
def iam_trust_principals(r: ResourceView, ctx: Context) -> Iterator[str]:
    if r.type != ROLE:
        return
    account = ctx.account_id or account_of(get(r.props, "permissionsBoundary"))
    for i, st in enumerate(statements(get(r.props, "assumeRolePolicy"))):
        if not _allows(st):
            continue
        for kind, value in _principals(st):
            if kind == "Service" and value in ctx.settings.trusted_services:
                continue
            if kind == "AWS" and account and (value == account or re.fullmatch(rf"arn:aws[a-z-]*:iam::{account}:root", str(value))):
                continue
            if kind == "Federated" and account and account_of(value) == account and ":oidc-provider/" in str(value):
                continue
            if kind == "Service":
                fix = f"allowed services: {', '.join(ctx.settings.trusted_services)} (policy config trustedServices)"
            elif kind == "*":
                fix = "name the principal"
            else:
                fix = (f"only the root of the stack's account {account} (or its OIDC providers) may be trusted" if account
                       else "set policy config accountId to the stack's account")
            yield f"{r.display}: assumeRolePolicy Statement[{i}] trusts {kind} {value}; {fix}"
