"""Every rule: the compliant stack passes, and breaking one field yields exactly one violation of
exactly that rule, with the message asserted word for word."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest

from policies.llm_policies import RULES, evaluate
from tests.policies.compliant import ACCOUNT, TAGS, find, resources, views

Rows = list[dict[str, Any]]


def _set(kind: str, name: str | None, path: str | tuple[str, ...], value: Any) -> Callable[[Rows], None]:
    """Set (or delete) the field at `path` ("a.0.b", or a tuple when a key holds dots)."""
    def mutate(rows: Rows) -> None:
        node = find(rows, kind, name)
        *head, last = path.split(".") if isinstance(path, str) else path
        for key in head:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is _DELETE:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = value
    return mutate


_DELETE = object()
DEP = "Deployment llm-chat/chat-blue"
C = "spec.template.spec.containers.0"


def _drop(kind: str, name: str | None = None) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        rows[:] = [r for r in rows if not (r["type"].rsplit(":", 1)[-1] == kind and (name is None or r["name"] == name))]
    return mutate


def _env(environment: str) -> Callable[[Rows], None]:
    return _set("aws", None, "defaultTags", json.dumps({"tags": {**TAGS, "environment": environment}}))


def _weights(blue: Any, green: Any) -> Callable[[Rows], None]:
    """The live rule as a canary over the two slots' AIServiceBackends."""
    def mutate(rows: Rows) -> None:
        rules = find(rows, "AIGatewayRoute")["spec"]["rules"]
        rules[1]["backendRefs"] = [{"name": "chat-blue", "weight": blue}, {"name": "chat-green", "weight": green}]
    return mutate


def _twin_deployment(rows: Rows) -> None:
    """A second Deployment whose pods carry the blue slot's labels: the pool would pick them up too."""
    row = copy.deepcopy(next(r for r in rows if r["type"].endswith(":Deployment")))
    row["name"] = row["props"]["metadata"]["name"] = "chat-blue-twin"
    rows.append(row)


def _both(*mutations: Callable[[Rows], None]) -> Callable[[Rows], None]:
    def mutate(rows: Rows) -> None:
        for m in mutations:
            m(rows)
    return mutate


def _trust(principal: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}]})


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


# (policy, mutation, exact messages)
CASES: list[tuple[str, Callable[[Rows], None], list[str]]] = [
    ("required-cost-tags", _set("aws", None, "defaultTags", json.dumps({"tags": {k: v for k, v in TAGS.items() if k != "cost-center"}})),
     [f"{kind}: effective tags lack cost-center; set them in the stack's llm-platform:tags (provider default_tags) or on the resource"
      for kind in ("Vpc net-vpc", "FlowLog net-flow-log", "SecurityGroup cluster-nodes", "SecurityGroupIngressRule nlb-https",
                   "Cluster cluster", "LaunchTemplate system-lt", "Policy boundary", "Role cluster-role", "Role karpenter-controller",
                   "Repository vllm", "Bucket models", "Role chat-blue-role", "ReplicationGroup quota-store")]),
    ("required-cost-tags", _set("EC2NodeClass", None, "spec.tags", {"pool": "gpu-spot", "team": "applied-ai", "model": "Qwen/Qwen2.5-7B-Instruct"}),
     ["EC2NodeClass gpu-spot: spec.tags lacks project, environment, cost-center, owner; instances Karpenter launches would not be "
      "attributed: render the stack's tags into spec.tags"]),
    ("serving-model-tag", _set("Deployment", None, "spec.template.metadata.labels.model", ""),
     [f"{DEP}: spec.template.metadata.labels lacks model; label serving pods with their model and team"]),
    ("serving-model-tag", _set("Role", "chat-blue-role", "tags", {"component": "serving", "team": "applied-ai"}),
     ["Role chat-blue-role: serving resource lacks tag(s) model; pass team=..., model=... to resource_tags()"]),
    ("no-public-ingress", _set("SecurityGroupIngressRule", None, "cidrIpv4", "0.0.0.0/0"),
     ["SecurityGroupIngressRule nlb-https: ingress from 0.0.0.0/0; nothing may be (the stack has no public endpoint) open to the world: "
      "use the VPC CIDR or a prefix list"]),
    ("no-public-ingress", _set("SecurityGroup", None, "ingress.0.cidrBlocks", ["0.0.0.0/0"]),
     ["SecurityGroup cluster-nodes ingress[0]: ingress from 0.0.0.0/0; nothing may be (the stack has no public endpoint) open to the "
      "world: use the VPC CIDR or a prefix list"]),
    ("vpc-flow-logs", _drop("FlowLog"), ["Vpc net-vpc: no VPC flow log; add an aws.ec2.FlowLog (trafficType ALL) for this VPC"]),
    ("eks-private-endpoint", _set("Cluster", None, "vpcConfig.endpointPublicAccess", True),
     ["Cluster cluster: the API endpoint is public in prod; set vpcConfig.endpointPublicAccess false (reach it over VPN/VPC)"]),
    ("eks-private-endpoint", _both(_env("staging"), _set("NodePool", None, ("spec", "limits", "nvidia.com/gpu"), 16), _set("Cluster", None, "vpcConfig.endpointPublicAccess", True)),
     ["Cluster cluster: the public API endpoint is open to 0.0.0.0/0; list office/VPN CIDRs in vpcConfig.publicAccessCidrs or make it private"]),
    ("eks-bootstrap-open", _both(_set("Cluster", None, "vpcConfig.endpointPublicAccess", True),
                                 _set("Cluster", None, "vpcConfig.publicAccessCidrs", ["203.0.113.7/32"]),
                                 _set("Cluster", None, "tags.llm-platform-bootstrap", "open")),
     ["Cluster cluster: the stack is in its bootstrap state: the public API endpoint admits 203.0.113.7/32; once an operator network "
      "reaches the private endpoint (cluster.operatorCidrs or an in-VPC runner), remove cluster.bootstrap and run pulumi up from there"]),
    ("pvc-storage-class", _set("Release", "kube-prometheus-stack", "values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate.spec.storageClassName", _DELETE),
     ["Release kube-prometheus-stack values.prometheus.prometheusSpec.storageSpec.volumeClaimTemplate: storageClassName is unset; "
      "name a StorageClass this stack creates (created: gp3-encrypted)"]),
    ("eks-secrets-encryption", _set("Cluster", None, "encryptionConfig.resources", []),
     ["Cluster cluster: secrets are not envelope-encrypted; set encryptionConfig {provider.keyArn: <KMS key>, resources: [secrets]}"]),
    ("eks-control-plane-logs", _set("Cluster", None, "enabledClusterLogTypes", ["api", "audit", "authenticator"]),
     ["Cluster cluster: control-plane log types controllerManager, scheduler are off; enable all of api, audit, authenticator, "
      "controllerManager, scheduler in enabledClusterLogTypes"]),
    ("eks-authentication-mode", _set("Cluster", None, "accessConfig.authenticationMode", "API_AND_CONFIG_MAP"),
     ["Cluster cluster: authenticationMode is API_AND_CONFIG_MAP; set accessConfig.authenticationMode API and grant access with access entries"]),
    ("iam-permissions-boundary", _set("Role", "cluster-role", "permissionsBoundary", _DELETE),
     ["Role cluster-role: no permissions boundary; pass permissions_boundary=boundary.policy_arn"]),
    ("iam-no-admin-wildcard", _set("RolePolicy", None, "policy", _policy({"Effect": "Allow", "Action": "*", "Resource": "*"})),
     ["RolePolicy karpenter-controller: policy Statement[0] allows Action \"*\" on Resource \"*\"; list the actions and resources it needs"]),
    ("iam-no-admin-wildcard", _set("RolePolicyAttachment", None, "policyArn", "arn:aws:iam::aws:policy/AdministratorAccess"),
     ["RolePolicyAttachment cluster-policy: attaches AdministratorAccess; grant the actions the workload needs instead"]),
    ("iam-no-passrole-wildcard", _set("RolePolicy", None, "policy", _policy({"Effect": "Allow", "Action": ["iam:PassRole"], "Resource": "*"})),
     ["RolePolicy karpenter-controller: policy Statement[0] allows iam:PassRole on Resource \"*\"; restrict Resource to the role ARNs it passes"]),
    ("iam-trust-principals", _set("Role", "cluster-role", "assumeRolePolicy", _trust({"AWS": "arn:aws:iam::999999999999:root"})),
     [f"Role cluster-role: assumeRolePolicy Statement[0] trusts AWS arn:aws:iam::999999999999:root; only the root of the stack's "
      f"account {ACCOUNT} (or its OIDC providers) may be trusted"]),
    ("iam-trust-principals", _set("Role", "cluster-role", "assumeRolePolicy", _trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/ci"})),
     [f"Role cluster-role: assumeRolePolicy Statement[0] trusts AWS arn:aws:iam::{ACCOUNT}:role/ci; only the root of the stack's "
      f"account {ACCOUNT} (or its OIDC providers) may be trusted"]),
    ("iam-trust-principals", _set("Role", "cluster-role", "assumeRolePolicy", _trust({"Service": "lambda.amazonaws.com"})),
     ["Role cluster-role: assumeRolePolicy Statement[0] trusts Service lambda.amazonaws.com; allowed services: ec2.amazonaws.com, "
      "eks.amazonaws.com, eks-nodegroup.amazonaws.com, pods.eks.amazonaws.com, vpc-flow-logs.amazonaws.com, events.amazonaws.com, "
      "sqs.amazonaws.com, logs.amazonaws.com (policy config trustedServices)"]),
    ("ecr-immutable-tags", _set("Repository", None, "imageTagMutability", "MUTABLE"),
     ["Repository vllm: image tags are mutable; set image_tag_mutability IMMUTABLE"]),
    ("ecr-scan-on-push", _set("Repository", None, "imageScanningConfiguration.scanOnPush", False),
     ["Repository vllm: images are not scanned on push; set image_scanning_configuration scan_on_push true"]),
    ("ecr-lifecycle-policy", _drop("LifecyclePolicy"),
     ["Repository vllm: no lifecycle policy; add an aws.ecr.LifecyclePolicy expiring untagged and old images"]),
    ("s3-public-access-block", _set("BucketPublicAccessBlock", None, "restrictPublicBuckets", False),
     ["BucketPublicAccessBlock models: restrictPublicBuckets not true for bucket models; set all four to true"]),
    ("s3-public-access-block", _drop("BucketPublicAccessBlock"),
     ["Bucket models: no public access block; add an aws.s3.BucketPublicAccessBlock with blockPublicAcls, blockPublicPolicy, "
      "ignorePublicAcls, restrictPublicBuckets true"]),
    ("s3-encryption-kms", _set("BucketServerSideEncryptionConfiguration", None, "rules.0.applyServerSideEncryptionByDefault",
                               {"sseAlgorithm": "AES256"}),
     ["Bucket models: not encrypted with SSE-KMS; add a BucketServerSideEncryptionConfiguration with sse_algorithm aws:kms and kms_master_key_id"]),
    ("s3-tls-only", _drop("BucketPolicy"),
     ["Bucket models: no bucket policy denies non-TLS requests; add a Deny statement with Condition Bool aws:SecureTransport false"]),
    ("gpu-nodepool-taint", _set("NodePool", None, "spec.template.spec.taints", []),
     ["NodePool gpu-spot: GPU nodes are not tainted; add taint {key: nvidia.com/gpu, effect: NoSchedule} to spec.template.spec.taints"]),
    ("gpu-nodepool-limit", _set("NodePool", None, ("spec", "limits", "nvidia.com/gpu"), 129),
     ["NodePool gpu-spot: GPU NodePools allow 129 GPUs in total (gpu-spot 129), over the prod budget of 128; lower the pools' gpuLimit "
      "or raise policy config gpuBudget.prod"]),
    ("gpu-nodepool-limit", _set("NodePool", None, "spec.limits", {"cpu": 1000}),
     ["NodePool gpu-spot: no limits.nvidia.com/gpu; a pool without a GPU limit can scale without bound: set spec.limits.nvidia.com/gpu"]),
    ("gpu-on-demand-path", _set("NodePool", None, "spec.template.spec.requirements.1.values", ["spot"]),
     ["NodePool gpu-spot: spot-only GPU pool in prod; add on-demand to the karpenter.sh/capacity-type requirement (capacityTypes: [spot, on-demand])"]),
    ("gpu-node-cost-tags", _set("EC2NodeClass", None, "spec.tags.team", "ml-platform"),
     ["Deployment llm-chat/chat-blue: its NodePool gpu-spot tags GPU instances team='ml-platform' model='Qwen/Qwen2.5-7B-Instruct'; its spend must bill "
      "to team 'applied-ai' and its model: give each slot its own NodePool (components/gpu_pools/attribution.py)"]),
    ("gpu-node-cost-tags", _set("Deployment", "chat-blue", "metadata.labels.team", "search"),
     ["Deployment llm-chat/chat-blue: its NodePool gpu-spot tags GPU instances team='applied-ai' model='Qwen/Qwen2.5-7B-Instruct'; its spend must bill "
      "to team 'search' and its model: give each slot its own NodePool (components/gpu_pools/attribution.py)"]),
    ("gpu-spot-first", _both(_env("dev"), _set("NodePool", None, ("spec", "limits", "nvidia.com/gpu"), 8), _set("NodePool", None, "spec.template.spec.requirements.1.values", ["on-demand"])),
     ["NodePool gpu-spot: on-demand-only GPU pool in dev; add spot to the karpenter.sh/capacity-type requirement (spot costs ~60% less)"]),
    ("gpu-instance-families", _set("NodePool", None, "spec.template.spec.requirements.0.values", ["g6e", "g4dn"]),
     ["NodePool gpu-spot: instance families g4dn are not allowed; allowed: g5, g6, g6e, p4d, p4de, p5, p5e, p5en (policy config allowedInstanceFamilies)"]),
    ("imdsv2-required", _set("EC2NodeClass", None, "spec.metadataOptions.httpTokens", "optional"),
     ["EC2NodeClass gpu-spot: IMDSv2 not enforced; set spec.metadataOptions.httpTokens required (hop limit 1)"]),
    ("imdsv2-required", _set("LaunchTemplate", None, "metadataOptions", {}),
     ["LaunchTemplate system-lt: IMDSv2 not enforced; set metadata_options http_tokens required"]),
    ("encrypted-volumes", _set("EC2NodeClass", None, "spec.blockDeviceMappings.1.ebs.encrypted", False),
     ["EC2NodeClass gpu-spot: spec.blockDeviceMappings[1] (/dev/xvdb) is not encrypted; set ebs.encrypted true"]),
    ("encrypted-volumes", _set("LaunchTemplate", None, "blockDeviceMappings.0.ebs.encrypted", "false"),
     ["LaunchTemplate system-lt: block_device_mappings[0] (/dev/xvda) is not encrypted; set ebs.encrypted true"]),
    ("vllm-gpu-requests-equal-limits", _set("Deployment", None, (*C.split("."), "resources", "requests", "nvidia.com/gpu"), "2"),
     [f"{DEP}: container vllm requests 2 nvidia.com/gpu but limits 1; make requests equal limits"]),
    ("vllm-memory-limits", _set("Deployment", None, f"{C}.resources.limits.memory", _DELETE),
     [f"{DEP}: container vllm has no memory limit; set resources.limits.memory"]),
    ("vllm-probes", _set("Deployment", None, f"{C}.startupProbe", _DELETE),
     [f"{DEP}: container vllm lacks startupProbe; probe /health so traffic waits for the model to load"]),
    ("vllm-image-pinned", _set("Deployment", None, f"{C}.image", "vllm/vllm-openai:latest"),
     [f"{DEP}: container vllm image 'vllm/vllm-openai:latest' is not pinned; use a digest (@sha256:...) or a release tag"]),
    ("vllm-image-pinned", _set("Deployment", None, f"{C}.image", "vllm/vllm-openai:v0.33.0"),
     [f"{DEP}: container vllm image 'vllm/vllm-openai:v0.33.0' is tag-pinned outside the stack's ECR; pin it by digest"]),
    ("vllm-pinned-model", _set("Deployment", None, f"{C}.args", ["--model", "org/m", "--shutdown-timeout", "90", "--trust-remote-code"]),
     [f"{DEP}: --trust-remote-code without --revision <40-hex commit>; set the slot's revision (and trustRemoteCode: true)"]),
    ("vllm-pinned-model", _both(_set("Deployment", None, f"{C}.env", []),
                                _set("Deployment", None, f"{C}.args", ["--model", "org/m", "--shutdown-timeout", "90", "--revision", "main"])),
     [f"{DEP}: hub weights without --revision <40-hex commit>; pin the slot's revision so every replica loads the same weights"]),
    ("image-base-digest", _set("Image", None, "buildArgs.VLLM_BASE_DIGEST", _DELETE),
     ["Image vllm-image: no base image digest; set registry.baseImageDigest to the sha256 of vllm/vllm-openai:v<vllmVersion> "
      "(docker buildx imagetools inspect)"]),
    ("vllm-shm", _set("Deployment", None, "spec.template.spec.volumes.0.emptyDir", {"medium": "Memory"}),
     [f"{DEP}: /dev/shm volume dshm is not a sized in-memory emptyDir; set emptyDir medium Memory and sizeLimit"]),
    ("vllm-graceful-shutdown", _set("Deployment", None, "spec.template.spec.terminationGracePeriodSeconds", 60),
     [f"{DEP}: terminationGracePeriodSeconds 60 < preStop sleep 15 + --shutdown-timeout 90; raise it to at least 105 or in-flight "
      "requests are cut off"]),
    ("vllm-graceful-shutdown", _both(_set("Deployment", None, f"{C}.args", ["--model", "Qwen/Qwen2.5-7B-Instruct"]),
                                     _set("Deployment", None, f"{C}.env", [{"name": "SHUTDOWN_TIMEOUT", "value": "200"},
                                                                                  {"name": "MODEL_S3_URI", "value": "s3://b/m/"}])),
     [f"{DEP}: terminationGracePeriodSeconds 120 < preStop sleep 15 + --shutdown-timeout 200; raise it to at least 215 or in-flight "
      "requests are cut off"]),
    ("vllm-pdb", _set("PodDisruptionBudget", None, "spec.selector.matchLabels.slot", "green"),
     [f"{DEP}: no PodDisruptionBudget selects its pods; add one (maxUnavailable 1) matching its pod labels"]),
    ("vllm-network-policy", _set("NetworkPolicy", None, ("spec", "podSelector", "matchLabels", "app.kubernetes.io/name"), "other"),
     [f"{DEP}: no ingress NetworkPolicy selects its pods; add one admitting only the serving port from the VPC "
      "(components/endpoint serving_network_policy)"]),
    ("vllm-security-context", _set("Deployment", None, f"{C}.securityContext.allowPrivilegeEscalation", True),
     [f"{DEP}: container vllm is not restricted; set allowPrivilegeEscalation false"]),
    ("endpoint-weights", _weights(90, 0),
     ["AIGatewayRoute llm-chat/chat: rule live weights sum to 90 (chat-blue=90, chat-green=0); they must sum to 100"]),
    ("endpoint-no-empty-slot", _weights(50, 50),
     ["AIGatewayRoute llm-chat/chat: rule live sends 50% to AIServiceBackend chat-green, which selects no Deployment (an empty slot); "
      "set the weight to 0 or give the slot a model"]),
    ("endpoint-no-empty-slot", _set("AIGatewayRoute", None, "spec.rules.1.backendRefs.0.name", "chat-green"),
     ["AIGatewayRoute llm-chat/chat: rule live sends 100% to InferencePool chat-green, which does not exist; set the weight to 0 or deploy that slot"]),
    ("endpoint-no-empty-slot", _set("ScaledObject", None, "spec.maxReplicaCount", 0),
     ["AIGatewayRoute llm-chat/chat: rule live sends 100% to InferencePool chat-blue, whose Deployment chat-blue can never run a pod "
      "(replicas 0, no ScaledObject above 0); fix replicas or the weight"]),
    ("gateway-route-team", _set("AIGatewayRoute", None, "metadata.labels", {}),
     ["AIGatewayRoute llm-chat/chat: no team label; every route belongs to the team that owns its endpoint"]),
    ("gateway-no-public-listener",
     _set("EnvoyProxy", None, ("spec", "provider", "kubernetes", "envoyService", "annotations", "service.beta.kubernetes.io/aws-load-balancer-scheme"), "internet-facing"),
     ["EnvoyProxy envoy-gateway-system/proxy: load balancer scheme internet-facing; set llm-platform:gateway.scheme internal, "
      "or allow it with policy config publicEndpoint: true"]),
    ("gateway-route-authenticated", _drop("SecurityPolicy", "chat-api-keys"),
     ["AIGatewayRoute llm-chat/chat: no SecurityPolicy authenticates it; every route needs API keys or JWT (components/gateway/access.py)"]),
    ("gateway-route-authenticated", _drop("SecurityPolicy", "chat-preview"),
     ["AIGatewayRoute llm-chat/chat: preview rule preview-blue has no SecurityPolicy of its own; anyone with a team key could pick a slot"]),
    ("gateway-token-quotas", _drop("BackendTrafficPolicy"),
     ["AIGatewayRoute llm-chat/chat: the endpoint has token quotas but no BackendTrafficPolicy rate limits its route (components/gateway/quotas.py)"]),
    ("gateway-token-quotas", _set("BackendTrafficPolicy", None, "spec.rateLimit.global.rules.0.cost.request.number", 1),
     ["AIGatewayRoute llm-chat/chat: a rate-limit rule does not count a team's tokens; select on x-llm-client, "
      "request cost 0 and response cost from io.envoy.ai_gateway metadata"]),
    ("gateway-quota-store", _drop("ReplicationGroup"),
     ["Release envoy-gateway: no rate-limit store of the stack backs Envoy Gateway's redis url: an ElastiCache group encrypted at rest "
      "and in transit (an in-cluster Service of the stack outside prod)"]),
    ("gateway-quota-store", _set("Release", "envoy-gateway", "values.config.envoyGateway.rateLimit.backend.redis.tls", _DELETE),
     ["Release envoy-gateway: the ElastiCache store encrypts in transit but Envoy Gateway's redis settings have no tls; set rateLimit.backend.redis.tls"]),
    ("gateway-quota-store", _set("ReplicationGroup", None, "multiAzEnabled", False),
     ["Release envoy-gateway: the prod rate-limit store is in one zone; set multi_az_enabled with a replica and automatic failover"]),
    ("gateway-quota-store", _set("Release", "envoy-gateway", "values.config.envoyGateway.rateLimit", {}),
     ["Release envoy-gateway: Envoy Gateway has no rateLimit.backend.redis.url; set it from the stack's rate-limit store (components/ratelimit)"]),
    ("inference-pool-own-slot", _twin_deployment,
     ["InferencePool llm-chat/chat-blue: selects the pods of 2 Deployments (chat-blue, chat-blue-twin); it must select exactly its slot's"]),
    ("inference-pool-own-slot", _set("InferencePool", None, "spec.selector.matchLabels", {"app.kubernetes.io/name": "vllm", "llm_slot": "blue"}),
     ["InferencePool llm-chat/chat-blue: selector lacks llm_endpoint of Deployment chat-blue's selector; it could pick up other pods"]),
]


def test_compliant_stack_passes_every_policy():
    assert evaluate(views(resources())) == []


def test_every_policy_has_a_break_case():
    assert {rule.name for rule in RULES} == {policy for policy, _, _ in CASES}


@pytest.mark.parametrize(("policy", "mutate", "messages"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_one_broken_field_is_one_violation(policy, mutate, messages):
    rows = resources()
    mutate(rows)
    found = evaluate(views(rows))
    assert [(v.policy, v.message) for v in found] == [(policy, m) for m in messages]


def test_world_open_https_is_allowed_only_with_a_public_endpoint():
    rows = resources()
    find(rows, "SecurityGroupIngressRule")["cidrIpv4"] = "0.0.0.0/0"
    find(rows, "EnvoyProxy")["spec"]["provider"]["kubernetes"]["envoyService"]["annotations"][
        "service.beta.kubernetes.io/aws-load-balancer-scheme"] = "internet-facing"
    allowed = {"gateway-no-public-listener": {"publicEndpoint": True}, "no-public-ingress": {"publicEndpoint": True}}
    assert evaluate(views(rows), allowed) == []
    assert [v.policy for v in evaluate(views(rows))] == ["gateway-no-public-listener"]
    find(rows, "SecurityGroupIngressRule").update(fromPort=80, toPort=80)
    assert [v.message for v in evaluate(views(rows), allowed)] == [
        "SecurityGroupIngressRule nlb-https: ingress from 0.0.0.0/0; only TCP 443 of an internet-facing endpoint may be open to the world: "
        "use the VPC CIDR or a prefix list"]
    assert evaluate(views(rows), {"no-public-ingress": {"publicEndpoint": False}})[0].policy == "no-public-ingress"


def test_a_node_pool_serving_two_teams_is_flagged_unless_labelled_shared():
    import copy

    rows = resources()
    row = copy.deepcopy(next(r for r in rows if r["type"].endswith(":Deployment") and r["name"] == "chat-blue"))
    row["name"] = row["props"]["metadata"]["name"] = "search-blue"
    row["props"]["metadata"]["labels"]["team"] = "search"
    rows.append(row)
    found = [v.message for v in evaluate(views(rows)) if v.policy == "gpu-node-cost-tags"]
    assert "NodePool gpu-spot: serves teams applied-ai, search; split it per slot or set sharedNodes: true on the pool" in found
    find(rows, "NodePool")["metadata"]["labels"] = {"llm-platform/shared-nodes": "true"}
    assert [v for v in evaluate(views(rows)) if v.policy == "gpu-node-cost-tags"] == []
