"""Apply a rendered Kubernetes object (a plain dict from a pure renderer) as a Pulumi resource.

Renderers return manifests exactly as `kubectl apply` would take them; this maps each one to its
typed pulumi_kubernetes class (or CustomResource for CRD kinds) so `pulumi up` applies it and the
offline synth records it with its real type token.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as k8s

_TYPED: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): k8s.core.v1.Namespace,
    ("v1", "ServiceAccount"): k8s.core.v1.ServiceAccount,
    ("v1", "Service"): k8s.core.v1.Service,
    ("v1", "ConfigMap"): k8s.core.v1.ConfigMap,
    ("v1", "Secret"): k8s.core.v1.Secret,
    ("v1", "PersistentVolumeClaim"): k8s.core.v1.PersistentVolumeClaim,
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"): k8s.admissionregistration.v1.ValidatingAdmissionPolicy,
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"): k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding,
    ("apps/v1", "Deployment"): k8s.apps.v1.Deployment,
    ("apps/v1", "DaemonSet"): k8s.apps.v1.DaemonSet,
    ("apps/v1", "StatefulSet"): k8s.apps.v1.StatefulSet,
    ("policy/v1", "PodDisruptionBudget"): k8s.policy.v1.PodDisruptionBudget,
    ("networking.k8s.io/v1", "Ingress"): k8s.networking.v1.Ingress,
    ("networking.k8s.io/v1", "IngressClass"): k8s.networking.v1.IngressClass,
    ("networking.k8s.io/v1", "NetworkPolicy"): k8s.networking.v1.NetworkPolicy,
    ("rbac.authorization.k8s.io/v1", "Role"): k8s.rbac.v1.Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): k8s.rbac.v1.RoleBinding,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): k8s.rbac.v1.ClusterRole,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): k8s.rbac.v1.ClusterRoleBinding,
    ("scheduling.k8s.io/v1", "PriorityClass"): k8s.scheduling.v1.PriorityClass,
    ("storage.k8s.io/v1", "StorageClass"): k8s.storage.v1.StorageClass,
}
_FIELDS = ("spec", "data", "string_data", "rules", "subjects", "role_ref", "value", "global_default",
           "preemption_policy", "description", "provisioner", "parameters", "reclaim_policy",
           "volume_binding_mode", "allow_volume_expansion", "type", "automount_service_account_token")


def _snake(key: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in key)


def apply(name: str, manifest: dict[str, Any], opts: pulumi.ResourceOptions) -> pulumi.CustomResource:
    """Create `manifest` as a Pulumi resource named `name` (a unique logical name)."""
    api_version, kind = manifest["apiVersion"], manifest["kind"]
    body = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind")}
    cls = _TYPED.get((api_version, kind))
    if cls is None:
        return k8s.apiextensions.CustomResource(name, api_version=api_version, kind=kind, opts=opts, **body)
    kwargs = {_snake(k): v for k, v in body.items()}
    unknown = set(kwargs) - set(_FIELDS) - {"metadata"}
    if unknown:
        raise ValueError(f"{kind} {name}: top-level field(s) {sorted(unknown)} not supported by components.k8s.apply")
    return cls(name, opts=opts, **kwargs)
