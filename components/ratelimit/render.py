"""Pure renderers of the quota counters' store and how Envoy Gateway's rate-limit service reaches it.

Envoy Gateway runs the rate-limit service itself (Deployment `envoy-ratelimit` in its namespace)
once its config has `rateLimit.backend`; the only backend type is Redis, reached at `url` and,
with `tls` set (even empty), over TLS (envoyproxy/gateway@v1.9.0 api/v1alpha1/envoygateway_types.go
RateLimitRedisSettings: url | urlRef, tls.certificateRef; internal/infrastructure/kubernetes/
ratelimit/resource.go sets REDIS_URL, REDIS_TLS and, only with a client certificate,
REDIS_TLS_CLIENT_CERT/KEY). It sets no password variable, so the ElastiCache store is closed by its
security group (the node security group only, port 6379) and TLS, not by AUTH.
"""

from __future__ import annotations

from typing import Any

from components.gateway.names import GATEWAY_NAMESPACE
from components.placement import SystemPlacement

PORT = 6379
# Labels Envoy Gateway gives the rate-limit pods (ratelimit/resource.go rateLimitLabels @v1.9.0).
RATELIMIT_POD_LABELS = {"app.kubernetes.io/name": "envoy-ratelimit", "app.kubernetes.io/component": "ratelimit"}
STORE_NAMESPACE = "ratelimit-store"
VALKEY_NAME = "valkey"
# https://valkey.io/download/releases/v8-1-11/ lists this tag (2026-10-26). A tag, not a digest:
# no registry was reachable to resolve one; dev only (staging and prod use ElastiCache).
VALKEY_IMAGE = "docker.io/valkey/valkey:8.1.11-alpine3.24"
# A high UID (no clash with host users; Checkov CKV_K8S_40): the image's entrypoint only switches
# users when started as root, and the server needs nothing but its writable /data.
VALKEY_UID = 65532
# Checkov's digest check (CKV_K8S_43) does not fit a tag no registry could resolve here; dev only.
CHECKS_NOT_APPLICABLE = {"CKV_K8S_43": "dev-only store pinned by an exact valkey.io release tag; staging and prod use ElastiCache"}
ENGINE_VERSION = "8.1"  # ElastiCache for Valkey major.minor


def rate_limit_values(url: Any, tls: bool, system: SystemPlacement) -> dict[str, Any]:
    """The `config.envoyGateway` keys of the gateway-helm values that turn global rate limiting on.
    failClosed false: a store outage lifts the quotas for its duration instead of failing every request."""
    redis: dict[str, Any] = {"url": url}
    if tls:
        redis["tls"] = {}  # server-verified TLS, no client certificate (ElastiCache in-transit encryption)
    return {
        "rateLimit": {"backend": {"type": "Redis", "redis": redis}, "failClosed": False},
        "provider": {"type": "Kubernetes", "kubernetes": {"rateLimitDeployment": {
            "replicas": 2,
            "pod": {"nodeSelector": system.node_selector(**{"kubernetes.io/os": "linux"}), "tolerations": system.tolerations},
        }}},
    }


def in_cluster_url() -> str:
    return f"{VALKEY_NAME}.{STORE_NAMESPACE}.svc.cluster.local:{PORT}"


def _labels() -> dict[str, str]:
    return {"app.kubernetes.io/name": VALKEY_NAME, "app.kubernetes.io/part-of": "llm-platform"}


def valkey_namespace() -> dict[str, Any]:
    enforce = {f"pod-security.kubernetes.io/{m}": "restricted" for m in ("enforce", "audit", "warn")}
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": STORE_NAMESPACE, "labels": {**enforce, **_labels()}}}


def valkey_deployment(system: SystemPlacement) -> dict[str, Any]:
    """One pod, no persistence (`--save ''`, no AOF): the counters are per-minute and per-day
    windows; a restart only resets them. Memory-bounded, evicting the keys closest to expiry."""
    container = {
        "name": VALKEY_NAME, "image": VALKEY_IMAGE,
        "imagePullPolicy": "Always",  # a tag, not a digest: re-resolved at every start
        "args": ["valkey-server", "--port", str(PORT), "--save", "", "--appendonly", "no",
                 # No password (Envoy Gateway cannot send one): the NetworkPolicy admits only the rate-limit pods.
                 "--protected-mode", "no", "--maxmemory", "192mb", "--maxmemory-policy", "volatile-ttl"],
        "ports": [{"name": "redis", "containerPort": PORT}],
        "readinessProbe": {"tcpSocket": {"port": PORT}, "periodSeconds": 5},
        "livenessProbe": {"tcpSocket": {"port": PORT}, "initialDelaySeconds": 10, "periodSeconds": 10},
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "256Mi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "runAsUser": VALKEY_UID, "runAsGroup": VALKEY_UID,
                            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
        "volumeMounts": [{"name": "data", "mountPath": "/data"}],
    }
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": VALKEY_NAME, "namespace": STORE_NAMESPACE, "labels": _labels(),
                     "annotations": {f"checkov.io/skip{i}": f"{check}={why}" for i, (check, why) in enumerate(sorted(CHECKS_NOT_APPLICABLE.items()), start=1)}},
        "spec": {
            "replicas": 1, "strategy": {"type": "Recreate"}, "selector": {"matchLabels": _labels()},
            "template": {"metadata": {"labels": _labels()}, "spec": {
                "automountServiceAccountToken": False,
                "nodeSelector": system.node_selector(**{"kubernetes.io/os": "linux"}), "tolerations": system.tolerations,
                "securityContext": {"runAsNonRoot": True, "runAsUser": VALKEY_UID, "fsGroup": VALKEY_UID,
                                    "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [container],
                "volumes": [{"name": "data", "emptyDir": {"sizeLimit": "64Mi"}}],
            }},
        },
    }


def valkey_service() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": VALKEY_NAME, "namespace": STORE_NAMESPACE, "labels": _labels()},
            "spec": {"selector": _labels(), "ports": [{"name": "redis", "port": PORT, "targetPort": PORT, "protocol": "TCP"}]}}


def valkey_network_policy() -> dict[str, Any]:
    """Only Envoy Gateway's rate-limit pods reach the store, only on its port."""
    peer = {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": GATEWAY_NAMESPACE}},
            "podSelector": {"matchLabels": dict(RATELIMIT_POD_LABELS)}}
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": VALKEY_NAME, "namespace": STORE_NAMESPACE, "labels": _labels()},
            "spec": {"podSelector": {"matchLabels": _labels()}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [peer], "ports": [{"protocol": "TCP", "port": PORT}]}]}}


def valkey_objects(system: SystemPlacement) -> list[dict[str, Any]]:
    """In apply order."""
    return [valkey_namespace(), valkey_network_policy(), valkey_service(), valkey_deployment(system)]


def replication_group_args(cluster: str, node_type: str, multi_az: bool) -> dict[str, Any]:
    """ElastiCache for Valkey, cluster mode off (one primary endpoint: Envoy Gateway's default
    single-node Redis client). Multi-AZ: a replica in another zone with automatic failover."""
    return {
        "replication_group_id": f"{cluster}-rl"[:40],
        "description": f"{cluster} gateway token-quota counters (Envoy Gateway rate limit)",
        "engine": "valkey", "engine_version": ENGINE_VERSION, "node_type": node_type, "port": PORT,
        "num_cache_clusters": 2 if multi_az else 1,
        "automatic_failover_enabled": multi_az, "multi_az_enabled": multi_az,
        "at_rest_encryption_enabled": True, "transit_encryption_enabled": True, "transit_encryption_mode": "required",
        # Counters only: no snapshots to keep or restore.
        "snapshot_retention_limit": 0, "auto_minor_version_upgrade": True, "apply_immediately": False,
    }
