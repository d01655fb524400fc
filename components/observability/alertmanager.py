"""Pure renderers for alert delivery: the Alertmanager configuration (receivers from stack config,
routed by `team` and `severity`), the Secret its credential files come from, and the SNS publish
policy of its Pod Identity role.

Credentials never enter the Helm values: Slack webhooks and PagerDuty keys are read from Pulumi
secrets into one Kubernetes Secret, mounted by the operator at SECRETS_DIR
(alertmanagerSpec.secrets), and referenced with api_url_file / routing_key_file.
"""

from __future__ import annotations

from typing import Any

from components.observability import labels as lm
from components.observability.models import AlertingConfig, ReceiverConfig

SECRET_NAME = "alertmanager-receivers"
SECRETS_DIR = f"/etc/alertmanager/secrets/{SECRET_NAME}"  # prometheus-operator's mount path for spec.secrets
PLATFORM = "platform"
GROUP_BY = ["alertname", lm.TEAM, lm.LLM_ENDPOINT, lm.LLM_SLOT]


def team_owner(team: str) -> str:
    return f"team-{team}"


def secret_files(platform: ReceiverConfig | None, teams: dict[str, ReceiverConfig]) -> dict[str, str]:
    """{file name in the Secret: Pulumi secret config key} for every credential the receivers use."""
    files: dict[str, str] = {}
    for owner, cfg in [(PLATFORM, platform), *((team_owner(t), c) for t, c in teams.items())]:
        if cfg is None:
            continue
        if cfg.slack_webhook_secret:
            files[f"{owner}-slack"] = cfg.slack_webhook_secret
        if cfg.pagerduty_key_secret:
            files[f"{owner}-pagerduty"] = cfg.pagerduty_key_secret
    return files


def _receiver(name: str, owner: str, cfg: ReceiverConfig, page: bool) -> dict[str, Any]:
    receiver: dict[str, Any] = {"name": name}
    if cfg.slack_webhook_secret:
        slack = {"api_url_file": f"{SECRETS_DIR}/{owner}-slack", "send_resolved": True,
                 "title": '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}', "text": "{{ range .Alerts }}{{ .Annotations.summary }}\n{{ end }}"}
        receiver["slack_configs"] = [{**slack, **({"channel": cfg.slack_channel} if cfg.slack_channel else {})}]
    if cfg.sns_topic_arn:
        # SigV4 with the default credential chain (the Pod Identity role of Alertmanager's
        # ServiceAccount), signed for the topic's own region.
        region = cfg.sns_topic_arn.split(":")[3]
        receiver["sns_configs"] = [{"topic_arn": cfg.sns_topic_arn, "sigv4": {"region": region}, "send_resolved": True,
                                    "subject": "[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }}"}]
    if page and cfg.pagerduty_key_secret:
        receiver["pagerduty_configs"] = [{"routing_key_file": f"{SECRETS_DIR}/{owner}-pagerduty", "send_resolved": True}]
    return receiver


def _pair(owner: str, cfg: ReceiverConfig) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The owner's receivers (warning, and critical with paging) and the route choosing by severity."""
    receivers = [_receiver(owner, owner, cfg, page=False), _receiver(f"{owner}-critical", owner, cfg, page=True)]
    route = {"receiver": owner, "routes": [{"receiver": f"{owner}-critical", "matchers": ['severity="critical"']}]}
    return receivers, route


def alertmanager_config(alerting: AlertingConfig, teams: dict[str, ReceiverConfig]) -> dict[str, Any]:
    """Critical alerts always reach the platform receiver too; a team's alerts (label `team`) go to
    the team's receiver; everything else to the platform's. Without any receiver, alerts are dropped
    (dev only: the stack config refuses that in staging and prod)."""
    receivers: list[dict[str, Any]] = [{"name": "null"}]
    routes: list[dict[str, Any]] = [{"receiver": "null", "matchers": ['alertname=~"Watchdog|InfoInhibitor"']}]
    default = "null"
    if alerting.receiver is not None:
        platform_receivers, _ = _pair(PLATFORM, alerting.receiver)
        receivers += platform_receivers
        routes.append({"receiver": f"{PLATFORM}-critical", "matchers": ['severity="critical"'], "continue": True})
        default = PLATFORM
    for team, cfg in sorted(teams.items()):
        team_receivers, route = _pair(team_owner(team), cfg)
        receivers += team_receivers
        routes.append({**route, "matchers": [f'{lm.TEAM}="{team}"']})
    return {
        "route": {"receiver": default, "group_by": GROUP_BY, "group_wait": "30s", "group_interval": "5m",
                  "repeat_interval": f"{alerting.repeat_hours}h", "routes": routes},
        "receivers": receivers,
        "templates": ["/etc/alertmanager/config/*.tmpl"],
    }


def receivers_secret(namespace: str, values: dict[str, Any]) -> dict[str, Any]:
    """The Secret of credential files; `values` are Pulumi secret Outputs at deploy time."""
    return {
        "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
        "metadata": {"name": SECRET_NAME, "namespace": namespace, "labels": {"app.kubernetes.io/part-of": "llm-platform"}},
        "stringData": values,
    }


def sns_publish_policy(topic_arns: list[str]) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Sid": "PublishAlerts", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": sorted(set(topic_arns))}],
    }


def topic_arns(alerting: AlertingConfig, teams: dict[str, ReceiverConfig]) -> list[str]:
    found = [alerting.receiver.sns_topic_arn] if alerting.receiver is not None and alerting.receiver.sns_topic_arn else []
    return sorted(set(found + [cfg.sns_topic_arn for cfg in teams.values() if cfg.sns_topic_arn]))
