"""Pure renderers of the stack's gateway platform: Envoy Gateway and Envoy AI Gateway Helm values,
the GatewayClass, the EnvoyProxy (proxies on system nodes behind an NLB) and the one Gateway.

TLS terminates on the NLB with the ACM certificate from config: an ACM certificate's private key
never leaves ACM, so Envoy could only terminate TLS with a second certificate managed in-cluster;
the NLB's TLS listener takes the ACM certificate and policy directly, and the hop from the NLB to
the proxy pods stays inside the VPC (ip targets). The Gateway's listeners are therefore HTTP, one
per endpoint host, on the port the NLB forwards to (443 with a certificate, 80 without).
"""

from __future__ import annotations

from typing import Any

from components.gateway.models import GatewayConfig
from components.gateway.names import CLIENT_ID_HEADER, GATEWAY_NAMESPACE, ROUTES_NAMESPACE_LABEL, gateway_name, proxy_pod_labels
from components.gateway.versions import AI_GATEWAY_NAMESPACE
from components.observability.metering import request_header_attributes
from components.placement import SystemPlacement

CONTROLLER_NAME = "gateway.envoyproxy.io/gatewayclass-controller"
EG_GROUP = "gateway.envoyproxy.io"
NLB = "service.beta.kubernetes.io"
# The AWS Load Balancer Controller's class: it (not the in-tree cloud provider) builds the NLB.
NLB_CLASS = "service.k8s.aws/nlb"
# The AI Gateway controller's extension server, which Envoy Gateway calls to add the AI filters
# and the InferencePool endpoint-picker hooks (ai-gateway v1.1.0 manifests/envoy-gateway-values.yaml).
AI_GATEWAY_EXTENSION_HOST = f"ai-gateway-controller.{AI_GATEWAY_NAMESPACE}.svc.cluster.local"
AI_GATEWAY_EXTENSION_PORT = 1063


def envoy_gateway_values(system: SystemPlacement, rate_limit: dict[str, Any] | None = None, lua: bool = False) -> dict[str, Any]:
    """`rate_limit`: the `config.envoyGateway` keys of the quota store (components.ratelimit.render
    rate_limit_values), when some endpoint has token quotas. `lua`: admit Lua EnvoyExtensionPolicies
    (off by default: envoyproxy/gateway@v1.9.0 api/v1alpha1/envoygateway_helpers.go LuaDisabled),
    when some endpoint has team priorities (components.gateway.priorities)."""
    hooks = {"translation": {k: {"includeAll": True} for k in ("listener", "route", "cluster", "secret")},
             "post": ["Translation", "Cluster", "Route"]}
    limits = rate_limit or {}
    return {
        "config": {"envoyGateway": {
            **({"rateLimit": limits["rateLimit"]} if limits else {}),
            "gateway": {"controllerName": CONTROLLER_NAME},
            "provider": limits.get("provider", {"type": "Kubernetes"}),
            "logging": {"level": {"default": "info"}},
            # Backend: the AI Gateway's AIServiceBackends point at Envoy Gateway Backends.
            "extensionApis": {"enableBackend": True, **({"enableLua": True} if lua else {})},
            "extensionManager": {
                "hooks": {"xdsTranslator": hooks},
                "service": {"fqdn": {"hostname": AI_GATEWAY_EXTENSION_HOST, "port": AI_GATEWAY_EXTENSION_PORT}},
                # InferencePool backendRefs are resolved by the extension server (EPP ext_proc per route).
                "backendResources": [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "version": "v1"}],
            },
        }},
        "deployment": {"replicas": 2, "pod": {"nodeSelector": system.node_selector(**{"kubernetes.io/os": "linux"}),
                                              "tolerations": system.tolerations}},
        "podDisruptionBudget": {"minAvailable": 1},
    }


def ai_gateway_values(system: SystemPlacement) -> dict[str, Any]:
    # metricsRequestHeaderAttributes: the verified client id becomes a label of the ext_proc's token
    # metrics only, not of spans or access logs (manifests/charts/ai-gateway-helm/values.yaml and
    # templates/deployment.yaml @v1.1.0 pass it to the controller, which configures the sidecars).
    return {"controller": {"replicaCount": 2, "nodeSelector": system.node_selector(**{"kubernetes.io/os": "linux"}),
                           "tolerations": system.tolerations,
                           "metricsRequestHeaderAttributes": request_header_attributes(CLIENT_ID_HEADER)}}


def proxy_name(cluster: str) -> str:
    return f"{cluster}-proxy"


def nlb_annotations(cluster: str, cfg: GatewayConfig) -> dict[str, str]:
    """The proxy Service's NLB: ip targets (pods, no NodePort hop), cross-zone, internal unless the
    stack allows internet-facing, TLS with ACM when a certificate is configured."""
    annotations = {
        f"{NLB}/aws-load-balancer-name": cluster[:32],
        f"{NLB}/aws-load-balancer-type": "external",
        f"{NLB}/aws-load-balancer-nlb-target-type": "ip",
        f"{NLB}/aws-load-balancer-scheme": cfg.scheme,
        f"{NLB}/aws-load-balancer-ip-address-type": "ipv4",
        f"{NLB}/aws-load-balancer-attributes": "load_balancing.cross_zone.enabled=true",
        # Long generations: keep streams open while the proxy drains (deregistration waits for it).
        f"{NLB}/aws-load-balancer-target-group-attributes": f"deregistration_delay.timeout_seconds={min(cfg.request_timeout_seconds, 3600)}",
        f"{NLB}/aws-load-balancer-healthcheck-protocol": "TCP",
    }
    if cfg.certificate_arn:
        annotations.update({
            f"{NLB}/aws-load-balancer-ssl-cert": cfg.certificate_arn,
            f"{NLB}/aws-load-balancer-ssl-ports": str(cfg.listener_port),
            f"{NLB}/aws-load-balancer-ssl-negotiation-policy": cfg.ssl_policy,
            f"{NLB}/aws-load-balancer-backend-protocol": "tcp",
        })
    return annotations


def envoy_proxy(cluster: str, cfg: GatewayConfig, vpc_cidr: Any, system: SystemPlacement) -> dict[str, Any]:
    """`vpc_cidr` may be a Pulumi Output (it is only placed)."""
    sources = [str(c) for c in cfg.allowed_cidrs] or [vpc_cidr]
    return {
        "apiVersion": f"{EG_GROUP}/v1alpha1",
        "kind": "EnvoyProxy",
        "metadata": {"name": proxy_name(cluster), "namespace": GATEWAY_NAMESPACE},
        "spec": {"provider": {"type": "Kubernetes", "kubernetes": {
            "envoyDeployment": {
                "replicas": cfg.proxy_replicas,
                "pod": {
                    "nodeSelector": system.node_selector(**{"kubernetes.io/os": "linux"}),
                    "tolerations": system.tolerations,
                    "topologySpreadConstraints": [{
                        "maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "ScheduleAnyway",
                        "labelSelector": {"matchLabels": proxy_pod_labels(cluster)},
                    }],
                },
            },
            "envoyPDB": {"minAvailable": 1},
            "envoyService": {
                "type": "LoadBalancer",
                "loadBalancerClass": NLB_CLASS,
                "externalTrafficPolicy": "Local",
                "loadBalancerSourceRanges": sources,
                "annotations": nlb_annotations(cluster, cfg),
            },
        }}},
    }


def gateway_class(cluster: str) -> dict[str, Any]:
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "GatewayClass",
        "metadata": {"name": cluster},
        "spec": {
            "controllerName": CONTROLLER_NAME,
            "parametersRef": {"group": EG_GROUP, "kind": "EnvoyProxy", "name": proxy_name(cluster), "namespace": GATEWAY_NAMESPACE},
        },
    }


def listener_name(endpoint: str) -> str:
    return endpoint


def gateway(cluster: str, cfg: GatewayConfig, hosts: dict[str, str]) -> dict[str, Any]:
    """One Gateway per stack; `hosts` maps endpoint name -> host, one listener each. Only namespaces
    labelled ROUTES_NAMESPACE_LABEL (the endpoint namespaces the stack creates) may attach routes."""
    allowed = {"namespaces": {"from": "Selector", "selector": {"matchLabels": {ROUTES_NAMESPACE_LABEL: "true"}}},
               "kinds": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute"}]}
    listeners = [
        {"name": listener_name(endpoint), "hostname": host, "port": cfg.listener_port, "protocol": "HTTP", "allowedRoutes": allowed}
        for endpoint, host in sorted(hosts.items())
    ]
    return {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "Gateway",
        "metadata": {"name": gateway_name(cluster), "namespace": GATEWAY_NAMESPACE},
        "spec": {"gatewayClassName": cluster, "listeners": listeners},
    }
