"""Pure renderers of one slot's Inference Extension objects: its InferencePool (selecting exactly
the slot's vLLM pods, through the serving component's own selector) and the endpoint picker (EPP)
that scores those pods on queue depth, KV-cache use and prefix-cache hits from vLLM's metrics.

One EPP per pool: the prefix-cache scorer keeps per-pod state, which the upstream chart runs as
a single active replica (Recreate) for the same reason (config/charts/epplib @v1.5.0).
"""

from __future__ import annotations

from typing import Any

import yaml

from components.endpoint.names import namespace
from components.gateway.versions import EPP_IMAGE, OBJECTIVE_CRD_VERSION
from components.observability import labels as lm
from components.placement import SystemPlacement
from components.serving.vllm import PORT

POOL_GROUP = "inference.networking.k8s.io"
EPP_GRPC_PORT = 9002  # ext_proc, called by the Envoy proxies
EPP_HEALTH_PORT = 9003
EPP_METRICS_PORT = 9090
EPP_CONFIG_FILE = "epp.yaml"
PART_OF = {"app.kubernetes.io/part-of": "llm-platform"}


def pool_name(endpoint: str, slot: str) -> str:
    return f"{endpoint}-{slot}"


def epp_name(endpoint: str, slot: str) -> str:
    return f"{endpoint}-{slot}-epp"


# Pod label naming the pool an EPP serves; Prometheus copies it onto the EPP's series as `inference_pool`.
POOL_LABEL = "inference-pool"
# EPP counters (GIE v1.5.0 pkg/epp/metrics): every request it handles, and every one it fails,
# including "no ready pod" while the slot is at zero replicas (pkg/epp/handlers/server.go).
EPP_REQUESTS = ("inference_objective_request_total", "inference_objective_request_error_total")


def epp_labels(endpoint: str, slot: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": "epp", "app.kubernetes.io/instance": epp_name(endpoint, slot),
            POOL_LABEL: pool_name(endpoint, slot), **PART_OF}


def wake_query(endpoint: str, slot: str) -> str:
    """Requests that reached the slot's picker in the last 2 minutes. The picker runs whether or not
    the slot has a pod, so this counts the requests that must wake a slot scaled to zero."""
    selector = {"namespace": namespace(endpoint), lm.INFERENCE_POOL: pool_name(endpoint, slot)}
    # `or vector(0)` per term: a counter the picker has not created yet must not void the sum.
    return " + ".join(f"(sum(increase({lm.series(metric, selector)}[2m])) or vector(0))" for metric in EPP_REQUESTS)


PICKER_SCRAPE_SECONDS = 15  # also the first half of a waking slot's Retry-After (components/gateway/wake.py)


def epp_pod_monitor(endpoint: str, slot: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1", "kind": "PodMonitor", "metadata": _meta(endpoint, slot, namespace),
        "spec": {
            "selector": {"matchLabels": epp_labels(endpoint, slot)},
            "podTargetLabels": [POOL_LABEL],
            "podMetricsEndpoints": [{"port": "metrics", "path": "/metrics", "interval": f"{PICKER_SCRAPE_SECONDS}s", "scheme": "http"}],
        },
    }


def inference_pool(endpoint: str, slot: str, namespace: str, selector: dict[str, str]) -> dict[str, Any]:
    """`selector` is the slot's pod selector (components.serving SlotSpec.selector)."""
    return {
        "apiVersion": f"{POOL_GROUP}/v1",
        "kind": "InferencePool",
        "metadata": {"name": pool_name(endpoint, slot), "namespace": namespace, "labels": dict(PART_OF)},
        "spec": {
            "selector": {"matchLabels": dict(selector)},
            "targetPorts": [{"number": PORT}],
            # FailClose: without a picker the request fails visibly instead of bypassing scheduling.
            "endpointPickerRef": {"name": epp_name(endpoint, slot), "port": {"number": EPP_GRPC_PORT}, "failureMode": "FailClose"},
        },
    }


def epp_config() -> str:
    """Scorers of the GIE v1.5.0 chart's default profile (weights 2/2/3); vLLM is the default engine
    of core-metrics-extractor (vllm:num_requests_waiting, vllm:kv_cache_usage_perc)."""
    config = {
        "apiVersion": "inference.networking.x-k8s.io/v1alpha1",
        "kind": "EndpointPickerConfig",
        "plugins": [
            {"type": "queue-scorer"},
            {"type": "kv-cache-utilization-scorer"},
            {"type": "prefix-cache-scorer"},
            {"type": "metrics-data-source", "parameters": {"scheme": "http", "path": "/metrics", "insecureSkipVerify": False}},
            {"type": "core-metrics-extractor"},
        ],
        "schedulingProfiles": [{"name": "default", "plugins": [
            {"pluginRef": "queue-scorer", "weight": 2},
            {"pluginRef": "kv-cache-utilization-scorer", "weight": 2},
            {"pluginRef": "prefix-cache-scorer", "weight": 3},
        ]}],
    }
    return yaml.safe_dump(config, sort_keys=False)


def _meta(endpoint: str, slot: str, namespace: str) -> dict[str, Any]:
    return {"name": epp_name(endpoint, slot), "namespace": namespace, "labels": epp_labels(endpoint, slot)}


def epp_rbac(endpoint: str, slot: str, namespace: str) -> list[dict[str, Any]]:
    """ServiceAccount, Role and RoleBinding: read pods, the pool and objectives of its own namespace only."""
    meta = _meta(endpoint, slot, namespace)
    role = {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta,
        "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "watch", "list"]},
            {"apiGroups": [POOL_GROUP], "resources": ["inferencepools"], "verbs": ["get", "watch", "list"]},
            {"apiGroups": ["inference.networking.x-k8s.io"], "resources": ["inferenceobjectives", "inferencemodelrewrites"],
             "verbs": ["get", "watch", "list"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding", "metadata": meta,
        "subjects": [{"kind": "ServiceAccount", "name": meta["name"], "namespace": namespace}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": meta["name"]},
    }
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta, "automountServiceAccountToken": True}
    return [account, role, binding]


def epp_config_map(endpoint: str, slot: str, namespace: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": _meta(endpoint, slot, namespace), "data": {EPP_CONFIG_FILE: epp_config()}}


def epp_service(endpoint: str, slot: str, namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "v1", "kind": "Service", "metadata": _meta(endpoint, slot, namespace),
        "spec": {
            "selector": epp_labels(endpoint, slot),
            "ports": [
                {"name": "grpc-ext-proc", "port": EPP_GRPC_PORT, "targetPort": EPP_GRPC_PORT, "protocol": "TCP", "appProtocol": "http2"},
                {"name": "metrics", "port": EPP_METRICS_PORT, "targetPort": EPP_METRICS_PORT, "protocol": "TCP"},
            ],
        },
    }


def _epp_container(endpoint: str, slot: str, namespace: str) -> dict[str, Any]:
    return {
        "name": "epp",
        "image": EPP_IMAGE,
        # A tag, not a digest (see CHECKS_NOT_APPLICABLE): re-resolved at every start.
        "imagePullPolicy": "Always",
        "args": [
            "--pool-name", pool_name(endpoint, slot), "--pool-namespace", namespace, "--pool-group", POOL_GROUP,
            "--config-file", f"/config/{EPP_CONFIG_FILE}", "--zap-encoder", "json", "--tracing=false",
            # Scraped by Prometheus inside the cluster; the NetworkPolicies decide who reaches the port.
            "--metrics-endpoint-auth=false",
        ],
        "env": [{"name": "NAMESPACE", "valueFrom": {"fieldRef": {"fieldPath": "metadata.namespace"}}},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}}],
        "ports": [{"name": "grpc", "containerPort": EPP_GRPC_PORT}, {"name": "grpc-health", "containerPort": EPP_HEALTH_PORT},
                  {"name": "metrics", "containerPort": EPP_METRICS_PORT}],
        "livenessProbe": {"grpc": {"port": EPP_HEALTH_PORT, "service": "inference-extension"}, "initialDelaySeconds": 5, "periodSeconds": 10},
        "readinessProbe": {"grpc": {"port": EPP_HEALTH_PORT, "service": "inference-extension"}, "periodSeconds": 2},
        "resources": {"requests": {"cpu": "500m", "memory": "1Gi"}, "limits": {"memory": "4Gi"}},
        "securityContext": {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
                            "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}},
        "volumeMounts": [{"name": "config", "mountPath": "/config", "readOnly": True}],
    }


# Checkov checks that do not fit the endpoint picker, each with its reason (checkov.io/skip
# annotations: scoped to this Deployment, not skipped for the vLLM pods).
CHECKS_NOT_APPLICABLE = {
    # The picker watches its pods and InferencePool through the Kubernetes API: it needs its token
    # (RBAC in epp_rbac grants only reads in its own namespace).
    "CKV_K8S_38": "the endpoint picker reads pods and its InferencePool through the API (namespaced read-only RBAC)",
    # GIE publishes the picker by tag on registry.k8s.io, whose promoter never moves a released tag.
    "CKV_K8S_43": "registry.k8s.io release tag (immutable by the image promoter), pinned in components/gateway/versions.py",
}


def epp_deployment(endpoint: str, slot: str, namespace: str, system: SystemPlacement) -> dict[str, Any]:
    labels = epp_labels(endpoint, slot)
    skips = {f"checkov.io/skip{i}": f"{check}={why}" for i, (check, why) in enumerate(sorted(CHECKS_NOT_APPLICABLE.items()), start=1)}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {**_meta(endpoint, slot, namespace), "annotations": skips},
        "spec": {
            "replicas": 1,
            "strategy": {"type": "Recreate"},
            "selector": {"matchLabels": labels},
            "template": {
                # The picker looks for the InferenceObjective CRD only at start: naming its version here
                # restarts pickers that started before the platform installed it.
                "metadata": {"labels": labels, "annotations": {"llm-platform.io/objective-crd": OBJECTIVE_CRD_VERSION}},
                "spec": {
                    "serviceAccountName": epp_name(endpoint, slot),
                    "terminationGracePeriodSeconds": 130,
                    "nodeSelector": system.node_selector(**{"kubernetes.io/os": "linux"}),
                    "tolerations": system.tolerations,
                    "securityContext": {"runAsNonRoot": True, "runAsUser": 65532, "seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [_epp_container(endpoint, slot, namespace)],
                    "volumes": [{"name": "config", "configMap": {"name": epp_name(endpoint, slot)}}],
                },
            },
        },
    }


def slot_objects(endpoint: str, slot: str, namespace: str, selector: dict[str, str], system: SystemPlacement) -> list[dict[str, Any]]:
    """Everything one slot's pool needs, in apply order."""
    return [*epp_rbac(endpoint, slot, namespace), epp_config_map(endpoint, slot, namespace), epp_service(endpoint, slot, namespace),
            epp_deployment(endpoint, slot, namespace, system), epp_pod_monitor(endpoint, slot, namespace),
            inference_pool(endpoint, slot, namespace, selector)]
