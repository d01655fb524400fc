"""The one place the GPU node AMIs are pinned (Karpenter `amiSelectorTerms` aliases).

Pinned, never `@latest`: Karpenter treats a new alias target as drift and replaces every node, so
an AMI release would cold-start every model at once (karpenter.sh/docs/tasks/managing-amis/).
Bump here, let staging drift first; a pool can stage a release alone with `amiVersion`.
"""

# Bottlerocket: Karpenter picks the aws-k8s-<minor>-nvidia variant on GPU instance types.
BOTTLEROCKET = "v1.63.0"
# EKS-optimized AL2023: Karpenter picks the NVIDIA AMI on GPU instance types.
AL2023 = "v20260512"

AMI_VERSIONS = {"bottlerocket": BOTTLEROCKET, "al2023": AL2023}
