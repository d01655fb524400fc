"""The interruption queue's policy and the EventBridge rules that feed it (upstream v1.14 set).

Karpenter reads these events to cordon and drain a node before EC2 takes it away: a spot
interruption warning gives two minutes, a rebalance recommendation often more, scheduled
maintenance days. Without the queue a spot reclaim kills in-flight requests mid-stream.
"""

from __future__ import annotations

from typing import Any

MESSAGE_RETENTION_SECONDS = 300  # older notices are stale: the instance is gone by then
TARGET_ID = "KarpenterInterruptionQueueTarget"

# rule short name -> EventBridge pattern
EVENT_RULES: dict[str, dict[str, Any]] = {
    "scheduled-change": {"source": ["aws.health"], "detail-type": ["AWS Health Event"]},
    "spot-interruption": {"source": ["aws.ec2"], "detail-type": ["EC2 Spot Instance Interruption Warning"]},
    "rebalance": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance Rebalance Recommendation"]},
    "instance-state-change": {"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]},
    "capacity-reservation-interruption": {
        "source": ["aws.ec2"],
        "detail-type": ["EC2 Capacity Reservation Instance Interruption Warning"],
    },
}


def rule_name(cluster_name: str, kind: str) -> str:
    """Physical name of one interruption rule (EventBridge rule names are at most 64 characters)."""
    return f"{cluster_name}-karpenter-{kind}"[:64]


def rule_arns(queue_arn: str, cluster_name: str) -> list[str]:
    """ARNs of the stack's own rules, on the default bus of the queue's partition, region and account."""
    _, partition, _, region, account = queue_arn.split(":")[:5]
    return [f"arn:{partition}:events:{region}:{account}:rule/{rule_name(cluster_name, kind)}" for kind in EVENT_RULES]


def queue_policy(queue_arn: str, cluster_name: str) -> dict[str, Any]:
    """Only the stack's own rules may deliver: aws:SourceArn names them and aws:SourceAccount pins
    the account, so no rule in another stack or account can feed this controller fake
    interruptions (confused deputy: docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html#eb-sqs-permissions)."""
    account = queue_arn.split(":")[4]
    return {
        "Version": "2012-10-17",
        "Id": "EC2InterruptionPolicy",
        "Statement": [
            {
                "Sid": "AllowEventBridgeDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": queue_arn,
                "Condition": {
                    "ArnEquals": {"aws:SourceArn": sorted(rule_arns(queue_arn, cluster_name))},
                    "StringEquals": {"aws:SourceAccount": account},
                },
            },
            {
                "Sid": "DenyHTTP",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "sqs:*",
                "Resource": queue_arn,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
        ],
    }
