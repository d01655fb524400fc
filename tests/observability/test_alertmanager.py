"""Alerts reach someone: receivers from stack config, routed by team and severity, credentials only
from Pulumi secrets, SNS publishing limited to the configured topics, staging/prod refuse no receiver."""

from __future__ import annotations

import json

import pytest

from components.cluster.render import SYSTEM_PLACEMENT
from components.observability import alertmanager, versions
from components.observability.component import Observability, ObservabilityArgs
from components.observability.models import AlertingConfig, ObservabilityConfig, ReceiverConfig
from infra.config import ConfigError, load_stack
from llmctl.synth.inventory import REDACTED
from llmctl.synth.runner import record

PLATFORM = ReceiverConfig(sns_topic_arn="arn:aws:sns:us-east-1:444455556666:platform", pagerduty_key_secret="platformPager")
TEAMS = {"applied-ai": ReceiverConfig(slack_webhook_secret="appliedAiSlack", slack_channel="#applied-ai-llm")}
WEBHOOK = "https://hooks.slack.com/services/T000/B000/XXXXSECRET"


def test_routes_by_severity_and_team():
    cfg = alertmanager.alertmanager_config(AlertingConfig(receiver=PLATFORM), TEAMS)
    routes = cfg["route"]["routes"]
    assert cfg["route"]["receiver"] == "platform"
    assert routes[1] == {"receiver": "platform-critical", "matchers": ['severity="critical"'], "continue": True}
    assert routes[2] == {"receiver": "team-applied-ai", "matchers": ['team="applied-ai"'],
                         "routes": [{"receiver": "team-applied-ai-critical", "matchers": ['severity="critical"']}]}
    receivers = {r["name"]: r for r in cfg["receivers"]}
    assert receivers["platform"]["sns_configs"][0]["topic_arn"] == PLATFORM.sns_topic_arn
    assert "pagerduty_configs" not in receivers["platform"], "warnings never page"
    assert receivers["platform-critical"]["pagerduty_configs"] == [
        {"routing_key_file": "/etc/alertmanager/secrets/alertmanager-receivers/platform-pagerduty", "send_resolved": True}]
    slack = receivers["team-applied-ai"]["slack_configs"][0]
    assert slack["api_url_file"] == "/etc/alertmanager/secrets/alertmanager-receivers/team-applied-ai-slack"
    assert slack["channel"] == "#applied-ai-llm" and "api_url" not in slack
    assert cfg["route"]["group_by"] == ["alertname", "team", "llm_endpoint", "llm_slot"]


def test_every_slot_alert_carries_the_routing_labels():
    from components.serving import alerts
    from components.serving.models import SlotConfig
    from tests.serving.helpers import spec_for

    for rule in alerts.rules(spec_for(SlotConfig(model="org/m")), 1.0, 1.0):
        assert rule["labels"]["team"] == "applied-ai" and rule["labels"]["severity"] in ("warning", "critical")


def _observability(**kw):
    return record(
        lambda: Observability("obs", ObservabilityArgs(
            config=ObservabilityConfig(alerting=AlertingConfig(receiver=PLATFORM)), cluster_name="c", boundary_arn="arn:aws:iam::1:policy/b",
            system=SYSTEM_PLACEMENT, team_receivers=TEAMS)),
        stack="t", config={"aws:region": "us-east-1", "llm-platform:appliedAiSlack": WEBHOOK, "llm-platform:platformPager": "R0UTINGKEY"},
    )


def test_credentials_come_from_pulumi_secrets_into_a_mounted_secret_never_the_values():
    inventory = _observability()
    dumped = json.dumps([r.inputs for r in inventory.resources], default=str)
    assert WEBHOOK not in dumped and "R0UTINGKEY" not in dumped, "a credential leaked into the recorded inputs"
    [secret] = [o for _, o in inventory.kubernetes_objects() if o["kind"] == "Secret"]
    assert secret["metadata"]["name"] == alertmanager.SECRET_NAME and secret["stringData"] == REDACTED, "Pulumi keeps it a secret"
    assert alertmanager.secret_files(PLATFORM, TEAMS) == {"platform-pagerduty": "platformPager", "team-applied-ai-slack": "appliedAiSlack"}
    [release] = [r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == versions.PROMETHEUS_CHART]
    am = release.inputs["values"]["alertmanager"]
    assert am["alertmanagerSpec"]["secrets"] == [alertmanager.SECRET_NAME]
    assert am["config"]["route"]["receiver"] == "platform" and am["serviceAccount"]["name"] == versions.ALERTMANAGER_SA


def test_alertmanager_may_publish_to_the_configured_topics_only():
    inventory = _observability()
    roles = [r for r in inventory.of_type("aws:iam/role:Role") if "alertmanager" in r.name]
    assert len(roles) == 1 and roles[0].inputs["permissionsBoundary"]
    [policy] = [p for p in inventory.of_type("aws:iam/rolePolicy:RolePolicy") if "alertmanager" in p.name]
    assert json.loads(policy.inputs["policy"])["Statement"] == [
        {"Sid": "PublishAlerts", "Effect": "Allow", "Action": ["sns:Publish"], "Resource": [PLATFORM.sns_topic_arn]}]
    [assoc] = [a for a in inventory.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation") if "alertmanager" in a.name]
    assert (assoc.inputs["namespace"], assoc.inputs["serviceAccount"]) == (versions.MONITORING_NAMESPACE, versions.ALERTMANAGER_SA)


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_staging_and_prod_alerts_route_to_receivers_from_config(stack):
    from tests.conftest import synthesized

    inventory = synthesized(stack)
    [release] = [r for r in inventory.of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == versions.PROMETHEUS_CHART]
    route = release.inputs["values"]["alertmanager"]["config"]["route"]
    assert route["receiver"] == "platform"
    names = {r["name"] for r in release.inputs["values"]["alertmanager"]["config"]["receivers"]}
    assert {"platform", "platform-critical"} <= names
    if stack == "prod":
        assert {"team-applied-ai", "team-applied-ai-critical"} <= names


def _with(tmp_path, stack: str, edit) -> None:
    import shutil

    from tests.conftest import REPO_ROOT

    (tmp_path / "stacks").mkdir()
    text = (REPO_ROOT / "stacks" / f"Pulumi.{stack}.yaml").read_text()
    (tmp_path / "stacks" / f"Pulumi.{stack}.yaml").write_text(edit(text))
    shutil.copy(REPO_ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")


def test_prod_without_a_receiver_is_a_config_error(tmp_path):
    _with(tmp_path, "prod", lambda t: t[:t.index("  llm-platform:observability:")])
    with pytest.raises(ConfigError) as err:
        load_stack("prod", tmp_path)
    assert "llm-platform:observability.alerting.receiver" in str(err.value)
    assert "prod needs Alertmanager with a receiver so alerts reach someone" in str(err.value)


def test_a_plain_text_webhook_is_refused(tmp_path):
    _with(tmp_path, "prod", lambda t: t.replace("snsTopicArn: arn:aws:sns:us-east-1:444455556666:llm-platform-prod-alerts",
                                                f"slackWebhookSecret: {WEBHOOK}"))
    with pytest.raises(ConfigError) as err:
        load_stack("prod", tmp_path)
    assert "must name a Pulumi secret config key" in str(err.value) and "\n" not in str(err.value).strip()


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_amtool_accepts_every_stacks_alertmanager_config(stack, tmp_path):
    from tests.conftest import synthesized
    from tests.observability.promtool import amtool, write_json

    [release] = [r for r in synthesized(stack).of_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == versions.PROMETHEUS_CHART]
    write_json(tmp_path / "alertmanager.yaml", release.inputs["values"]["alertmanager"]["config"])
    result = amtool("check-config", "alertmanager.yaml", cwd=tmp_path)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


@pytest.mark.parametrize(("labels", "receivers"), [
    (["team=applied-ai", "severity=critical"], "platform-critical,team-applied-ai-critical"),  # pages the team, tells the platform
    (["team=applied-ai", "severity=warning"], "team-applied-ai"),
    (["team=search", "severity=critical"], "platform-critical"),  # a team without receiver
    (["team=search", "severity=warning"], "platform"),
    (["alertname=Watchdog", "severity=none"], "null"),
])
def test_alertmanagers_own_router_sends_each_alert_to_its_receivers(tmp_path, labels, receivers):
    from tests.observability.promtool import amtool, write_json

    write_json(tmp_path / "alertmanager.yaml", alertmanager.alertmanager_config(AlertingConfig(receiver=PLATFORM), TEAMS))
    result = amtool("config", "routes", "test", "--config.file", "alertmanager.yaml", *labels, cwd=tmp_path)
    assert result.stdout.strip() == receivers, result.stdout + result.stderr
