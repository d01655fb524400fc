"""Helm releases the way every component installs them: a pinned chart, applied atomically (a
failed install or upgrade rolls back instead of leaving a half-applied release) with a bounded
release history. `helm.v3.Release` rather than `helm.v4.Chart`: a Release is one resource the
offline synth and the policy pack can see, values included."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_kubernetes.helm.v3 import Release, RepositoryOptsArgs

MAX_HISTORY = 5


def helm_release(
    resource_name: str,
    *,
    release_name: str,
    chart: str,
    version: str,
    namespace: str,
    opts: pulumi.ResourceOptions,
    repository: str | None = None,
    values: Any = None,
    **options: Any,
) -> Release:
    """`chart` is a chart name in `repository`, or a full oci:// reference with no repository.
    `options` passes the few per-release switches through (cleanup_on_fail, skip_crds, timeout...)."""
    if values is not None:
        options["values"] = values
    if repository is not None:
        options["repository_opts"] = RepositoryOptsArgs(repo=repository)
    return Release(
        resource_name,
        name=release_name,
        chart=chart,
        version=version,
        namespace=namespace,
        atomic=True,
        max_history=MAX_HISTORY,
        opts=opts,
        **options,
    )
