"""Fixtures: synthesized stacks (once per session), fresh recording mocks per test, moto."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator

import pytest

from infra.config import load_stack
from llmctl.synth.inventory import Inventory
from llmctl.synth.runner import synth_stack
from tests.support.paths import REPO_ROOT, STACKS


def pytest_collection_modifyitems(config, items):
    skip_pulumi = pytest.mark.skip(reason="Pulumi CLI not installed")
    skip_docker = pytest.mark.skip(reason="Docker engine not available")
    skip_aws = pytest.mark.skip(reason="no AWS credentials")
    for item in items:
        if "pulumi_cli" in item.keywords and not shutil.which("pulumi"):
            item.add_marker(skip_pulumi)
        if "docker" in item.keywords and not (shutil.which("docker") and os.path.exists("/var/run/docker.sock")):
            item.add_marker(skip_docker)
        if "aws" in item.keywords and not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            item.add_marker(skip_aws)


_INVENTORIES: dict[str, Inventory] = {}


def synthesized(stack: str) -> Inventory:
    """The stack's inventory, synthesized once per session (the mocks are process-global)."""
    if stack not in _INVENTORIES:
        _INVENTORIES[stack] = synth_stack(stack, REPO_ROOT)
    return _INVENTORIES[stack]


@pytest.fixture(scope="session")
def inventories() -> dict[str, Inventory]:
    return {stack: synthesized(stack) for stack in STACKS}


@pytest.fixture(scope="session")
def configs():
    return {stack: load_stack(stack, REPO_ROOT) for stack in STACKS}


@pytest.fixture()
def aws_credentials(monkeypatch) -> None:
    """Fake credentials so boto3 never finds real ones; nothing leaves 127.0.0.1."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture()
def moto_server(aws_credentials, monkeypatch) -> Iterator[str]:
    """A moto_server on 127.0.0.1, with AWS_ENDPOINT_URL pointing boto3 at it."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", url)
    try:
        yield url
    finally:
        server.stop()
