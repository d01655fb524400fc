"""The one place Karpenter's version is pinned.

1.14.1 matches the v1.14 CRDs in schemas/crds and the v1.14 CloudFormation reference the
controller IAM is checked against; bump all three together (karpenter.sh/docs/upgrading/).
"""

CHART_REPOSITORY = "oci://public.ecr.aws/karpenter"
CHART = "karpenter"
CRD_CHART = "karpenter-crd"
VERSION = "1.14.1"
