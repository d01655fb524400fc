"""The admission policies: rendered for every stack, valid for the cluster's Kubernetes version
(kubernetes-validate, strict), and their CEL refuses what it must and admits the stack's own
objects (evaluated with cel-python against admission requests)."""

from __future__ import annotations

import celpy
import pytest

from components.admission.policy import (
    ALB_INGRESS_CONTROLLER,
    LOAD_BALANCERS,
    ROUTE_NAMESPACES,
    SERVICE_SCHEME,
    admission_objects,
    load_balancer_policy,
    route_namespace_policy,
)
from components.gateway.names import GATEWAY_NAMESPACE, ROUTES_NAMESPACE_LABEL
from infra.config import load_stack
from tests.conftest import synthesized
from tests.support.manifests import core_errors
from tests.support.paths import REPO_ROOT, STACKS

ENV = celpy.Environment()


def refusals(policy: dict, kind: str, obj: dict) -> list[str]:
    """Messages of the validations that fail for `obj` (what the API server would answer)."""
    activation = {"object": celpy.json_to_cel(obj), "request": celpy.json_to_cel({"kind": {"kind": kind}})}
    out = []
    for validation in policy["spec"]["validations"]:
        if not ENV.program(ENV.compile(validation["expression"])).evaluate(activation):
            out.append(validation["message"])
    return out


def service(namespace: str, type_: str = "LoadBalancer", scheme: str | None = None) -> dict:
    annotations = {SERVICE_SCHEME: scheme} if scheme else {}
    return {"metadata": {"name": "s", "namespace": namespace, "annotations": annotations}, "spec": {"type": type_}}


def ingress_class(controller: str | None) -> dict:
    return {"metadata": {"name": "c"}, "spec": {"controller": controller} if controller else {}}


PRIVATE = load_balancer_policy([GATEWAY_NAMESPACE], internet_facing=False)
PUBLIC = load_balancer_policy([GATEWAY_NAMESPACE], internet_facing=True)


def test_load_balancer_services_only_in_the_gateway_namespace_and_internal_unless_allowed():
    assert refusals(PRIVATE, "Service", service(GATEWAY_NAMESPACE, scheme="internal")) == []
    assert refusals(PRIVATE, "Service", service("team-x", type_="ClusterIP")) == []
    assert refusals(PRIVATE, "Service", {"metadata": {"namespace": "team-x"}, "spec": {}}) == []
    assert refusals(PRIVATE, "Service", service("team-x", scheme="internal")) == [
        f"a LoadBalancer Service is allowed only in {GATEWAY_NAMESPACE} (the stack's gateway)"]
    # No scheme annotation: the in-tree controller would build an internet-facing load balancer.
    assert refusals(PRIVATE, "Service", service(GATEWAY_NAMESPACE)) == [
        f"this stack allows no internet-facing load balancer: a LoadBalancer Service needs {SERVICE_SCHEME}: internal"]
    assert refusals(PUBLIC, "Service", service(GATEWAY_NAMESPACE, scheme="internet-facing")) == []


def test_no_ingress_class_can_hand_ingresses_to_the_load_balancer_controller():
    """The gateway is the one front door (issue 14: no second, ALB path to maintain)."""
    refused = ["the gateway is this stack's one front door: no IngressClass for the AWS Load Balancer Controller (ALB Ingresses)"]
    for policy in (PRIVATE, PUBLIC):
        assert refusals(policy, "IngressClass", ingress_class(ALB_INGRESS_CONTROLLER)) == refused
        assert refusals(policy, "IngressClass", ingress_class("k8s.io/ingress-nginx")) == []
        assert refusals(policy, "IngressClass", ingress_class(None)) == []
    rules = PRIVATE["spec"]["matchConstraints"]["resourceRules"]
    assert {r for rule in rules for r in rule["resources"]} == {"services", "ingressclasses"}


def test_only_stack_namespaces_may_carry_the_routes_label():
    policy = route_namespace_policy(["llm-chat", "llm-code"])
    ns = lambda name, labels: {"metadata": {"name": name, "labels": labels}}  # noqa: E731
    assert refusals(policy, "Namespace", ns("llm-chat", {ROUTES_NAMESPACE_LABEL: "true"})) == []
    assert refusals(policy, "Namespace", ns("team-x", {"team": "x"})) == []
    assert refusals(policy, "Namespace", {"metadata": {"name": "bare"}}) == []
    assert refusals(policy, "Namespace", ns("team-x", {ROUTES_NAMESPACE_LABEL: "true"})) == [
        f"only namespaces this stack created may carry {ROUTES_NAMESPACE_LABEL} (attach routes to its Gateway)"]


@pytest.mark.parametrize("stack", STACKS)
def test_policies_are_rendered_bound_and_valid_for_the_cluster_version(stack):
    cfg = load_stack(stack, REPO_ROOT)
    objects = {(o["kind"], o["metadata"]["name"]): o for _, o in synthesized(stack).kubernetes_objects()
               if o["apiVersion"].startswith("admissionregistration.k8s.io/")}
    kinds = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
    assert set(objects) == {(k, n) for k in kinds for n in (LOAD_BALANCERS, ROUTE_NAMESPACES)}
    for (kind, name), obj in objects.items():
        assert core_errors(obj, cfg.cluster.kubernetes_version) == [], (kind, name)
        if kind == kinds[1]:
            assert obj["spec"] == {"policyName": name, "validationActions": ["Deny"]}
    routes = objects[(kinds[0], ROUTE_NAMESPACES)]
    assert routes == route_namespace_policy([f"llm-{e}" for e in cfg.endpoints])
    internet = cfg.gateway.scheme == "internet-facing"
    assert objects[(kinds[0], LOAD_BALANCERS)] == load_balancer_policy([GATEWAY_NAMESPACE], internet)


@pytest.mark.parametrize("version", ["1.34", "1.35", "1.36"])
def test_policies_validate_for_the_versions_the_stacks_move_to(version):
    for obj in admission_objects([GATEWAY_NAMESPACE], ["llm-chat"], internet_facing=False):
        assert core_errors(obj, version) == []


@pytest.mark.parametrize("stack", STACKS)
def test_the_stack_own_objects_are_admitted(stack):
    objects = [o for _, o in synthesized(stack).kubernetes_objects()]
    policies = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ValidatingAdmissionPolicy"}
    checked = 0
    for obj in objects:
        if obj["kind"] in ("Service", "IngressClass"):
            checked += 1
            assert refusals(policies[LOAD_BALANCERS], obj["kind"], obj) == [], obj["metadata"]
        elif obj["kind"] == "Namespace":
            checked += 1
            assert refusals(policies[ROUTE_NAMESPACES], "Namespace", obj) == [], obj["metadata"]
    assert checked > 5
