"""Pure renderers for one serving slot's core Kubernetes objects (plain dicts).

Values that are Pulumi Outputs at deploy time (namespace, image, the S3 URI, the role-bound
ServiceAccount) are placed into the dicts as-is and never parsed, so the same functions serve the
component and the tests (which pass plain strings).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.coldstart.budget import Timeouts
from components.endpoint.names import namespace as endpoint_namespace
from components.observability import labels as lm
from components.serving.models import SlotConfig
from components.serving.vllm import MODEL_CACHE_PATH, PORT, extra_flags, model_flags, serving_env
from components.tagging import label_value

RUN_AS = 10001  # the serving image's user (serving-image/Dockerfile)
GPU = "nvidia.com/gpu"
DO_NOT_DISRUPT = "karpenter.sh/do-not-disrupt"


@dataclass(frozen=True)
class SlotSpec:
    """Everything the renderers need about one slot, as plain values (Outputs only where noted)."""

    endpoint: str
    slot: str
    team: str
    environment: str
    pool: str
    config: SlotConfig
    min_replicas: int
    max_replicas: int
    scale_to_zero: bool
    region: str
    namespace: Any  # str or Output[str]
    image: Any  # str or Output[str]
    s3_uri: Any = None  # str or Output[str]; only with weights: s3
    kubernetes_version: str = "1.34"
    instance_types: tuple[str, ...] | None = None  # placement.instance_type_affinity
    # From components/coldstart/sizing.py: the probe/rollout timeouts and the streamer settings.
    timeouts: Timeouts | None = None
    streamer: dict[str, int] | None = None
    compile_cache_uri: Any = None  # str or Output[str]; only with slot.compileCache
    # The model bucket's URI when s3_uri is the shared weight cache (the entrypoint falls back to it).
    s3_fallback_uri: Any = None

    @property
    def startup_seconds(self) -> int:
        if self.timeouts is not None:
            return self.timeouts.startup_probe_seconds
        return (self.config.startup_minutes or 40) * 60

    @property
    def rollout_seconds(self) -> int:
        return self.timeouts.rollout_seconds if self.timeouts is not None else self.startup_seconds + 600

    @property
    def name(self) -> str:
        return f"{self.endpoint}-{self.slot}"

    @property
    def service_account(self) -> str:
        return f"{self.name}-vllm"

    @property
    def namespace_name(self) -> str:
        """The namespace as a plain string for PromQL (the Endpoint creates it under this name)."""
        return self.namespace if isinstance(self.namespace, str) else endpoint_namespace(self.endpoint)

    @property
    def metrics_selector(self) -> dict[str, str]:
        """Matchers selecting this slot's series in Prometheus (components/observability/labels.py)."""
        return lm.slot_selector(self.namespace_name, self.endpoint, self.slot)

    @property
    def selector(self) -> dict[str, str]:
        # Immutable on a Deployment: never include the model (a release changes it in place).
        # Not `endpoint`/`slot`: prometheus-operator overwrites `endpoint` on every scraped series.
        # Changing these replaces the Deployment (immutable selector): roll such a change out through
        # the idle slot first (docs/control-loops.md, "Deploying the rename").
        return {"app.kubernetes.io/name": "vllm", lm.LLM_ENDPOINT: self.endpoint, lm.LLM_SLOT: self.slot}

    @property
    def labels(self) -> dict[str, str]:
        labels = {
            **self.selector,
            "app.kubernetes.io/component": "serving",
            "app.kubernetes.io/instance": self.name,
            "app.kubernetes.io/managed-by": "pulumi",
            lm.TEAM: self.team,
            lm.ENVIRONMENT: self.environment,
        }
        if self.config.model:
            labels[lm.MODEL] = label_value(self.config.model)
        return dict(sorted(labels.items()))


def _meta(spec: SlotSpec, name: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"name": name or spec.name, "namespace": spec.namespace, "labels": spec.labels, **extra}


def service_account(spec: SlotSpec) -> dict[str, Any]:
    # Pod Identity binds the IAM role to this (namespace, name) pair; no annotation needed.
    return {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": _meta(spec, spec.service_account), "automountServiceAccountToken": False}


def service(spec: SlotSpec) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _meta(spec),
        "spec": {
            "type": "ClusterIP",
            "selector": spec.selector,
            "ports": [{"name": "http", "port": PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    }


def pod_disruption_budget(spec: SlotSpec) -> dict[str, Any]:
    # One replica at a time: voluntary disruptions (node drains, consolidation of other pods'
    # nodes) never take a slot below N-1; with 1 replica a drain waits for the replacement.
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": _meta(spec),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": spec.selector}, "unhealthyPodEvictionPolicy": "AlwaysAllow"},
    }


def pre_stop(seconds: int, kubernetes_version: str) -> dict[str, Any]:
    # The built-in sleep action (no shell or `sleep` binary needed) is on by default from 1.30.
    major, minor = (int(x) for x in kubernetes_version.split(".")[:2])
    if (major, minor) >= (1, 30):
        return {"sleep": {"seconds": seconds}}
    return {"exec": {"command": ["sleep", str(seconds)]}}


def termination_grace_seconds(config: SlotConfig) -> int:
    # preStop sleep, then vLLM's own drain (--shutdown-timeout), plus slack for process exit.
    return config.pre_stop_seconds + config.shutdown_timeout_seconds + 15


def startup_probe_budget(seconds: int, period: int = 10) -> tuple[int, int]:
    """(periodSeconds, failureThreshold) giving the container `seconds` to pass /health."""
    return period, max(1, -(-seconds // period))


def _env(spec: SlotSpec) -> list[dict[str, Any]]:
    cfg = spec.config
    env = serving_env(cfg, spec.s3_uri, spec.region, aliases=(spec.endpoint,), streamer=spec.streamer, compile_cache_uri=spec.compile_cache_uri,
                      fallback_uri=spec.s3_fallback_uri)
    env_list: list[dict[str, Any]] = [{"name": k, "value": v} for k, v in env.items()]
    if cfg.weights == "hub" and cfg.hub_token_secret:
        env_list.append({"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": cfg.hub_token_secret, "key": "HF_TOKEN"}}})
    return env_list


def _resources(cfg: SlotConfig) -> dict[str, Any]:
    return {
        "requests": {
            "cpu": _cpu(cfg.cpu),
            "memory": f"{cfg.memory_gib}Gi",
            GPU: str(cfg.gpus),
            "ephemeral-storage": f"{cfg.model_cache_gib}Gi" if cfg.weights == "hub" else "20Gi",
        },
        # No CPU limit (throttling the tokenizer/API server adds latency); memory is capped.
        "limits": {"memory": f"{cfg.memory_limit}Gi", GPU: str(cfg.gpus)},
    }


def _probes(spec: SlotSpec) -> dict[str, Any]:
    period, failures = startup_probe_budget(spec.startup_seconds)
    return {
        # Weight streaming, compile and CUDA graph capture take minutes: the startup probe holds
        # liveness off for twice the computed worst case (components/coldstart), then hands over.
        "startupProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": period, "failureThreshold": failures, "timeoutSeconds": 5},
        "readinessProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 5, "failureThreshold": 3, "timeoutSeconds": 5},
        "livenessProbe": {"httpGet": {"path": "/health", "port": "http"}, "periodSeconds": 15, "failureThreshold": 4, "timeoutSeconds": 10},
    }


def _container(spec: SlotSpec) -> dict[str, Any]:
    cfg = spec.config
    return {
        "name": "vllm",
        "image": spec.image,
        "imagePullPolicy": "IfNotPresent",
        "args": [*model_flags(cfg), *extra_flags(cfg.vllm_args)],
        "env": _env(spec),
        "ports": [{"name": "http", "containerPort": PORT, "protocol": "TCP"}],
        "resources": _resources(cfg),
        **_probes(spec),
        # The sleep lets the ALB deregister the target before vLLM stops accepting; then SIGTERM
        # starts vLLM's drain of in-flight requests (--shutdown-timeout).
        "lifecycle": {"preStop": pre_stop(cfg.pre_stop_seconds, spec.kubernetes_version)},
        "securityContext": {
            "allowPrivilegeEscalation": False,
            "capabilities": {"drop": ["ALL"]},
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": [
            {"name": "dshm", "mountPath": "/dev/shm"},
            {"name": "model-cache", "mountPath": MODEL_CACHE_PATH},
        ],
    }


def _pod_spec(spec: SlotSpec) -> dict[str, Any]:
    cfg = spec.config
    return {
        "serviceAccountName": spec.service_account,
        "automountServiceAccountToken": False,
        "enableServiceLinks": False,
        "terminationGracePeriodSeconds": termination_grace_seconds(cfg),
        "nodeSelector": {"karpenter.sh/nodepool": spec.pool},
        **({"affinity": _instance_type_affinity(spec.instance_types)} if spec.instance_types else {}),
        "tolerations": [{"key": GPU, "operator": "Exists", "effect": "NoSchedule"}],
        "topologySpreadConstraints": [{
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            # Spot GPU capacity is often in one or two zones only: prefer spreading, never block a
            # scale-out on it.
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": spec.selector},
        }],
        "securityContext": {
            "runAsNonRoot": True,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "containers": [_container(spec)],
        "volumes": [
            # NCCL (tensor parallel) and the API server's IPC use /dev/shm; the container default is 64 MiB.
            {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": f"{cfg.shm_gib}Gi"}},
            # emptyDir lives on the node's ephemeral storage: the GPU NodeClass's data volume, or the
            # instance's NVMe RAID0 when the NodeClass sets instanceStorePolicy RAID0. No hostPath:
            # that would need a non-restricted pod and would leak weights across tenants' pods.
            {"name": "model-cache", "emptyDir": {"sizeLimit": f"{cfg.model_cache_gib}Gi"}},
        ],
    }


def deployment(spec: SlotSpec) -> dict[str, Any]:
    replicas = spec.min_replicas if spec.max_replicas > 0 else 0
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _meta(spec),
        "spec": {
            "replicas": replicas,
            "revisionHistoryLimit": 3,
            # A new pod may need a new node: the whole cold start, twice the computed worst case.
            "progressDeadlineSeconds": spec.rollout_seconds,
            "selector": {"matchLabels": spec.selector},
            # Surge, never drop: a model/image change brings the new pod up (on a new GPU node if
            # need be) before the old one leaves, so the slot keeps its capacity.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": {
                "metadata": {
                    "labels": spec.labels,
                    # Pods are long-lived and hold in-flight generations (and minutes of weight
                    # loading): Karpenter must not consolidate or expire their node under them.
                    # Spot interruptions still drain gracefully via the interruption queue.
                    "annotations": {DO_NOT_DISRUPT: "true"},
                },
                "spec": _pod_spec(spec),
            },
        },
    }


def pod_monitor(spec: SlotSpec) -> dict[str, Any]:
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PodMonitor",
        "metadata": _meta(spec),
        "spec": {
            "selector": {"matchLabels": spec.selector},
            # Copy the pod labels onto every series so KEDA queries, alerts and dashboards can
            # select by endpoint/slot and cost reports by team/model; none of them is a name the
            # operator sets on targets (labels.RESERVED), so all survive scraping.
            "podTargetLabels": list(lm.SLOT_TARGET_LABELS),
            "podMetricsEndpoints": [{"port": "http", "path": "/metrics", "interval": "15s", "scheme": "http"}],
        },
    }


def _instance_type_affinity(instance_types: tuple[str, ...]) -> dict[str, Any]:
    # Karpenter only launches types that satisfy required node affinity, so this also narrows
    # what it buys for the slot.
    term = {"matchExpressions": [{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": list(instance_types)}]}
    return {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [term]}}}


def _cpu(cpu: float) -> str:
    return str(int(cpu)) if float(cpu).is_integer() else f"{int(cpu * 1000)}m"
