"""The pure renderers on their own: probe budgets, drain timing, triggers, rules, IAM."""

from __future__ import annotations

import pytest

from components.serving import alerts, dashboard, iam, manifests, scaling
from components.serving.models import SlotConfig
from tests.serving.helpers import exported_metric_names, spec_for, vllm_metrics_in
from tests.support.manifests import validation_errors

MODEL = SlotConfig(model="meta-llama/Llama-3.1-70B-Instruct", gpus=4, memory_gib=320, startup_minutes=45, pre_stop_seconds=30,
                   shutdown_timeout_seconds=300)

PROM = "http://prometheus.monitoring.svc:9090"


def test_startup_budget_covers_the_configured_minutes():
    period, failures = manifests.startup_probe_budget(45 * 60)
    assert period * failures == 45 * 60
    probe = manifests.deployment(spec_for(MODEL))["spec"]["template"]["spec"]["containers"][0]["startupProbe"]
    assert probe["periodSeconds"] * probe["failureThreshold"] == 45 * 60
    assert manifests.startup_probe_budget(61, period=10) == (10, 7)  # rounds up, never short


def test_grace_period_covers_pre_stop_and_vllm_drain():
    assert manifests.termination_grace_seconds(MODEL) == 30 + 300 + 15


@pytest.mark.parametrize(("version", "action"), [("1.34", "sleep"), ("1.30", "sleep"), ("1.29", "exec")])
def test_pre_stop_uses_the_native_sleep_where_available(version, action):
    handler = manifests.pre_stop(20, version)
    assert list(handler) == [action]
    dep = manifests.deployment(spec_for(MODEL, kubernetes_version=version))
    assert validation_errors(dep, version) == []


def test_memory_limit_and_ephemeral_storage():
    dep = manifests.deployment(spec_for(SlotConfig(model="org/m", memory_gib=40, memory_limit_gib=48, weights="hub", model_cache_gib=120)))
    res = dep["spec"]["template"]["spec"]["containers"][0]["resources"]
    assert res["requests"]["memory"] == "40Gi" and res["limits"]["memory"] == "48Gi"
    assert res["requests"]["ephemeral-storage"] == "120Gi"


def test_fractional_cpu_is_rendered_in_millicores():
    dep = manifests.deployment(spec_for(SlotConfig(model="org/m", cpu=3.5)))
    assert dep["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "3500m"


def test_scale_to_zero_needs_a_wake_query():
    spec = spec_for(SlotConfig(model="org/m"), min_replicas=0, scale_to_zero=True)
    with pytest.raises(ValueError, match="needs a wake query"):
        scaling.scaled_object(spec, PROM)
    so = scaling.scaled_object(spec, PROM, "sum(x)")
    wake = so["spec"]["triggers"][-1]
    assert (wake["name"], wake["type"], wake["metadata"]["query"]) == ("wake", "prometheus", "sum(x)")
    assert wake["metadata"]["activationThreshold"] == "0" and validation_errors(so, "1.34") == []


def test_kv_cache_trigger_can_be_disabled():
    spec = spec_for(SlotConfig(model="org/m", scaling={"kvCacheTarget": None}))
    so = scaling.scaled_object(spec, PROM)
    assert [t["name"] for t in so["spec"]["triggers"]] == ["queue"]
    assert so["spec"]["triggers"][0]["metadata"]["serverAddress"] == PROM  # the URL it is given, nothing global
    assert so["spec"]["triggers"][0]["metadata"]["query"] == 'sum(vllm:num_requests_waiting{namespace="llm-chat",llm_endpoint="chat",llm_slot="blue"})'


def test_alert_rules_use_slo_thresholds_and_real_metrics():
    spec = spec_for(SlotConfig(model="org/m", slo={"ttftP95Seconds": 1.5, "errorRatePct": 0.5}))
    rules = {r["alert"]: r for r in alerts.rules(spec)}
    assert len(rules) >= 5
    assert rules["VllmSlowTimeToFirstToken"]["expr"].endswith("> 1.5")
    assert rules["VllmHighErrorRate"]["expr"].endswith("> 0.5") and rules["VllmHighErrorRate"]["labels"]["severity"] == "critical"
    assert all(r["labels"]["team"] == "applied-ai" for r in rules.values())
    used = vllm_metrics_in(" ".join(r["expr"] for r in rules.values()))
    assert used <= exported_metric_names()


def test_dashboard_cost_panels_only_with_a_price():
    spec = spec_for(SlotConfig(model="org/m"))
    without = {p["title"] for p in dashboard.dashboard(spec, None)["panels"]}
    with_price = {p["title"]: p for p in dashboard.dashboard(spec, 2.5)["panels"]}
    assert "Endpoint tokens per second by team (gateway)" in without
    assert set(with_price) - without == {"Cost per 1M generated tokens (at $2.5/replica-hour)", "Cost per request", "Cost per hour by team"}
    expr = with_price["Cost per 1M generated tokens (at $2.5/replica-hour)"]["targets"][0]["expr"]
    assert expr.startswith("(2.5 * count(vllm:num_requests_running{") and expr.endswith("* 1e6")
    assert "llm_endpoint_team:gateway_tokens:rate5m{" in expr  # tokens counted at the gateway
    assert len({p["id"] for p in with_price.values()}) == len(with_price)


def test_model_read_policy_is_scoped_to_the_prefix():
    doc = iam.model_read_policy("arn:aws:s3:::b", "arn:aws:kms:us-west-2:1:key/k", "org/m", "us-west-2")
    resources = [r for s in doc["Statement"] for r in s["Resource"]]
    assert resources == ["arn:aws:s3:::b/org/m/*", "arn:aws:s3:::b", "arn:aws:kms:us-west-2:1:key/k"]
    kms = doc["Statement"][2]
    assert kms["Condition"] == {"StringEquals": {"kms:ViaService": "s3.us-west-2.amazonaws.com"}}


def test_min_gpu_memory_pins_the_pod_to_big_enough_gpus():
    from components.gpu_pools.models import GpuPoolConfig
    from components.serving.placement import eligible_instance_types, instance_type_affinity

    pool = GpuPoolConfig(name="p", families=["g6e", "g6", "g5"], sizes=["12xlarge", "24xlarge", "xlarge"], gpu_limit=16)
    big = SlotConfig(model="meta-llama/Llama-3.1-70B-Instruct", gpus=4, min_gpu_memory_gib=48)
    assert eligible_instance_types(pool, big) == ["g6e.12xlarge", "g6e.24xlarge"]
    assert instance_type_affinity(pool, SlotConfig(model="org/m")) is None
    dep = manifests.deployment(spec_for(big, instance_types=tuple(instance_type_affinity(pool, big))))
    term = dep["spec"]["template"]["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]["nodeSelectorTerms"][0]
    assert term["matchExpressions"] == [{"key": "node.kubernetes.io/instance-type", "operator": "In", "values": ["g6e.12xlarge", "g6e.24xlarge"]}]
    assert validation_errors(dep, "1.34") == []
    assert "affinity" not in manifests.deployment(spec_for(SlotConfig(model="org/m")))["spec"]["template"]["spec"]
