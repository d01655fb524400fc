"""Explicit providers. Every resource is created through these (never the default provider), so
`default_tags` reach every AWS resource and no resource can land in another region or cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING

from infra.config import StackConfig

if TYPE_CHECKING:
    import pulumi_aws


def aws_provider(cfg: StackConfig) -> pulumi_aws.Provider:
    import pulumi_aws as aws  # imported on use: `llmctl preflight` needs cluster_name() without the provider SDK

    return aws.Provider(
        "aws",
        region=cfg.region,
        # Provider-level default tags reach every taggable resource, including ones components
        # forget; Karpenter-launched instances get the same keys through EC2NodeClass spec.tags.
        default_tags=aws.ProviderDefaultTagsArgs(tags=dict(sorted(cfg.tags.items()))),
    )


def cluster_name(cfg: StackConfig) -> str:
    return f"{cfg.tags['project']}-{cfg.environment}"
