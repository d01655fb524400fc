"""Which actions each role of a synthesized stack uses: its inline policies, its attached customer
policies and its attached AWS managed policies (pinned as data in components/boundary)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from llmctl.synth.inventory import Inventory, Resource

MANAGED = json.loads((Path(__file__).resolve().parents[2] / "components" / "boundary" / "managed_policies.json").read_text())


def as_doc(value: Any) -> dict[str, Any]:
    return json.loads(value) if isinstance(value, str) else value or {}


def allowed_actions(doc: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for stmt in doc.get("Statement", []):
        if stmt.get("Effect") == "Allow" and "Action" in stmt:
            value = stmt["Action"]
            out.update([value] if isinstance(value, str) else value)
    return out


def _role_of(roles: list[Resource], reference: str) -> Resource:
    """The role a policy or attachment names: by explicit name, or Pulumi's auto-name
    (`<resource name>[-<hex suffix>]`: the mocks give the name without the suffix, the id with it)."""
    for role in roles:
        if role.inputs.get("name") == reference or re.fullmatch(re.escape(role.name) + r"(-[0-9a-f]+)?", reference):
            return role
    raise AssertionError(f"no role named {reference!r}")


def managed_actions(policy_arn: str) -> set[str]:
    name = policy_arn.split(":policy/", 1)[1]
    assert name in MANAGED["policies"], f"{policy_arn} is attached but not pinned in components/boundary/managed_policies.json"
    return set(MANAGED["policies"][name]["actions"])


def used_actions(inventory: Inventory) -> dict[str, set[str]]:
    """Role resource name -> every action its policies allow."""
    roles = inventory.of_type("aws:iam/role:Role")
    customer = {p.inputs["name"]: as_doc(p.inputs["policy"]) for p in inventory.of_type("aws:iam/policy:Policy")}
    used: dict[str, set[str]] = {r.name: set() for r in roles}
    for inline in inventory.of_type("aws:iam/rolePolicy:RolePolicy"):
        used[_role_of(roles, inline.inputs["role"]).name] |= allowed_actions(as_doc(inline.inputs["policy"]))
    for attachment in inventory.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        arn = attachment.inputs["policyArn"]
        actions = managed_actions(arn) if ":iam::aws:policy/" in arn else allowed_actions(customer[arn.rsplit("/", 1)[-1]])
        used[_role_of(roles, attachment.inputs["role"]).name] |= actions
    return used
