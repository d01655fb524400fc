"""IAM and KMS documents of the network: the VPC flow-log delivery role and the log key."""

from __future__ import annotations

from typing import Any

from components.trust import account_administers_key


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


def log_key_policy(account_id: str, partition: str, region: str, log_group_name_prefix: str) -> dict[str, Any]:
    """Key policy of a CloudWatch Logs KMS key: the account administers it through IAM, and the
    Logs service may use it only for log groups under `log_group_name_prefix`
    (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html)."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            account_administers_key(account_id, partition),
            {
                "Sid": "CloudWatchLogsUse",
                "Effect": "Allow",
                "Principal": {"Service": f"logs.{region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnLike": {
                        "kms:EncryptionContext:aws:logs:arn": f"arn:{partition}:logs:{region}:{account_id}:log-group:{log_group_name_prefix}*"
                    }
                },
            },
        ],
    }
