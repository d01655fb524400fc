"""Pure renderers of the AWS Load Balancer Controller: Helm values, IngressClass, IngressClassParams."""

from __future__ import annotations

from typing import Any

from components.endpoint.iam import SERVICE_ACCOUNT
from components.endpoint.manifests import CONTROLLER, INGRESS_CLASS, PART_OF, inbound_cidrs, load_balancer_attributes
from components.endpoint.models import IngressConfig
from components.placement import SystemPlacement


def controller_values(cluster: str, region: str, vpc_id: str, ingress: IngressConfig, stack_tags: dict[str, str],
                      system: SystemPlacement) -> dict[str, Any]:
    return {
        "clusterName": cluster,
        # Region and VPC given explicitly: with IMDSv2 hop limit 1 the pods cannot discover them.
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": ingress.controller_replicas,
        # Bound to its role by an EKS Pod Identity association: no role-arn annotation.
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        # The IngressClass and its params are rendered and validated here, not by the chart.
        "createIngressClassResource": False,
        "ingressClass": INGRESS_CLASS,
        # Do not take over every `type: LoadBalancer` Service in the cluster (NLBs are not ours to make).
        "enableServiceMutatorWebhook": False,
        # Stack-wide cost tags on the ALB, its target groups and security groups.
        "defaultTags": dict(sorted(stack_tags.items())),
        "defaultSSLPolicy": ingress.ssl_policy,
        "priorityClassName": "system-cluster-critical",
        "nodeSelector": system.node_selector(**{"kubernetes.io/os": "linux"}),
        "tolerations": system.tolerations,
        "podDisruptionBudget": {"maxUnavailable": 1},
        "topologySpreadConstraints": [{
            "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": {"app.kubernetes.io/name": "aws-load-balancer-controller"}},
        }],
        "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"memory": "256Mi"}},
    }


def ingress_class_params(cluster: str, ingress: IngressConfig, vpc_cidr: str) -> dict[str, Any]:
    """Pins the group, scheme and client CIDRs for every Ingress of the class, and admits only the
    platform's namespaces, so no other workload can attach rules to the shared ALB."""
    spec: dict[str, Any] = {
        "group": {"name": cluster},
        "loadBalancerName": cluster,
        "scheme": ingress.scheme,
        "ipAddressType": "ipv4",
        "targetType": "ip",
        "inboundCIDRs": inbound_cidrs(ingress, vpc_cidr),
        "namespaceSelector": {"matchLabels": dict(PART_OF)},
        "loadBalancerAttributes": [{"key": k, "value": v} for k, v in load_balancer_attributes(ingress).items()],
    }
    if ingress.certificate_arn:
        spec["certificateArn"] = [ingress.certificate_arn]
        spec["sslPolicy"] = ingress.ssl_policy
    return {"apiVersion": "elbv2.k8s.aws/v1beta1", "kind": "IngressClassParams", "metadata": {"name": cluster}, "spec": spec}


def ingress_class(cluster: str) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "IngressClass",
        "metadata": {"name": INGRESS_CLASS},
        "spec": {
            "controller": CONTROLLER,
            "parameters": {"apiGroup": "elbv2.k8s.aws", "kind": "IngressClassParams", "name": cluster},
        },
    }
