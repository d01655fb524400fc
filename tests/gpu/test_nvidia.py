"""NVIDIA stack: device plugin only where the AMI lacks it, DCGM exporter + ServiceMonitor everywhere."""

from __future__ import annotations

from components.gpu_pools.manifests import POOL_LABEL
from components.nvidia import versions
from components.nvidia.values import dcgm_service_monitor, dcgm_values, device_plugin_values
from tests.gpu.helpers import pool, pools_inventory
from tests.support.manifests import crd_errors

GPU_TOLERATION = {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}


def _releases(inventory):
    return {r.inputs["name"]: r.inputs for r in inventory.of_type("kubernetes:helm.sh/v3:Release")}


def _pools_of(values):
    terms = values["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"]
    (expr,) = terms[0]["matchExpressions"]
    assert (expr["key"], expr["operator"]) == (POOL_LABEL, "In") == ("pool", "In")
    return expr["values"]


def test_bottlerocket_only_needs_no_device_plugin():
    releases = _releases(pools_inventory([pool(name="a"), pool(name="b")]))
    assert set(releases) == {"dcgm-exporter"}
    assert _pools_of(releases["dcgm-exporter"]["values"]) == ["a", "b"]


def test_device_plugin_runs_only_on_al2023_pools():
    releases = _releases(pools_inventory([pool(name="br"), pool(name="al", ami="al2023")]))
    plugin = releases["nvidia-device-plugin"]
    assert _pools_of(plugin["values"]) == ["al"]
    assert plugin["chart"] == versions.DEVICE_PLUGIN_CHART
    assert plugin["version"] == versions.DEVICE_PLUGIN_VERSION
    assert plugin["repositoryOpts"] == {"repo": versions.DEVICE_PLUGIN_REPOSITORY}
    assert GPU_TOLERATION in plugin["values"]["tolerations"]
    assert _pools_of(releases["dcgm-exporter"]["values"]) == ["br", "al"]


def test_dcgm_exporter_is_pinned_tolerates_the_gpu_taint_and_claims_no_gpu():
    releases = _releases(pools_inventory([pool()]))
    dcgm = releases["dcgm-exporter"]
    assert dcgm["chart"] == "dcgm-exporter" and dcgm["version"] == versions.DCGM_EXPORTER_VERSION
    assert dcgm["repositoryOpts"] == {"repo": versions.DCGM_EXPORTER_REPOSITORY}
    values = dcgm["values"]
    assert values["tolerations"] == [GPU_TOLERATION]
    assert "nvidia.com/gpu" not in str(values["resources"])
    assert values["serviceMonitor"] == {"enabled": False}


def test_service_monitor_validates_and_selects_the_exporter_service():
    monitor = dcgm_service_monitor(labels={"release": "kps"})
    assert crd_errors(monitor) == []
    assert monitor["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "dcgm-exporter", "app.kubernetes.io/instance": "dcgm-exporter"}
    assert monitor["spec"]["endpoints"][0]["port"] == "metrics"
    assert monitor["metadata"]["labels"]["release"] == "kps"
    inventory = pools_inventory([pool()])
    (applied,) = [obj for _, obj in inventory.kubernetes_objects() if obj["kind"] == "ServiceMonitor"]
    assert applied == dcgm_service_monitor()


def test_values_are_pure():
    assert dcgm_values(["a"]) == dcgm_values(["a"])
    assert device_plugin_values(["a"])["gfd"] == {"enabled": False}


def test_namespace_is_created_first_with_an_explicit_pod_security_level():
    from components.nvidia.values import nvidia_namespace
    from tests.support.manifests import core_errors

    namespace = nvidia_namespace()
    assert core_errors(namespace, "1.34") == []
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "privileged"
    inventory = pools_inventory([pool(name="al", ami="al2023")])
    (applied,) = [obj for _, obj in inventory.kubernetes_objects() if obj["kind"] == "Namespace"]
    assert applied == namespace
    assert all(r["namespace"] == "nvidia" and "createNamespace" not in r for r in _releases(inventory).values())
