"""Fixtures: synthesized stacks (once per session), fresh recording mocks per test, moto."""

from __future__ import annotations

import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.config import load_stack
from llmctl.synth.inventory import Inventory
from llmctl.synth.runner import synth_stack
from tests.support.paths import REPO_ROOT, SHARED, STACKS


def pytest_collection_modifyitems(config, items):
    skip_pulumi = pytest.mark.skip(reason="Pulumi CLI not installed")
    skip_docker = pytest.mark.skip(reason="Docker engine not available")
    skip_aws = pytest.mark.skip(reason="no AWS credentials")
    if not SHARED.is_dir():
        _skip_modules_needing_shared(items)
    for item in items:
        if "pulumi_cli" in item.keywords and not shutil.which("pulumi"):
            item.add_marker(skip_pulumi)
        if "docker" in item.keywords and not (shutil.which("docker") and os.path.exists("/var/run/docker.sock")):
            item.add_marker(skip_docker)
        if "aws" in item.keywords and not (os.environ.get("AWS_ACCESS_KEY_ID") or os.environ.get("AWS_PROFILE")):
            item.add_marker(skip_aws)


# Tests read upstream CRDs and reference data from ../shared (beside the clone in this project's
# CI). Outside it (e.g. a fork's GitHub Actions) set LLM_PLATFORM_WITHOUT_SHARED=1 to skip the
# modules that need them instead of failing the whole run.
_SHARED_TOKENS = re.compile(r"\b(SHARED|REFERENCE|CRDS)\b")
_LOCAL_IMPORT = re.compile(r"^\s*(?:from (tests(?:\.\w+)*) import (\w+)|import (tests(?:\.\w+)+))", re.M)


def _needs_shared(path: Path, seen: dict[Path, bool]) -> bool:
    """True when a test module, or a tests/ module it imports, reads ../shared."""
    if path in seen:
        return seen[path]
    seen[path] = False  # cycles
    text = path.read_text()
    verdict = bool(_SHARED_TOKENS.search(text))
    for package, name, module in _LOCAL_IMPORT.findall(text):
        dotted = module or f"{package}.{name}"
        base = package or module
        candidates = (REPO_ROOT / (dotted.replace(".", "/") + ".py"), REPO_ROOT / (base.replace(".", "/") + ".py"))
        for candidate in candidates:
            if not verdict and candidate.is_file() and candidate != REPO_ROOT / "tests" / "support" / "paths.py":
                verdict = _needs_shared(candidate, seen)
    seen[path] = verdict
    return verdict


def _skip_modules_needing_shared(items) -> None:
    skip = pytest.mark.skip(reason=f"needs ../shared reference data ({SHARED} is absent)")
    seen: dict[Path, bool] = {}
    for item in items:
        if _needs_shared(Path(str(item.fspath)), seen):
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _shared_present() -> None:
    if not SHARED.is_dir() and os.environ.get("LLM_PLATFORM_WITHOUT_SHARED") != "1":
        pytest.fail(f"../shared must sit beside the repository (looked in {SHARED}); "
                    "set LLM_PLATFORM_WITHOUT_SHARED=1 to skip the tests that need it", pytrace=False)


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
