"""KMS key policies more than one component uses."""

from __future__ import annotations

from typing import Any

from components.trust import account_administers_key


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
