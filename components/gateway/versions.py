"""The one place the inference gateway's upstream components are pinned; bump them together.

Pairings checked (2026-12-01) against the upstream sources:
- Envoy Gateway v1.9.0 bundles the Gateway API v1.6.1 standard CRDs (its go.mod pins
  sigs.k8s.io/gateway-api v1.6.1; charts/gateway-helm/charts/crds/crds/gatewayapi-crds.yaml).
- Envoy AI Gateway v1.1.0 is built against Envoy Gateway v1.8 APIs and Gateway API v1.5 (its go.mod);
  it drives Envoy Gateway only through the extension-manager hooks and the Backend API, both
  unchanged in v1.9 (manifests/envoy-gateway-values.yaml of v1.1.0 lists the hooks it needs). Its
  e2e matrix (.github/workflows/build_and_test.yaml @v1.1.0) runs against Envoy Gateway v1.8.1 and
  "latest" (Envoy Gateway main): the v1.1.0 commit (2026-08-21) postdates Envoy Gateway v1.9.0
  (2026-08-15), so v1.9 code was in that matrix, but no v1.9 release is named in it.
- InferencePool: inference.networking.k8s.io/v1 (GIE v1.6.0 CRD; the v1 API is the one AI Gateway
  v1.1.0 reads, internal/extensionserver/inferencepool.go).
- Endpoint picker: GIE v1.6.0 ships only the conformance "lightweight EPP" (its README: the EPP and
  InferenceObjective moved to llm-d/llm-d-router), so the picker is GIE v1.5.0's EPP, the last
  release with the prefix/queue/KV scorers; it reads InferencePool v1 and InferenceObjective
  inference.networking.x-k8s.io/v1alpha2 (config/charts/inferencepool/templates/rbac.yaml @v1.5.0).
- AWS Load Balancer Controller chart 1.14.0 ships controller v2.14.0 (NLB for the proxies only).
"""

# AWS Load Balancer Controller (https://github.com/kubernetes-sigs/aws-load-balancer-controller/releases)
CHART_REPOSITORY = "https://aws.github.io/eks-charts"
CHART = "aws-load-balancer-controller"
CHART_VERSION = "1.14.0"
APP_VERSION = "v2.14.0"

# Envoy Gateway (https://github.com/envoyproxy/gateway/releases/tag/v1.9.0); the chart installs
# its own CRDs and the Gateway API standard CRDs.
ENVOY_GATEWAY_CHART = "oci://docker.io/envoyproxy/gateway-helm"
ENVOY_GATEWAY_VERSION = "v1.9.0"
GATEWAY_API_VERSION = "v1.6.1"

# Envoy AI Gateway (https://github.com/envoyproxy/ai-gateway/releases/tag/v1.1.0): CRDs chart, then controller.
AI_GATEWAY_CRDS_CHART = "oci://docker.io/envoyproxy/ai-gateway-crds-helm"
AI_GATEWAY_CHART = "oci://docker.io/envoyproxy/ai-gateway-helm"
AI_GATEWAY_VERSION = "v1.1.0"
AI_GATEWAY_NAMESPACE = "envoy-ai-gateway-system"

# Gateway API Inference Extension: the InferencePool CRD (v1.6.0 release asset) and the EPP image (v1.5.0).
INFERENCE_EXTENSION_VERSION = "v1.6.0"
INFERENCE_POOL_CRDS_URL = (
    "https://github.com/kubernetes-sigs/gateway-api-inference-extension/releases/download/"
    f"{INFERENCE_EXTENSION_VERSION}/manifests.yaml"
)
EPP_IMAGE = "registry.k8s.io/gateway-api-inference-extension/epp:v1.5.0"
# InferenceObjective CRD of the picker's release (GIE v1.6.0 removed it; the v1.5.0 EPP watches it
# only if it exists when the picker starts: pkg/epp/server/controller_config.go gvkExists).
OBJECTIVE_CRD_VERSION = "v1.5.0"
OBJECTIVE_CRD_URL = (
    "https://raw.githubusercontent.com/kubernetes-sigs/gateway-api-inference-extension/"
    f"{OBJECTIVE_CRD_VERSION}/config/crd/bases/inference.networking.x-k8s.io_inferenceobjectives.yaml"
)
