"""Pure renderer of the AWS Load Balancer Controller's Helm values. The controller only builds the
NLB of the gateway proxies' Service (loadBalancerClass service.k8s.aws/nlb); Ingress handling is
fenced off: no IngressClass, and the legacy `kubernetes.io/ingress.class` / group-name annotations
are ignored, so no Ingress can ever create an ALB beside the gateway."""

from __future__ import annotations

from typing import Any

from components.gateway.lb_iam import SERVICE_ACCOUNT
from components.gateway.models import GatewayConfig
from components.placement import SystemPlacement


def controller_values(cluster: str, region: str, vpc_id: str, gateway: GatewayConfig, stack_tags: dict[str, str],
                      system: SystemPlacement) -> dict[str, Any]:
    return {
        "clusterName": cluster,
        # Region and VPC given explicitly: with IMDSv2 hop limit 1 the pods cannot discover them.
        "region": region,
        "vpcId": vpc_id,
        "replicaCount": gateway.controller_replicas,
        # Bound to its role by an EKS Pod Identity association: no role-arn annotation.
        "serviceAccount": {"create": True, "name": SERVICE_ACCOUNT},
        "createIngressClassResource": False,
        "disableIngressClassAnnotation": True,
        "disableIngressGroupNameAnnotation": True,
        # Only Services that ask for the controller's class (the gateway proxies) get a load balancer.
        "enableServiceMutatorWebhook": False,
        # Stack-wide cost tags on the NLB, its target groups and security groups.
        "defaultTags": dict(sorted(stack_tags.items())),
        "defaultSSLPolicy": gateway.ssl_policy,
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
