"""`llmctl keys` against moto_server: create prints the key once, list never shows it, revoke
removes it; what the gateway then admits is exactly the stored keys (components.gateway.access)."""

from __future__ import annotations

import json
import urllib.request

import boto3
import pytest
from typer.testing import CliRunner

from components.gateway.access import key_data
from components.gateway.names import api_keys_secret
from llmctl.cli import app

CLUSTER = "llm-platform-prod"


@pytest.fixture()
def fresh(moto_server):
    """moto's state lives in the process: start each test from none."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_server}/moto-api/reset", method="POST"), timeout=10).close()
    return moto_server


@pytest.fixture()
def secrets(fresh):
    client = boto3.client("secretsmanager", region_name="us-east-1")
    for team in (None, "applied-ai", "search"):  # what `pulumi up` creates (components.gateway.keystore)
        client.create_secret(Name=api_keys_secret(CLUSTER, team), SecretString="{}")
    return client


def run(*args: str):
    return CliRunner().invoke(app, ["keys", *args])


def test_create_list_revoke(secrets):
    created = run("create", "prod", "--team", "applied-ai", "--json")
    assert created.exit_code == 0, created.output
    info = json.loads(created.output)
    assert info["team"] == "applied-ai" and info["key"].startswith("sk-llm-") and info["clientId"] == f"applied-ai.{info['keyId']}"
    stored = secrets.get_secret_value(SecretId=api_keys_secret(CLUSTER, "applied-ai"))["SecretString"]
    assert key_data("applied-ai", stored) == {info["clientId"]: info["key"]}

    listed = run("list", "prod", "--team", "applied-ai", "--json")
    assert listed.exit_code == 0 and info["key"] not in listed.output
    assert [k["keyId"] for k in json.loads(listed.output)] == [info["keyId"]]
    assert info["key"] not in run("list", "prod", "--team", "applied-ai").output

    revoked = run("revoke", "prod", "--team", "applied-ai", "--key-id", info["keyId"], "--json")
    assert revoked.exit_code == 0 and json.loads(revoked.output)["revoked"] is True
    assert json.loads(run("list", "prod", "--team", "applied-ai", "--json").output) == []
    assert key_data("applied-ai", secrets.get_secret_value(SecretId=api_keys_secret(CLUSTER, "applied-ai"))["SecretString"]) == {}


def test_text_output_shows_the_key_once(secrets):
    out = run("create", "prod", "--team", "search").output
    assert out.count("sk-llm-") == 1 and "shown once" in out


def test_release_key_is_separate(secrets):
    info = json.loads(run("create", "prod", "--release", "--json").output)
    assert info["team"] == "release-tooling" and info["clientId"].startswith("release-tooling.")
    assert json.loads(run("list", "prod", "--team", "applied-ai", "--json").output) == []


@pytest.mark.parametrize(("args", "message"), [
    (["create", "prod", "--team", "nobody"], "error: --team nobody: not a team of stack prod; teams: "),
    (["create", "prod"], "error: give --team TEAM or --release (exactly one)"),
    (["revoke", "prod", "--team", "search", "--key-id", "abcd"], "error: search has no key abcd; its keys: none"),
])
def test_errors_are_one_line_exit_2(secrets, args, message):
    result = run(*args)
    assert result.exit_code == 2 and result.output.startswith(message) and len(result.output.strip().splitlines()) == 1


def test_missing_secret_says_to_deploy_first(fresh):
    result = run("list", "prod", "--team", "applied-ai")
    assert result.exit_code == 2
    assert result.output.strip() == f"error: secret {api_keys_secret(CLUSTER, 'applied-ai')} does not exist: deploy the stack first (pulumi up creates one per team)"


def test_key_changes_leave_other_version_labels_alone(secrets):
    """The stack's first version carries SEED_STAGE (components.gateway.keystore). A PutSecretValue
    without VersionStages moves only AWSCURRENT/AWSPREVIOUS (PutSecretValue API reference), so the
    seed keeps its label and is never deleted. moto drops custom labels from the old current
    version (moto/secretsmanager/models.py), so the test checks what the store sends."""
    from llmctl.keys.store import KeyStore

    sent: list[dict] = []

    class Recording:
        exceptions = secrets.exceptions

        def __getattr__(self, name):
            return getattr(secrets, name)

        def put_secret_value(self, **kwargs):
            sent.append(kwargs)
            return secrets.put_secret_value(**kwargs)

    store = KeyStore(Recording(), CLUSTER)
    info, _ = store.create("search")
    store.revoke("search", info.key_id)
    assert len(sent) == 2 and all(set(call) == {"SecretId", "SecretString"} for call in sent)


class _Interleaved:
    """A Secrets Manager client on which another operator writes once, right after this command's
    first write: the store must notice and apply its change on top of theirs."""

    def __init__(self, client, other: dict):
        self.client, self.other, self.done = client, other, False
        self.exceptions = client.exceptions

    def __getattr__(self, name):
        return getattr(self.client, name)

    def put_secret_value(self, **kwargs):
        if not self.done:
            self.done = True  # the other operator read the same base and writes first
            self.client.put_secret_value(SecretId=kwargs["SecretId"], SecretString=json.dumps(self.other))
        return self.client.put_secret_value(**kwargs)


def test_two_operators_creating_keys_at_once_keep_both(secrets):
    from llmctl.keys.store import KeyStore

    theirs = {"their-key": {"key": "sk-llm-theirs", "created": "2026-12-01T00:00:00Z"}}
    store = KeyStore(_Interleaved(secrets, theirs), CLUSTER)
    info, key = store.create("applied-ai")
    stored = json.loads(secrets.get_secret_value(SecretId=api_keys_secret(CLUSTER, "applied-ai"))["SecretString"])
    assert sorted(stored) == sorted(["their-key", info.key_id]) and stored[info.key_id]["key"] == key


def test_revoke_racing_another_write_keeps_their_key(secrets):
    from llmctl.keys.store import KeyStore

    store = KeyStore(secrets, CLUSTER)
    mine, _ = store.create("search")
    base = json.loads(secrets.get_secret_value(SecretId=api_keys_secret(CLUSTER, "search"))["SecretString"])
    theirs = {**base, "their-key": {"key": "sk-llm-theirs", "created": "2026-12-01T00:00:00Z"}}
    KeyStore(_Interleaved(secrets, theirs), CLUSTER).revoke("search", mine.key_id)
    stored = json.loads(secrets.get_secret_value(SecretId=api_keys_secret(CLUSTER, "search"))["SecretString"])
    assert sorted(stored) == ["their-key"]
