"""The serving layer of the three synthesized stacks (the real program under mocks)."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from components.observability import versions
from components.observability.labels import LLM_ENDPOINT
from tests.conftest import synthesized
from tests.serving.helpers import exported_metric_names, serve_flags, vllm_metrics_in
from tests.support.manifests import validation_errors
from tests.support.paths import STACKS

SERVING_KINDS = {"Deployment", "Service", "PodDisruptionBudget", "ScaledObject", "TriggerAuthentication", "PodMonitor", "PrometheusRule", "ConfigMap", "ServiceAccount"}


def _serving(stack):
    inventory = synthesized(stack)
    by_kind = defaultdict(dict)
    for _, obj in inventory.kubernetes_objects():
        meta = obj["metadata"]
        if obj["kind"] in SERVING_KINDS and (meta.get("labels") or {}).get("app.kubernetes.io/name") == "vllm":
            by_kind[obj["kind"]][(meta["namespace"], meta["name"])] = obj
    return inventory, by_kind


@pytest.mark.parametrize("stack", STACKS)
def test_every_vllm_deployment_has_its_pdb_scaler_and_monitor(stack):
    _, objs = _serving(stack)
    deployments = objs["Deployment"]
    assert deployments, f"{stack}: no vLLM Deployment synthesized"
    for key, dep in deployments.items():
        assert key in objs["PodDisruptionBudget"] and key in objs["ScaledObject"] and key in objs["PodMonitor"] and key in objs["Service"], key
        assert key in objs["PrometheusRule"] and len(objs["PrometheusRule"][key]["spec"]["groups"][0]["rules"]) >= 5
        assert objs["ScaledObject"][key]["spec"]["scaleTargetRef"]["name"] == dep["metadata"]["name"]
        namespace = key[0]
        assert namespace == f"llm-{dep['metadata']['labels'][LLM_ENDPOINT]}"


@pytest.mark.parametrize("stack", STACKS)
def test_every_serving_object_validates(stack, configs):
    version = configs[stack].cluster.kubernetes_version
    _, objs = _serving(stack)
    for kind, items in objs.items():
        for key, obj in items.items():
            assert validation_errors(obj, version) == [], (kind, key)


@pytest.mark.parametrize("stack", STACKS)
def test_flags_and_metrics_exist_in_vllm(stack):
    _, objs = _serving(stack)
    for dep in objs["Deployment"].values():
        container = dep["spec"]["template"]["spec"]["containers"][0]
        assert {a for a in container["args"] if a.startswith("--")} <= serve_flags()
        assert container["image"].split("@")[1].startswith("sha256:") or ":" in container["image"]
    text = json.dumps([*objs["ScaledObject"].values(), *objs["PrometheusRule"].values(), *objs["ConfigMap"].values()])
    used = vllm_metrics_in(text)
    assert "vllm:num_requests_waiting" in used
    assert used <= exported_metric_names(), used - exported_metric_names()


def test_dev_slot_scales_to_zero_and_wakes_on_gateway_requests():
    """The wake metric comes from the slot's endpoint picker, which runs with no vLLM pod, and
    Prometheus scrapes it with the label the query selects on."""
    inventory, objs = _serving("dev")
    so = objs["ScaledObject"][("llm-chat", "chat-blue")]
    assert so["spec"]["minReplicaCount"] == 0
    wake = next(t for t in so["spec"]["triggers"] if t["name"] == "wake")
    assert 'inference_pool="chat-blue"' in wake["metadata"]["query"]
    monitor = next(o for _, o in inventory.kubernetes_objects()
                   if o["kind"] == "PodMonitor" and o["metadata"]["name"] == "chat-blue-epp")
    assert monitor["spec"]["podTargetLabels"] == ["inference-pool"]
    assert monitor["spec"]["selector"]["matchLabels"]["inference-pool"] == "chat-blue"
    assert not any(o["kind"] == "TriggerAuthentication" for _, o in inventory.kubernetes_objects())


@pytest.mark.parametrize("stack", STACKS)
def test_cluster_services_registry_and_model_store(stack):
    inventory = synthesized(stack)
    releases = {r.inputs["chart"]: r.inputs["version"] for r in inventory.of_type("kubernetes:helm.sh/v3:Release")}
    assert releases["keda"] == versions.KEDA_VERSION and releases["kube-prometheus-stack"] == versions.PROMETHEUS_VERSION
    (repo,) = inventory.of_type("aws:ecr/repository:Repository")
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE" and repo.inputs["imageScanningConfiguration"]["scanOnPush"] is True
    assert len(inventory.of_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")) == 1
    assert len(inventory.of_type("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")) == 1  # the model bucket's
    roles = inventory.of_type("aws:iam/role:Role")
    assert roles
    for role in roles:
        assert role.inputs.get("permissionsBoundary"), role.name
    # Built once in dev; staging and prod run the image of the stack before them, by digest.
    images = inventory.of_type("docker-build:index:Image")
    if stack == "dev":
        (image,) = images
        repo_url = image.inputs["tags"][0].rsplit(":", 1)[0]
        assert inventory.outputs["servingImage"].startswith(f"{repo_url}@sha256:")
    else:
        # The StackReference is a read (not in the inventory); the synth stand-in answers with
        # the referenced stack's repository, so the output names where the image came from.
        assert not images
        earlier = {"staging": "dev", "prod": "staging"}[stack]
        assert f"/llm-platform-{earlier}/vllm-serving@sha256:" in inventory.outputs["servingImage"]


@pytest.mark.parametrize("stack", STACKS)
def test_serving_aws_resources_carry_team_and_model(stack, configs):
    inventory = synthesized(stack)
    teams = {e.team for e in configs[stack].endpoints.values()}
    serving = [r for r in inventory.resources if r.tags is not None and r.tags.get("component") == "serving"]
    assert serving
    for resource in serving:
        assert resource.tags["team"] in teams and resource.tags["model"], resource.name
