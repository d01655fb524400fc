"""The real program, synthesized: both slots of every endpoint, weighted Ingresses on one shared
ALB with header rules, the controller inside the boundary, and the Ingress URN promote targets."""

from __future__ import annotations

import json

import pytest

from components.endpoint import versions
from components.endpoint.names import ingress_urn
from tests.conftest import synthesized
from tests.support.manifests import validation_errors

ALB = "alb.ingress.kubernetes.io"


def objects(stack: str, kind: str) -> list[dict]:
    return [obj for _, obj in synthesized(stack).kubernetes_objects() if obj["kind"] == kind]


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_every_endpoint_has_two_slot_services_and_one_weighted_ingress(stack, configs):
    cfg = configs[stack]
    services = {(o["metadata"]["namespace"], o["metadata"]["name"]) for o in objects(stack, "Service")}
    ingresses = {o["metadata"]["name"]: o for o in objects(stack, "Ingress")}
    assert set(ingresses) == set(cfg.endpoints)
    groups = set()
    for name, endpoint in cfg.endpoints.items():
        obj = ingresses[name]
        annotations = obj["metadata"]["annotations"]
        namespace = obj["metadata"]["namespace"]
        assert namespace == f"llm-{name}"
        assert {(namespace, f"{name}-blue"), (namespace, f"{name}-green")} <= services
        weighted = json.loads(annotations[f"{ALB}/actions.weighted"])["forwardConfig"]["targetGroups"]
        assert {t["serviceName"]: t["weight"] for t in weighted} == {f"{name}-blue": endpoint.weights.blue, f"{name}-green": endpoint.weights.green}
        for slot in ("blue", "green"):
            condition = json.loads(annotations[f"{ALB}/conditions.slot-{slot}"])[0]
            assert condition["httpHeaderConfig"] == {"httpHeaderName": "X-LLM-Slot", "values": [slot]}
        assert annotations[f"{ALB}/scheme"] == "internal"
        groups.add(annotations[f"{ALB}/group.name"])
        assert validation_errors(obj, cfg.cluster.kubernetes_version) == []
    assert groups == {f"llm-platform-{stack}"}  # one ALB per stack


def test_slots_run_what_the_weights_say(configs):
    deployments = {o["metadata"]["name"]: o for o in objects("prod", "Deployment") if o["metadata"]["namespace"].startswith("llm-")}
    # chat: green idle with a model -> a Deployment (standbyReplicas 1); code/embed green: empty -> none
    assert {"chat-blue", "chat-green", "code-blue", "embed-blue"} == set(deployments)
    dev = {o["metadata"]["name"] for o in objects("dev", "Deployment") if o["metadata"]["namespace"].startswith("llm-")}
    assert dev == {"chat-blue"}


def test_namespaces_are_restricted_and_labelled(configs):
    for stack in ("dev", "prod"):
        for name, endpoint in configs[stack].endpoints.items():
            ns = next(o for o in objects(stack, "Namespace") if o["metadata"]["name"] == f"llm-{name}")
            labels = ns["metadata"]["labels"]
            assert labels["pod-security.kubernetes.io/enforce"] == "restricted" and labels["team"] == endpoint.team


def test_serving_pods_satisfy_the_restricted_profile():
    """The namespaces enforce `restricted`: a vLLM pod that does not satisfy it would never start."""
    serving = [obj for obj in objects("prod", "Deployment") if obj["metadata"]["namespace"].startswith("llm-")]
    vllm = [obj for obj in serving if obj["metadata"]["labels"].get("app.kubernetes.io/name") == "vllm"]
    assert len(vllm) == 4  # prod: chat blue + green, code blue, embed blue (and whatever else runs beside them)
    for obj in serving:
        pod = obj["spec"]["template"]["spec"]
        assert pod.get("securityContext", {}).get("runAsNonRoot") is True or all(
            c.get("securityContext", {}).get("runAsNonRoot") for c in pod["containers"]), obj["metadata"]["name"]
        for container in pod["containers"] + pod.get("initContainers", []):
            ctx = container.get("securityContext", {})
            assert ctx.get("allowPrivilegeEscalation") is False, container["name"]
            assert ctx.get("capabilities", {}).get("drop") == ["ALL"], container["name"]
        seccomp = pod.get("securityContext", {}).get("seccompProfile", {}).get("type")
        assert seccomp in ("RuntimeDefault", "Localhost") or all(
            c.get("securityContext", {}).get("seccompProfile", {}).get("type") in ("RuntimeDefault", "Localhost") for c in pod["containers"])


def test_promote_targets_exist():
    inventory = synthesized("prod")
    for name in ("chat", "code", "embed"):
        resource = inventory.by_urn(ingress_urn("prod", name))
        assert resource is not None and resource.type == "kubernetes:networking.k8s.io/v1:Ingress"


def test_controller_is_pinned_bounded_and_on_system_nodes():
    inventory = synthesized("prod")
    release = next(r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs.get("chart") == versions.CHART)
    assert release.inputs["version"] == versions.CHART_VERSION
    assert release.inputs["repositoryOpts"]["repo"] == versions.CHART_REPOSITORY
    values = release.inputs["values"]
    assert values["nodeSelector"]["node-role"] == "system" and values["clusterName"] == "llm-platform-prod"
    role = next(r for r in inventory.of_type("aws:iam/role:Role") if r.inputs.get("name") == "llm-platform-prod-alb-controller")
    assert role.inputs["permissionsBoundary"]
    trust = json.loads(role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    association = next(r for r in inventory.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                       if r.inputs.get("serviceAccount") == "aws-load-balancer-controller")
    assert association.inputs["namespace"] == "kube-system"
    params = objects("prod", "IngressClassParams")[0]
    assert params["spec"]["group"] == {"name": "llm-platform-prod"} and params["spec"]["scheme"] == "internal"
    assert validation_errors(params, "1.34") == []


def _glob(pattern: str):
    """Pulumi's --target glob: `**` spans anything, `*` stays within a `:`-free run."""
    import re

    parts = re.split(r"(\*\*|\*)", pattern)
    return re.compile("^" + "".join(".*" if p == "**" else "[^:]*" if p == "*" else re.escape(p) for p in parts) + "$")


def test_slot_targets_select_exactly_one_slot():
    from components.endpoint.names import slot_target

    inventory = synthesized("prod")
    matcher = _glob(slot_target("prod", "chat", "green"))
    matched = [r for r in inventory.resources if matcher.match(r.urn)]
    assert {r.name for r in matched} >= {"chat-green-deployment", "chat-green-scaler", "chat-green-service"}
    assert all(r.name.startswith("chat-green-") for r in matched)
    children = [r for r in inventory.resources if r.name.startswith("chat-green-")]
    assert len(matched) == len(children)
    engine = "urn:pulumi:prod::llm-platform::llm-platform:endpoint:Endpoint$llm-platform:serving:ServingSlot$kubernetes:apps/v1:Deployment::"
    assert matcher.match(engine + "chat-green-deployment") and not matcher.match(engine + "chat-blue-deployment")
