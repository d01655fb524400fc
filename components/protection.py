"""Which resources hold state a replacement or a delete would destroy, and how prod guards them.

A renamed logical name, a changed parent or an accidental `pulumi destroy` replaces or deletes a
resource. For these types that loses data or breaks what depends on them, so in prod they carry
`protect` (the engine refuses to delete them) and, where an orphan is cheaper than the loss,
`retainOnDelete` (removing them from the program leaves the cloud resource in place).
tests/core/test_stateful_urns.py pins their URNs: a rename needs an `aliases` entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi


@dataclass(frozen=True)
class Stateful:
    retain_on_delete: bool
    why: str


STATEFUL_TYPES: dict[str, Stateful] = {
    # Replacing the cluster replaces every workload and node on it; an orphaned cluster keeps
    # billing, so it is protected but deleted when the program really drops it.
    "aws:eks/cluster:Cluster": Stateful(False, "control plane and everything scheduled on it"),
    # Scheduling a key's deletion makes everything encrypted with it unreadable after 7-30 days.
    "aws:kms/key:Key": Stateful(True, "data encrypted with it (secrets, logs, weights, images)"),
    "aws:s3/bucket:Bucket": Stateful(True, "model weights"),
    "aws:ecr/repository:Repository": Stateful(True, "serving images referenced by digest"),
    "aws:cloudwatch/logGroup:LogGroup": Stateful(True, "audit and flow logs"),
    # Only counters live in it, but a replacement moves the endpoint the gateway's rate-limit
    # service is configured with; an orphan would keep billing with nothing of value in it.
    "aws:elasticache/replicationGroup:ReplicationGroup": Stateful(False, "the quota store the gateway's rate-limit service points at"),
}


def protect_stateful(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
    """Stack transformation: `protect` on every stateful resource, `retainOnDelete` where marked."""
    kind = STATEFUL_TYPES.get(args.type_)
    if kind is None:
        return None
    options = pulumi.ResourceOptions(protect=True, retain_on_delete=kind.retain_on_delete or None)
    return pulumi.ResourceTransformationResult(args.props, pulumi.ResourceOptions.merge(args.opts, options))
