"""Who runs the deploy, and whether the cluster will let them in (access entries of cluster.adminRoleArns)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from llmctl.preflight.rows import BLOCKER, OK, Row


def role_of(caller_arn: str) -> tuple[str, str] | None:
    """(account, role name) of an assumed-role or role ARN; None for users and root."""
    # arn:aws:sts::123456789012:assumed-role/NAME/SESSION or arn:aws:iam::123456789012:role/PATH/NAME
    parts = caller_arn.split(":", 5)
    if len(parts) < 6:
        return None
    account, resource = parts[4], parts[5]
    if resource.startswith("assumed-role/"):
        return account, resource.split("/")[1]
    if resource.startswith("role/"):
        return account, resource.rsplit("/", 1)[-1]
    return None


def check(sts: Any, admin_role_arns: list[str]) -> Iterator[Row]:
    caller = sts.get_caller_identity()
    arn = caller["Arn"]
    yield Row("identity", OK, f"account {caller['Account']} as {arn}")
    admins = {(a.split(":")[4], a.rsplit("/", 1)[-1]) for a in admin_role_arns}
    role = role_of(arn)
    if role in admins:
        yield Row("cluster-access", OK, f"role {role[1]} is in cluster.adminRoleArns (cluster-admin access entry)")
    else:
        yield Row(
            "cluster-access", BLOCKER,
            f"{arn} is not one of cluster.adminRoleArns: the deploy would create the cluster and then time out on every Kubernetes object",
            "deploy as one of cluster.adminRoleArns, or add this role's ARN there",
        )
