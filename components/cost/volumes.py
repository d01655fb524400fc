"""Tags on the EBS volumes the EBS CSI driver creates for PersistentVolumeClaims (pure renderers).

Two sources, both read by aws-ebs-csi-driver v1.51 (pkg/driver/controller.go CreateVolume):
- the add-on's `controller.extraVolumeTags` (chart values.yaml): the stack's tags on every volume;
- a StorageClass `tagSpecification_N` parameter, a Go template over .PVCNamespace
  (docs/tagging.md): the claim's team, from the namespace its endpoint owns.
The driver evaluates the StorageClass tags first and the extra tags last, later keys winning
(pkg/util/template Evaluate fills one map in order), so `team` and `owner` must stay out of the
extra tags or they would overwrite the claim's team with the platform's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

CLAIM_KEYS = ("team", "owner")  # decided per claim by the StorageClass
STORAGE_CLASS = "gp3-encrypted"


def extra_volume_tags(stack_tags: Mapping[str, str]) -> dict[str, str]:
    """The add-on's extraVolumeTags: every stack tag but those the claim decides."""
    return {k: v for k, v in sorted(stack_tags.items()) if k not in CLAIM_KEYS}


def _by_namespace(key: str, namespace_values: Mapping[str, str], default: str) -> str:
    """`key=<template>`: the value for the claim's namespace, `default` elsewhere."""
    if not namespace_values:
        return f"{key}={default}"
    branches = "{{ else if ".join(f'eq .PVCNamespace "{ns}" }}}}{value}' for ns, value in sorted(namespace_values.items()))
    return f"{key}={{{{ if {branches}{{{{ else }}}}{default}{{{{ end }}}}"


def volume_tag_parameters(namespace_teams: Mapping[str, str], namespace_owners: Mapping[str, str], stack_tags: Mapping[str, str]) -> dict[str, str]:
    """StorageClass parameters tagging each volume with its claim's team and owner (the stack's
    outside endpoint namespaces, e.g. Prometheus' volume bills to the platform team)."""
    return {
        "tagSpecification_1": _by_namespace("team", namespace_teams, stack_tags["team"]),
        "tagSpecification_2": _by_namespace("owner", namespace_owners, stack_tags["owner"]),
    }


def storage_class(parameters: Mapping[str, str]) -> dict[str, Any]:
    """The cluster's default StorageClass: encrypted gp3 volumes carrying the claim's team."""
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {
            "name": STORAGE_CLASS,
            "annotations": {"storageclass.kubernetes.io/is-default-class": "true"},
            "labels": {"app.kubernetes.io/part-of": "llm-platform", "app.kubernetes.io/managed-by": "pulumi"},
        },
        "provisioner": "ebs.csi.aws.com",
        "parameters": {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4", **parameters},
        "reclaimPolicy": "Delete",
        # The volume is created in the zone the pod lands in, not a random one.
        "volumeBindingMode": "WaitForFirstConsumer",
        "allowVolumeExpansion": True,
    }
