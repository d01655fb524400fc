"""Admission: applies the stack's ValidatingAdmissionPolicies and bindings (components.admission.policy)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi

from components.admission.policy import admission_objects
from components.k8s import apply


@dataclass
class AdmissionArgs:
    # Namespaces where a LoadBalancer Service may exist (the gateway's front door).
    load_balancer_namespaces: list[str]
    # The endpoint namespaces the stack creates (the only ones that may attach routes).
    route_namespaces: list[str]
    # The stack's setting: may a load balancer face the internet?
    internet_facing: bool
    depends_on: list[pulumi.Resource] = field(default_factory=list)


class Admission(pulumi.ComponentResource):
    """Expects opts.providers to hold the cluster's Kubernetes provider."""

    def __init__(self, name: str, args: AdmissionArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("llm-platform:admission:Admission", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on))
        created: list[pulumi.Resource] = []
        for obj in admission_objects(args.load_balancer_namespaces, args.route_namespaces, args.internet_facing):
            # A binding must not precede its policy (it would bind nothing until the policy exists).
            opts = child if obj["kind"] == "ValidatingAdmissionPolicy" else pulumi.ResourceOptions(parent=self, depends_on=created[-1:])
            created.append(apply(f"{name}-{obj['metadata']['name']}-{obj['kind'].lower()}", obj, opts))
        self.register_outputs({})
