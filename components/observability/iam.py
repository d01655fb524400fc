"""Pure IAM documents for the KEDA operator's Pod Identity role."""

from __future__ import annotations

from typing import Any


def keda_cloudwatch_policy() -> dict[str, Any]:
    """Read CloudWatch metrics for the scale-from-zero triggers (ALB RequestCount). CloudWatch
    metric reads have no resource-level permissions, hence `*`; the actions are read-only."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "ReadMetrics",
            "Effect": "Allow",
            # ListMetrics backs the SEARCH() expressions the wake triggers use.
            "Action": ["cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics", "cloudwatch:ListMetrics"],
            "Resource": "*",
        }],
    }
