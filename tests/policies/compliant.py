"""A small, hand-built stack that passes every policy: one resource of each kind the rules read.
Tests copy it, break one field and assert the exact violation."""

from __future__ import annotations

import copy
import json
from typing import Any

from policies.llm_policies import ResourceView

ACCOUNT = "123456789012"
STACK = "t"
PROJECT = "llm-platform"
TAGS = {"project": "llm-platform", "environment": "prod", "team": "ml-platform", "cost-center": "4410", "owner": "ml@example.com"}
BOUNDARY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/llm-platform-prod-boundary"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/llm-platform/vllm@sha256:{'a' * 64}"

NETWORK = "llm-platform:network:Network"
CLUSTER = "llm-platform:cluster:Cluster"
BOUNDARY = "llm-platform:boundary:Boundary"
REGISTRY = "llm-platform:registry:Registry"
GPU = "llm-platform:gpu_pools:GpuPools"
SLOT = "llm-platform:endpoint:Endpoint$llm-platform:serving:Slot"
ENDPOINT = "llm-platform:endpoint:Endpoint"


def urn(chain: str, typ: str, name: str) -> str:
    qualified = f"{chain}${typ}" if chain else typ
    return f"urn:pulumi:{STACK}::{PROJECT}::{qualified}::{name}"


def _doc(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trust(service: str) -> str:
    return _doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": ["sts:AssumeRole", "sts:TagSession"]})


def _vllm_deployment(slot: str, replicas: int | None) -> dict[str, Any]:
    labels = {"app.kubernetes.io/name": "vllm", "app.kubernetes.io/component": "serving", "team": "applied-ai",
              "model": "qwen.qwen2.5-7b-instruct", "environment": "prod", "llm_slot": slot, "llm_endpoint": "chat"}
    spec: dict[str, Any] = {
        "selector": {"matchLabels": {"app.kubernetes.io/name": "vllm", "llm_endpoint": "chat", "llm_slot": slot}},
        "template": {
            "metadata": {"labels": dict(labels)},
            "spec": {
                "nodeSelector": {"karpenter.sh/nodepool": "gpu-spot"},
                "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                "terminationGracePeriodSeconds": 120,
                "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
                "containers": [{
                    "name": "vllm",
                    "image": IMAGE,
                    "args": ["--model", "Qwen/Qwen2.5-7B-Instruct", "--shutdown-timeout", "90"],
                    "env": [{"name": "MODEL_S3_URI", "value": "s3://llm-platform-models/Qwen/Qwen2.5-7B-Instruct/"}],
                    "resources": {"requests": {"cpu": "4", "memory": "28Gi", "nvidia.com/gpu": "1"},
                                  "limits": {"memory": "28Gi", "nvidia.com/gpu": "1"}},
                    "startupProbe": {"httpGet": {"path": "/health", "port": 8000}, "failureThreshold": 120},
                    "readinessProbe": {"httpGet": {"path": "/health", "port": 8000}},
                    "lifecycle": {"preStop": {"sleep": {"seconds": 15}}},
                    "volumeMounts": [{"name": "dshm", "mountPath": "/dev/shm"}],
                    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
                }],
                "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "8Gi"}}],
            },
        },
    }
    if replicas is not None:
        spec["replicas"] = replicas
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": f"chat-{slot}", "namespace": "llm-chat", "labels": dict(labels)}, "spec": spec}


def _service(slot: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"chat-{slot}", "namespace": "llm-chat"},
            "spec": {"selector": {"app.kubernetes.io/name": "vllm", "llm_endpoint": "chat", "llm_slot": slot}, "ports": [{"port": 80, "targetPort": 8000}]}}


def _route(blue: int, green: int) -> dict[str, Any]:
    pool = {"group": "inference.networking.k8s.io", "kind": "InferencePool"}
    live = [{**pool, "name": "chat-blue", "weight": 100}] if not green else [
        {"name": "chat-blue", "weight": blue}, {"name": "chat-green", "weight": green}]
    return {"apiVersion": "aigateway.envoyproxy.io/v1beta1", "kind": "AIGatewayRoute",
            "metadata": {"name": "chat", "namespace": "llm-chat", "labels": {"team": "applied-ai", "llm-platform.io/token-quotas": "true"}},
            "spec": {"hostnames": ["chat.llm.internal"], "rules": [
                # The preview rule of the blue slot: only the release tooling's key reaches it.
                {"name": "preview-blue", "matches": [{"headers": [{"type": "Exact", "name": "X-LLM-Slot", "value": "blue"}]}],
                 "backendRefs": [{**pool, "name": "chat-blue"}]},
                {"name": "live", "backendRefs": live}]}}


def _pool(slot: str) -> dict[str, Any]:
    return {"apiVersion": "inference.networking.k8s.io/v1", "kind": "InferencePool",
            "metadata": {"name": f"chat-{slot}", "namespace": "llm-chat"},
            "spec": {"selector": {"matchLabels": {"app.kubernetes.io/name": "vllm", "llm_endpoint": "chat", "llm_slot": slot}},
                     "targetPorts": [{"number": 8000}], "endpointPickerRef": {"name": f"chat-{slot}-epp", "port": {"number": 9002}}}}


def _backends(slot: str) -> list[tuple[str, str, str, dict[str, Any], bool]]:
    return [
        (ENDPOINT, "kubernetes:gateway.envoyproxy.io/v1alpha1:Backend", f"chat-{slot}", {
            "apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "Backend", "metadata": {"name": f"chat-{slot}", "namespace": "llm-chat"},
            "spec": {"endpoints": [{"fqdn": {"hostname": f"chat-{slot}.llm-chat.svc.cluster.local", "port": 8000}}]}}, False),
        (ENDPOINT, "kubernetes:aigateway.envoyproxy.io/v1beta1:AIServiceBackend", f"chat-{slot}", {
            "apiVersion": "aigateway.envoyproxy.io/v1beta1", "kind": "AIServiceBackend", "metadata": {"name": f"chat-{slot}", "namespace": "llm-chat"},
            "spec": {"schema": {"name": "OpenAI"}, "backendRef": {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": f"chat-{slot}"}}}, False),
    ]


def _security_policy(name: str, section: str | None, secret: str) -> dict[str, Any]:
    ref = {"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "chat", **({"sectionName": section} if section else {})}
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "SecurityPolicy", "metadata": {"name": name, "namespace": "llm-chat"},
            "spec": {"targetRefs": [ref], "apiKeyAuth": {"credentialRefs": [{"kind": "Secret", "name": secret}],
                                                         "extractFrom": [{"headers": ["Authorization"]}]}}}


def _token_quotas() -> dict[str, Any]:
    cost = {"request": {"from": "Number", "number": 0},
            "response": {"from": "Metadata", "metadata": {"namespace": "io.envoy.ai_gateway", "key": "llm_output_token"}}}
    rule = {"clientSelectors": [{"headers": [{"name": "x-llm-client", "type": "RegularExpression", "value": r"applied-ai\..+"}]}],
            "limit": {"requests": 1000, "unit": "Minute"}, "cost": cost}
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "BackendTrafficPolicy", "metadata": {"name": "chat-traffic", "namespace": "llm-chat"},
            "spec": {"targetRefs": [{"group": "gateway.networking.k8s.io", "kind": "HTTPRoute", "name": "chat"}], "rateLimit": {"global": {"rules": [rule]}}}}


def _quota_store() -> list[tuple[str, str, str, dict[str, Any], bool]]:
    """Envoy Gateway's rate limit over an encrypted, multi-AZ ElastiCache group."""
    redis = {"url": "master.llm-platform-prod-rl.abc123.use1.cache.amazonaws.com:6379", "tls": {}}
    return [
        ("llm-platform:gateway:GatewayPlatform", "kubernetes:helm.sh/v3:Release", "envoy-gateway", {
            "chart": "oci://docker.io/envoyproxy/gateway-helm", "version": "v1.9.0",
            "values": {"config": {"envoyGateway": {"rateLimit": {"backend": {"type": "Redis", "redis": redis}}}}}}, False),
        ("llm-platform:ratelimit:RateLimitStore", "aws:elasticache/replicationGroup:ReplicationGroup", "quota-store", {
            "engine": "valkey", "atRestEncryptionEnabled": True, "transitEncryptionEnabled": True, "multiAzEnabled": True,
            "tags": {"component": "ratelimit-store"}}, True),
    ]


def _envoy_proxy() -> dict[str, Any]:
    return {"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "EnvoyProxy", "metadata": {"name": "proxy", "namespace": "envoy-gateway-system"},
            "spec": {"provider": {"type": "Kubernetes", "kubernetes": {"envoyService": {
                "type": "LoadBalancer", "annotations": {"service.beta.kubernetes.io/aws-load-balancer-scheme": "internal"}}}}}}


def resources() -> list[dict[str, Any]]:
    """(chain, type, name, props, taggable) rows of the compliant stack; fresh copies each call."""
    rows: list[tuple[str, str, str, dict[str, Any], bool]] = [
        ("", "pulumi:providers:aws", "aws", {"region": "us-east-1", "defaultTags": json.dumps({"tags": TAGS})}, False),
        ("", "pulumi:providers:kubernetes", "k8s", {}, False),
        (NETWORK, "aws:ec2/vpc:Vpc", "net-vpc", {"cidrBlock": "10.60.0.0/16", "tags": {"component": "network"}}, True),
        (NETWORK, "aws:ec2/flowLog:FlowLog", "net-flow-log", {"vpcId": "vpc-0123", "trafficType": "ALL", "tags": {"component": "network"}}, True),
        (CLUSTER, "aws:ec2/securityGroup:SecurityGroup", "cluster-nodes", {
            "vpcId": "vpc-0123", "ingress": [{"protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["10.60.0.0/16"]}],
            "tags": {"component": "cluster"}}, True),
        (ENDPOINT, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "nlb-https", {
            "securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.60.0.0/16",
            "tags": {"component": "endpoint"}}, True),
        (CLUSTER, "aws:eks/cluster:Cluster", "cluster", {
            "name": "llm-platform-prod", "version": "1.34",
            "vpcConfig": {"endpointPrivateAccess": True, "endpointPublicAccess": False, "subnetIds": ["subnet-1"]},
            "encryptionConfig": {"provider": {"keyArn": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k"}, "resources": ["secrets"]},
            "enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"],
            "accessConfig": {"authenticationMode": "API", "bootstrapClusterCreatorAdminPermissions": False},
            "tags": {"component": "cluster"}}, True),
        (CLUSTER, "aws:ec2/launchTemplate:LaunchTemplate", "system-lt", {
            "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 2},
            "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "volumeSize": 50}}],
            "tags": {"component": "cluster"}}, True),
        (BOUNDARY, "aws:iam/policy:Policy", "boundary", {"policy": _doc(
            {"Sid": "Ceiling", "Effect": "Allow", "Action": "*", "Resource": "*"},
            {"Sid": "NoBoundaryEscape", "Effect": "Deny", "Action": ["iam:DeleteRolePermissionsBoundary"], "Resource": "*"}),
            "tags": {"component": "boundary"}}, True),
        (CLUSTER, "aws:iam/role:Role", "cluster-role", {
            "assumeRolePolicy": trust("eks.amazonaws.com"), "permissionsBoundary": BOUNDARY_ARN, "tags": {"component": "cluster"}}, True),
        ("llm-platform:karpenter:Karpenter", "aws:iam/role:Role", "karpenter-controller", {
            "assumeRolePolicy": _doc({"Effect": "Allow", "Principal": {"Service": "pods.eks.amazonaws.com", "AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                      "Action": ["sts:AssumeRole", "sts:TagSession"]}),
            "permissionsBoundary": BOUNDARY_ARN, "tags": {"component": "karpenter"}}, True),
        ("llm-platform:karpenter:Karpenter", "aws:iam/rolePolicy:RolePolicy", "karpenter-controller", {
            "role": "karpenter-controller", "policy": _doc(
                {"Sid": "PassNodeRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": f"arn:aws:iam::{ACCOUNT}:role/karpenter-node"},
                {"Sid": "Describe", "Effect": "Allow", "Action": ["ec2:Describe*"], "Resource": "*"})}, False),
        (CLUSTER, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "cluster-policy", {
            "role": "cluster-role", "policyArn": "arn:aws:iam::aws:policy/AmazonEKSClusterPolicy"}, False),
        (REGISTRY, "aws:ecr/repository:Repository", "vllm", {
            "name": "llm-platform/vllm", "imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True},
            "tags": {"component": "registry"}}, True),
        (REGISTRY, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "vllm", {"repository": "llm-platform/vllm", "policy": "{}"}, False),
        (REGISTRY, "docker-build:index:Image", "vllm-image", {
            "buildArgs": {"VLLM_VERSION": "0.33.0", "VLLM_BASE_DIGEST": "b" * 64}, "push": True}, False),
        (REGISTRY, "aws:s3/bucket:Bucket", "models", {"bucket": "llm-platform-prod-models", "tags": {"component": "registry"}}, True),
        (REGISTRY, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "models", {
            "bucket": "llm-platform-prod-models", "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True,
            "restrictPublicBuckets": True}, False),
        (REGISTRY, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", "models", {
            "bucket": "llm-platform-prod-models", "rules": [{"applyServerSideEncryptionByDefault": {
                "sseAlgorithm": "aws:kms", "kmsMasterKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/m"}, "bucketKeyEnabled": True}]}, False),
        (REGISTRY, "aws:s3/bucketPolicy:BucketPolicy", "models", {"bucket": "llm-platform-prod-models", "policy": _doc(
            {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ["arn:aws:s3:::llm-platform-prod-models/*"],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}})}, False),
        (GPU, "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass", "gpu-spot", {
            "apiVersion": "karpenter.k8s.aws/v1", "kind": "EC2NodeClass", "metadata": {"name": "gpu-spot"},
            "spec": {"amiSelectorTerms": [{"alias": "bottlerocket@latest"}], "role": "karpenter-node",
                     "metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
                     "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"volumeSize": "4Gi", "encrypted": True}},
                                             {"deviceName": "/dev/xvdb", "ebs": {"volumeSize": "300Gi", "encrypted": True}}],
                     "tags": {**TAGS, "team": "applied-ai", "model": "Qwen/Qwen2.5-7B-Instruct", "endpoint": "chat", "pool": "gpu-spot"}}}, False),
        (GPU, "kubernetes:karpenter.sh/v1:NodePool", "gpu-spot", {
            "apiVersion": "karpenter.sh/v1", "kind": "NodePool", "metadata": {"name": "gpu-spot"},
            "spec": {"weight": 80, "limits": {"nvidia.com/gpu": 48},
                     "template": {"spec": {
                         "nodeClassRef": {"group": "karpenter.k8s.aws", "kind": "EC2NodeClass", "name": "gpu-spot"},
                         "taints": [{"key": "nvidia.com/gpu", "effect": "NoSchedule"}],
                         "requirements": [
                             {"key": "karpenter.k8s.aws/instance-family", "operator": "In", "values": ["g6e", "g6", "g5"]},
                             {"key": "karpenter.sh/capacity-type", "operator": "In", "values": ["spot", "on-demand"]}]}}}}, False),
        (CLUSTER, "kubernetes:storage.k8s.io/v1:StorageClass", "cluster-gp3-encrypted", {
            "metadata": {"name": "gp3-encrypted", "annotations": {"storageclass.kubernetes.io/is-default-class": "true"}},
            "provisioner": "ebs.csi.aws.com", "parameters": {"type": "gp3", "encrypted": "true"}}, False),
        (CLUSTER, "kubernetes:helm.sh/v3:Release", "kube-prometheus-stack", {
            "chart": "kube-prometheus-stack", "values": {"prometheus": {"prometheusSpec": {"storageSpec": {"volumeClaimTemplate": {
                "spec": {"storageClassName": "gp3-encrypted", "resources": {"requests": {"storage": "100Gi"}}}}}}}}}, False),
        (SLOT, "aws:iam/role:Role", "chat-blue-role", {
            "assumeRolePolicy": trust("pods.eks.amazonaws.com"), "permissionsBoundary": BOUNDARY_ARN,
            "tags": {"component": "serving", "team": "applied-ai", "model": "Qwen/Qwen2.5-7B-Instruct"}}, True),
        (SLOT, "kubernetes:apps/v1:Deployment", "chat-blue", _vllm_deployment("blue", None), False),
        (SLOT, "kubernetes:core/v1:Service", "chat-blue", _service("blue"), False),
        (SLOT, "kubernetes:policy/v1:PodDisruptionBudget", "chat-blue", {
            "apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "chat-blue", "namespace": "llm-chat"},
            "spec": {"maxUnavailable": 1, "selector": {"matchLabels": {"app.kubernetes.io/name": "vllm", "llm_endpoint": "chat", "llm_slot": "blue"}}}}, False),
        (SLOT, "kubernetes:keda.sh/v1alpha1:ScaledObject", "chat-blue", {
            "apiVersion": "keda.sh/v1alpha1", "kind": "ScaledObject", "metadata": {"name": "chat-blue", "namespace": "llm-chat"},
            "spec": {"scaleTargetRef": {"name": "chat-blue"}, "minReplicaCount": 2, "maxReplicaCount": 6}}, False),
        (SLOT, "kubernetes:core/v1:Service", "chat-green", _service("green"), False),
        (ENDPOINT, "kubernetes:networking.k8s.io/v1:NetworkPolicy", "chat-network-policy", {
            "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": {"name": "vllm-ingress", "namespace": "llm-chat"},
            "spec": {"podSelector": {"matchLabels": {"app.kubernetes.io/name": "vllm"}}, "policyTypes": ["Ingress"],
                     "ingress": [{"from": [{"ipBlock": {"cidr": "10.60.0.0/16"}}], "ports": [{"protocol": "TCP", "port": 8000}]}]}}, False),
        (ENDPOINT, "kubernetes:aigateway.envoyproxy.io/v1beta1:AIGatewayRoute", "chat", _route(100, 0), False),
        (ENDPOINT, "kubernetes:inference.networking.k8s.io/v1:InferencePool", "chat-blue", _pool("blue"), False),
        *_backends("blue"), *_backends("green"),
        (ENDPOINT, "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy", "chat-api-keys",
         _security_policy("chat-api-keys", None, "team-applied-ai-api-keys"), False),
        (ENDPOINT, "kubernetes:gateway.envoyproxy.io/v1alpha1:SecurityPolicy", "chat-preview",
         _security_policy("chat-preview", "preview-blue", "release-tooling-api-keys"), False),
        ("llm-platform:gateway:GatewayPlatform", "kubernetes:gateway.envoyproxy.io/v1alpha1:EnvoyProxy", "proxy", _envoy_proxy(), False),
        (ENDPOINT, "kubernetes:gateway.envoyproxy.io/v1alpha1:BackendTrafficPolicy", "chat-traffic", _token_quotas(), False),
        *_quota_store(),
    ]
    return [{"chain": c, "type": t, "name": n, "props": copy.deepcopy(p), "taggable": tg} for c, t, n, p, tg in rows]


def find(rows: list[dict[str, Any]], typ: str, name: str | None = None) -> dict[str, Any]:
    """The props of the row of type suffix `typ` (e.g. "Cluster") and name."""
    matches = [r for r in rows if r["type"].rsplit(":", 1)[-1] == typ and (name is None or r["name"] == name)]
    assert len(matches) == 1, f"{typ} {name}: {len(matches)} matches"
    return matches[0]["props"]


def views(rows: list[dict[str, Any]]) -> list[ResourceView]:
    """ResourceViews with effective tags computed the way the inventory does."""
    provider = next(r for r in rows if r["type"] == "pulumi:providers:aws")
    defaults = json.loads(provider["props"]["defaultTags"])["tags"] if "defaultTags" in provider["props"] else {}
    out = []
    for row in rows:
        parent = urn("", row["chain"].split("$")[-1], "c") if row["chain"] else f"urn:pulumi:{STACK}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{STACK}"
        tags = {**defaults, **(row["props"].get("tags") or {})} if row["taggable"] else None
        out.append(ResourceView(row["type"], row["name"], urn(row["chain"], row["type"], row["name"]), row["props"], tags, parent))
    return out
