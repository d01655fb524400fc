"""ServingSlot under recording mocks: every object it creates, validated and checked for the
serving invariants (GPU, probes, drain, security, autoscaling, monitoring, least privilege)."""

from __future__ import annotations

import json
import math

import pytest

from components.coldstart.budget import worst_case
from components.coldstart.models import model_facts
from components.gpu_pools.attribution import slot_node_pool
from components.observability.labels import LLM_ENDPOINT, LLM_SLOT
from components.serving.manifests import DO_NOT_DISRUPT, RUN_AS
from components.serving.models import SlotConfig
from components.serving.placement import eligible_instance_types
from tests.serving.helpers import exported_metric_names, objects, record_slot, slot_args, stack_slots, vllm_metrics_in
from tests.support.manifests import validation_errors

CASES = list(stack_slots())
IDS = [f"{c[0]}-{c[1]}-{c[2]}" for c in CASES]
_RECORDED: dict[str, object] = {}


def recorded(case):
    """Each stack slot as the endpoint would create it when live (its configured replicas)."""
    stack, endpoint, slot, cfg, pool, ep = case
    key = f"{stack}-{endpoint}-{slot}"
    if key not in _RECORDED:
        args = slot_args(cfg, endpoint=endpoint, slot=slot, stack=stack, pool_name=pool.name, min_replicas=cfg.replicas.min,
                         max_replicas=cfg.replicas.max, scale_to_zero=ep.scale_to_zero and cfg.replicas.min == 0, cost_per_hour_usd=1.5)
        _RECORDED[key] = (record_slot(args), args)
    return _RECORDED[key]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_object_validates(case):
    inventory, args = recorded(case)
    kinds = sorted(obj["kind"] for _, obj in inventory.kubernetes_objects())
    for required in ("ConfigMap", "Deployment", "PodDisruptionBudget", "PodMonitor", "PrometheusRule", "ScaledObject", "Service", "ServiceAccount"):
        assert required in kinds
    for _, obj in inventory.kubernetes_objects():
        assert validation_errors(obj, args.kubernetes_version) == [], (obj["kind"], obj["metadata"]["name"])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_deployment_invariants(case):
    inventory, args = recorded(case)
    cfg = args.config
    (dep,) = objects(inventory, "Deployment")
    pod = dep["spec"]["template"]
    spec = pod["spec"]
    (container,) = spec["containers"]
    res = container["resources"]
    assert res["requests"]["nvidia.com/gpu"] == res["limits"]["nvidia.com/gpu"] == str(cfg.gpus)
    assert res["requests"]["memory"] == f"{cfg.memory_gib}Gi" and res["limits"]["memory"] == f"{cfg.memory_limit}Gi"
    assert "cpu" in res["requests"] and "cpu" not in res["limits"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes["dshm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": f"{cfg.shm_gib}Gi"}
    assert volumes["model-cache"]["emptyDir"]["sizeLimit"] == f"{cfg.model_cache_gib}Gi"
    assert {m["mountPath"] for m in container["volumeMounts"]} == {"/dev/shm", "/models-cache"}
    startup = container["startupProbe"]
    assert startup["httpGet"]["path"] == "/health"
    # The probe follows the computed cold start: twice the worst case from container start
    # (slowest eligible node, no compile cache), never less than 5 minutes.
    worst = worst_case(model_facts(cfg.model), cfg.gpus, eligible_instance_types(args.pool, cfg), max(1, cfg.replicas.max))
    assert startup["periodSeconds"] * startup["failureThreshold"] == max(300, math.ceil(worst.container_seconds * 2 / 60) * 60)
    assert container["readinessProbe"]["httpGet"]["path"] == "/health"
    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    pre_stop = container["lifecycle"]["preStop"]["sleep"]["seconds"]
    shutdown = int(next(e["value"] for e in container["env"] if e["name"] == "SHUTDOWN_TIMEOUT"))
    assert spec["terminationGracePeriodSeconds"] >= pre_stop + shutdown
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in spec["tolerations"]
    # Each slot selects its own NodePool, whose node class tags the nodes with its team and model.
    assert spec["nodeSelector"] == {"karpenter.sh/nodepool": slot_node_pool(args.pool, args.endpoint, args.slot)}
    assert spec["topologySpreadConstraints"][0]["topologyKey"] == "topology.kubernetes.io/zone"
    sc = container["securityContext"]
    assert sc["runAsNonRoot"] and sc["allowPrivilegeEscalation"] is False and sc["capabilities"] == {"drop": ["ALL"]}
    assert sc["seccompProfile"] == {"type": "RuntimeDefault"} and sc["runAsUser"] == RUN_AS
    assert pod["metadata"]["annotations"][DO_NOT_DISRUPT] == "true"
    labels = pod["metadata"]["labels"]
    assert labels["app.kubernetes.io/name"] == "vllm" and labels["app.kubernetes.io/component"] == "serving"
    assert (labels["team"], labels["environment"], labels[LLM_SLOT], labels[LLM_ENDPOINT]) == (args.team, args.environment, args.slot, args.endpoint)
    assert labels["model"] == cfg.model.replace("/", ".").lower()
    assert "model" not in dep["spec"]["selector"]["matchLabels"], "selectors are immutable; a release changes the model"
    assert container["image"] == args.image


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_service_pdb_and_monitor(case):
    inventory, args = recorded(case)
    (svc,) = objects(inventory, "Service")
    assert svc["spec"]["type"] == "ClusterIP"
    assert svc["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
    (dep,) = objects(inventory, "Deployment")
    selector = dep["spec"]["selector"]["matchLabels"]
    assert svc["spec"]["selector"] == selector
    (pdb,) = objects(inventory, "PodDisruptionBudget")
    assert pdb["spec"]["selector"]["matchLabels"] == selector and pdb["spec"]["maxUnavailable"] == 1
    (monitor,) = objects(inventory, "PodMonitor")
    assert monitor["spec"]["selector"]["matchLabels"] == selector
    assert {LLM_ENDPOINT, LLM_SLOT, "team", "model"} <= set(monitor["spec"]["podTargetLabels"])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_scaled_object_uses_real_vllm_metrics(case):
    inventory, args = recorded(case)
    (so,) = objects(inventory, "ScaledObject")
    spec = so["spec"]
    assert spec["scaleTargetRef"]["name"] == f"{args.endpoint}-{args.slot}"
    assert (spec["minReplicaCount"], spec["maxReplicaCount"]) == (args.min_replicas, args.max_replicas)
    assert spec["fallback"]["replicas"] >= 1 and spec["cooldownPeriod"] > 0
    assert spec["advanced"]["horizontalPodAutoscalerConfig"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] > 0
    queries = " ".join(t["metadata"].get("query", "") for t in spec["triggers"])
    assert "vllm:num_requests_waiting" in queries
    assert vllm_metrics_in(queries) <= exported_metric_names()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_alerts_and_dashboard_use_real_vllm_metrics(case):
    inventory, _ = recorded(case)
    (rule,) = objects(inventory, "PrometheusRule")
    rules = rule["spec"]["groups"][0]["rules"]
    assert len(rules) >= 5
    names = {r["alert"] for r in rules}
    assert {"VllmHighErrorRate", "VllmSlowTimeToFirstToken", "VllmSlowRequests", "VllmQueueBuildingUp", "VllmKvCacheNearlyFull", "VllmStalled"} <= names
    exprs = " ".join(r["expr"] for r in rules)
    assert vllm_metrics_in(exprs) <= exported_metric_names(), vllm_metrics_in(exprs) - exported_metric_names()
    (cm,) = objects(inventory, "ConfigMap")
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    (body,) = cm["data"].values()
    board = json.loads(body)
    titles = " ".join(p["title"] for p in board["panels"])
    for needle in ("Time to first token", "Inter-token", "Tokens per second", "queued", "KV cache", "Cost per 1M"):
        assert needle in titles
    assert vllm_metrics_in(body) <= exported_metric_names(), vllm_metrics_in(body) - exported_metric_names()


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_role_reads_only_its_model_within_the_boundary(case):
    inventory, args = recorded(case)
    (role,) = inventory.of_type("aws:iam/role:Role")
    assert role.inputs["permissionsBoundary"] == args.boundary_arn
    assert json.loads(role.inputs["assumeRolePolicy"])["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert role.tags["team"] == args.team and role.tags["model"] == args.config.model
    policies = {r.name.rsplit("-", 2)[-2] + "-" + r.name.rsplit("-", 1)[-1]: r for r in inventory.of_type("aws:iam/rolePolicy:RolePolicy")}
    assert set(policies) == {"read-weights", "compile-cache"}
    statements = json.loads(policies["read-weights"].inputs["policy"])["Statement"]
    get = next(s for s in statements if s["Action"] == ["s3:GetObject"])
    assert get["Resource"] == [f"arn:aws:s3:::models-bkt/{args.config.model}/*"]
    listing = next(s for s in statements if s["Action"] == ["s3:ListBucket"])
    assert listing["Condition"]["StringLike"]["s3:prefix"] == [f"{args.config.model}/", f"{args.config.model}/*"]
    assert all("*" not in a for s in statements for a in s["Action"])
    (assoc,) = inventory.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
    (sa,) = objects(inventory, "ServiceAccount")
    assert (assoc.inputs["namespace"], assoc.inputs["serviceAccount"]) == (sa["metadata"]["namespace"], sa["metadata"]["name"])
    (dep,) = objects(inventory, "Deployment")
    assert dep["spec"]["template"]["spec"]["serviceAccountName"] == sa["metadata"]["name"]
    env = {e["name"]: e.get("value") for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert env["MODEL_S3_URI"] == f"s3://models-bkt/{args.config.model}/"
    # The compile cache: read and write only under compile-cache/<its model>/, which is where the pod writes.
    assert env["COMPILE_CACHE_S3_URI"] == f"s3://models-bkt/compile-cache/{args.config.model}/"
    cache = json.loads(policies["compile-cache"].inputs["policy"])["Statement"]
    writes = [s for s in statements + cache if "s3:PutObject" in s["Action"]]
    assert [w["Resource"] for w in writes] == [[f"arn:aws:s3:::models-bkt/compile-cache/{args.config.model}/*"]]
    assert all("*" not in a for s in cache for a in s["Action"])


def test_scale_to_zero_adds_a_gateway_wake_trigger():
    cfg = SlotConfig(model="Qwen/Qwen2.5-7B-Instruct", replicas={"min": 0, "max": 2})
    inventory = record_slot(slot_args(cfg, min_replicas=0, max_replicas=2, scale_to_zero=True))
    (so,) = objects(inventory, "ScaledObject")
    assert so["spec"]["minReplicaCount"] == 0
    wake = next(t for t in so["spec"]["triggers"] if t["name"] == "wake")
    assert wake["type"] == "prometheus" and wake["metadata"]["activationThreshold"] == "0"
    assert wake["metadata"]["query"] == (
        '(sum(increase(inference_objective_request_total{namespace="llm-chat",inference_pool="chat-blue"}[2m])) or vector(0)) + '
        '(sum(increase(inference_objective_request_error_total{namespace="llm-chat",inference_pool="chat-blue"}[2m])) or vector(0))')
    assert objects(inventory, "TriggerAuthentication") == []
    assert validation_errors(so, "1.34") == []


def test_without_scale_to_zero_there_is_no_wake_trigger():
    cfg = SlotConfig(model="Qwen/Qwen2.5-7B-Instruct")
    inventory = record_slot(slot_args(cfg, min_replicas=0, max_replicas=2, scale_to_zero=False))
    (so,) = objects(inventory, "ScaledObject")
    assert [t["type"] for t in so["spec"]["triggers"]] == ["prometheus", "prometheus"]
    assert objects(inventory, "TriggerAuthentication") == []


def test_idle_slot_without_standby_is_pinned_at_zero():
    cfg = SlotConfig(model="Qwen/Qwen2.5-7B-Instruct")
    inventory = record_slot(slot_args(cfg, slot="green", min_replicas=0, max_replicas=0))
    (dep,) = objects(inventory, "Deployment")
    assert dep["spec"]["replicas"] == 0
    (so,) = objects(inventory, "ScaledObject")
    assert so["metadata"]["annotations"]["autoscaling.keda.sh/paused-replicas"] == "0"
    assert validation_errors(so, "1.34") == []


def test_empty_slot_has_only_its_service():
    inventory = record_slot(slot_args(SlotConfig(), slot="green", min_replicas=0, max_replicas=0))
    assert [obj["kind"] for _, obj in inventory.kubernetes_objects()] == ["Service"]
    assert inventory.of_type("aws:iam/role:Role") == []


def test_hub_weights_need_no_role_and_use_the_token_secret():
    cfg = SlotConfig(model="BAAI/bge-m3", weights="hub", hub_token_secret="hf-token")
    inventory = record_slot(slot_args(cfg))
    assert inventory.of_type("aws:iam/role:Role") == []
    (dep,) = objects(inventory, "Deployment")
    env = {e["name"]: e for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
    assert "MODEL_S3_URI" not in env
    assert env["HF_TOKEN"]["valueFrom"]["secretKeyRef"] == {"name": "hf-token", "key": "HF_TOKEN"}


def test_outputs_and_parenting():
    cfg = SlotConfig(model="Qwen/Qwen2.5-7B-Instruct")
    inventory = record_slot(slot_args(cfg))
    (component,) = inventory.of_type("llm-platform:serving:ServingSlot")
    children = [r for r in inventory.resources if r is not component]
    assert children and all(r.parent == component.urn for r in children)
