"""Naming of the permissions boundary. It has no stack settings: every stack gets the same
boundary shape, scoped to its own region and account."""

from __future__ import annotations

# Path of the boundary policy. "/" keeps the ARN `arn:<partition>:iam::<account>:policy/<name>`, which
# the boundary's own statements must name before the policy exists.
BOUNDARY_PATH = "/"


def boundary_name(cluster_name: str) -> str:
    return f"{cluster_name}-boundary"
