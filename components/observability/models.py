"""Observability section: in-cluster Prometheus (kube-prometheus-stack), Grafana, KEDA and where
alerts go (Alertmanager receivers)."""

from __future__ import annotations

import re

from pydantic import Field, field_validator, model_validator

from components.config_base import ConfigModel

# A Pulumi config key in the project namespace (`pulumi config set --secret llm-platform:<key> ...`).
SECRET_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")


class ReceiverConfig(ConfigModel):
    """Where alerts go. Credentials are never written here: Slack and PagerDuty name a Pulumi secret
    config key that holds the webhook URL or routing key."""

    sns_topic_arn: str | None = Field(
        default=None, pattern=r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$",
        description="SNS topic Alertmanager publishes to (its Pod Identity role may publish to the stack's topics only).",
    )
    slack_webhook_secret: str | None = Field(
        default=None,
        description="Pulumi secret config key holding the Slack incoming-webhook URL (`pulumi config set --secret llm-platform:<key> <url>`).",
    )
    slack_channel: str | None = Field(default=None, pattern=r"^[#@][a-z0-9._-]{1,80}$", description="Slack channel, e.g. #llm-alerts.")
    pagerduty_key_secret: str | None = Field(
        default=None, description="Pulumi secret config key holding the PagerDuty Events v2 routing key; pages on critical alerts only."
    )

    @field_validator("slack_webhook_secret", "pagerduty_key_secret")
    @classmethod
    def _secret_key(cls, key: str | None) -> str | None:
        if key is not None and not SECRET_KEY.match(key):
            raise ValueError("must name a Pulumi secret config key (letters, digits, - or _), never the credential itself; "
                             "store it with `pulumi config set --secret llm-platform:<key> <value>`")
        return key

    @model_validator(mode="after")
    def _something(self) -> ReceiverConfig:
        if not (self.sns_topic_arn or self.slack_webhook_secret or self.pagerduty_key_secret):
            raise ValueError("a receiver needs snsTopicArn, slackWebhookSecret or pagerdutyKeySecret")
        if self.slack_channel and not self.slack_webhook_secret:
            raise ValueError("slackChannel needs slackWebhookSecret")
        return self


class AlertingConfig(ConfigModel):
    receiver: ReceiverConfig | None = Field(
        default=None,
        description="The platform's receiver: every alert no team receiver takes, and critical ones of every team too. Required in staging and prod.",
    )
    repeat_hours: int = Field(default=4, ge=1, le=72, description="Re-send a still-firing alert after this many hours.")


class ObservabilityConfig(ConfigModel):
    retention_days: int = Field(default=15, ge=1, le=365, description="Prometheus TSDB retention.")
    storage_gib: int = Field(default=100, ge=10, le=16000, description="Prometheus persistent volume (gp3, encrypted by the cluster's StorageClass).")
    grafana: bool = Field(default=True, description="Install Grafana (dashboards load from ConfigMaps labelled grafana_dashboard: \"1\").")
    alertmanager: bool = Field(default=True, description="Install Alertmanager (routes from `alerting` and each team's `alerts`).")
    alerting: AlertingConfig = Field(default_factory=AlertingConfig, description="Alert receivers and routing.")
