"""IAM documents of the network: the VPC flow-log delivery role (its log key's policy is
components/kms.py's, shared with the cluster's control-plane logs)."""

from __future__ import annotations

from typing import Any


def flow_log_trust(account_id: str, partition: str, region: str) -> dict[str, Any]:
    """Only the VPC Flow Logs service, and only on behalf of this account's flow logs
    (confused-deputy guard, https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"aws:SourceAccount": account_id},
                    "ArnLike": {"aws:SourceArn": f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*"},
                },
            }
        ],
    }


def flow_log_policy(log_group_arn: str) -> dict[str, Any]:
    """Write to the one flow-log group (its streams), nothing else."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                "Resource": [log_group_arn, f"{log_group_arn}:*"],
            },
            {"Effect": "Allow", "Action": ["logs:DescribeLogGroups"], "Resource": "*"},
        ],
    }
