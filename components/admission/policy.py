"""Pure renderers of the stack's ValidatingAdmissionPolicies and their bindings
(admissionregistration.k8s.io/v1, GA since Kubernetes 1.30; CEL evaluated by the API server).

- load balancers: a Service of type LoadBalancer only in the namespaces that front the stack (the
  gateway's), and, unless the stack allows internet-facing load balancers, only explicitly
  internal (the in-tree controller makes an internet-facing one by default); no IngressClass for
  the AWS Load Balancer Controller, so no Ingress can build an ALB beside the gateway (the
  controller's own IngressClass is off, components/gateway/lb_values.py; this closes the door on
  one made by hand).
- route namespaces: only the namespaces the stack created may carry the label that lets a
  namespace attach routes to the stack's Gateway (ROUTES_NAMESPACE_LABEL).
The stack's lists are literals in the CEL: the policy changes with the stack, no parameter object.
"""

from __future__ import annotations

import json
from typing import Any

from components.gateway.names import ROUTES_NAMESPACE_LABEL

API_VERSION = "admissionregistration.k8s.io/v1"
LOAD_BALANCERS = "llm-platform-load-balancers"
ROUTE_NAMESPACES = "llm-platform-route-namespaces"
# AWS Load Balancer Controller annotations (kubernetes-sigs.github.io/aws-load-balancer-controller).
SERVICE_SCHEME = "service.beta.kubernetes.io/aws-load-balancer-scheme"
# The controller name an IngressClass must carry for the AWS Load Balancer Controller to build an ALB
# for its Ingresses (kubernetes-sigs/aws-load-balancer-controller docs: ingress/ingress_class).
ALB_INGRESS_CONTROLLER = "ingress.k8s.aws/alb"


def _cel_list(values: list[str]) -> str:
    return json.dumps(sorted(values))  # a JSON list of strings is a CEL list literal


def _annotation(key: str) -> str:
    meta = "object.metadata"
    return f"(has({meta}.annotations) && '{key}' in {meta}.annotations ? {meta}.annotations['{key}'] : '')"


def _rule(groups: list[str], resources: list[str]) -> dict[str, Any]:
    return {"apiGroups": groups, "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"], "resources": resources}


def _policy(name: str, rules: list[dict[str, Any]], validations: list[dict[str, str]]) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": {"name": name},
        "spec": {"failurePolicy": "Fail", "matchConstraints": {"resourceRules": rules}, "validations": validations},
    }


def load_balancer_policy(lb_namespaces: list[str], internet_facing: bool) -> dict[str, Any]:
    is_lb = "request.kind.kind != 'Service' || !has(object.spec.type) || object.spec.type != 'LoadBalancer'"
    is_class = "request.kind.kind != 'IngressClass' || !has(object.spec.controller)"
    validations = [{
        "expression": f"{is_lb} || object.metadata.namespace in {_cel_list(lb_namespaces)}",
        "message": f"a LoadBalancer Service is allowed only in {', '.join(sorted(lb_namespaces))} (the stack's gateway)",
        "reason": "Forbidden",
    }]
    if not internet_facing:
        validations += [
            {"expression": f"{is_lb} || {_annotation(SERVICE_SCHEME)} == 'internal'",
             "message": f"this stack allows no internet-facing load balancer: a LoadBalancer Service needs {SERVICE_SCHEME}: internal",
             "reason": "Forbidden"},
        ]
    validations.append({
        "expression": f"{is_class} || object.spec.controller != '{ALB_INGRESS_CONTROLLER}'",
        "message": "the gateway is this stack's one front door: no IngressClass for the AWS Load Balancer Controller (ALB Ingresses)",
        "reason": "Forbidden",
    })
    return _policy(LOAD_BALANCERS, [_rule([""], ["services"]), _rule(["networking.k8s.io"], ["ingressclasses"])], validations)


def route_namespace_policy(route_namespaces: list[str]) -> dict[str, Any]:
    labelled = f"has(object.metadata.labels) && '{ROUTES_NAMESPACE_LABEL}' in object.metadata.labels"
    return _policy(ROUTE_NAMESPACES, [_rule([""], ["namespaces"])], [{
        "expression": f"!({labelled}) || object.metadata.name in {_cel_list(route_namespaces)}",
        "message": f"only namespaces this stack created may carry {ROUTES_NAMESPACE_LABEL} (attach routes to its Gateway)",
        "reason": "Forbidden",
    }])


def binding(policy: dict[str, Any]) -> dict[str, Any]:
    name = policy["metadata"]["name"]
    return {
        "apiVersion": API_VERSION,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name},
        "spec": {"policyName": name, "validationActions": ["Deny"]},
    }


def admission_objects(lb_namespaces: list[str], route_namespaces: list[str], internet_facing: bool) -> list[dict[str, Any]]:
    """Both policies, each followed by its binding."""
    out = []
    for policy in (load_balancer_policy(lb_namespaces, internet_facing), route_namespace_policy(route_namespaces)):
        out += [policy, binding(policy)]
    return out
