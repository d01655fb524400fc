"""Naming of the permissions boundaries. They have no stack settings: every stack gets the same
two boundaries, scoped to its own region, account and roles."""

from __future__ import annotations

# Path of the boundary policies. "/" keeps the ARN `arn:<partition>:iam::<account>:policy/<name>`,
# which each boundary's own statements must name before the policy exists.
BOUNDARY_PATH = "/"


def boundary_name(cluster_name: str, kind: str) -> str:
    """`kind` is "workload" or "controller" (components.boundary.actions)."""
    return f"{cluster_name}-{kind}-boundary"
