"""The one place the AWS Load Balancer Controller is pinned.

Chart 1.14.0 ships controller v2.14.0, whose IngressClassParams/TargetGroupBinding CRDs are the
ones in schemas/crds and whose iam_policy.json is the reference iam.controller_policy()
is tested against; bump all three together
(https://github.com/kubernetes-sigs/aws-load-balancer-controller/releases).
"""

CHART_REPOSITORY = "https://aws.github.io/eks-charts"
CHART = "aws-load-balancer-controller"
CHART_VERSION = "1.14.0"
APP_VERSION = "v2.14.0"
