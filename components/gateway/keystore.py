"""The Secrets Manager side of per-team API keys: one secret per team (and one for the release
tooling) created here, written by `llmctl keys`, and read back at deploy time so each endpoint's
Kubernetes Secrets carry the current keys. Never in the stack file."""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.gateway.names import SEED_STAGE, api_keys_secret
from components.tagging import resource_tags

COMPONENT = "gateway"


def team_key_values(name: str, cluster: str, teams: list[str], parent: pulumi.Resource) -> dict[str | None, pulumi.Output[str]]:
    """team (None = release tooling) -> the secret's current value, as a Pulumi secret."""
    values: dict[str | None, pulumi.Output[str]] = {}
    for team in [None, *sorted(teams)]:
        label = team or "release"
        secret = aws.secretsmanager.Secret(
            f"{name}-keys-{label}", name=api_keys_secret(cluster, team), recovery_window_in_days=7,
            description=f"API keys of {label} on the {cluster} gateway (llmctl keys)",
            tags=resource_tags(COMPONENT, f"{cluster}-keys-{label}", **({"team": team} if team else {})),
            opts=pulumi.ResourceOptions(parent=parent),
        )
        # An empty key set to start with; `llmctl keys` writes every later version (moving
        # AWSCURRENT away from this one), which `pulumi up` must never overwrite or move back.
        # SEED_STAGE keeps this version from ever being deleted (components/gateway/names.py).
        initial = aws.secretsmanager.SecretVersion(
            f"{name}-keys-{label}-initial", secret_id=secret.id, secret_string="{}", version_stages=["AWSCURRENT", SEED_STAGE],
            opts=pulumi.ResourceOptions(parent=parent, ignore_changes=["secretString", "versionStages"]),
        )
        current = aws.secretsmanager.get_secret_version_output(
            secret_id=pulumi.Output.all(secret.arn, initial.version_id).apply(lambda v: v[0]))
        values[team] = pulumi.Output.secret(current.secret_string)
    return values
